// Upstream proxy URLs (core/upstream-proxy.ts): parsed with their credentials kept apart and masked
// everywhere else, the stack's list read strictly, a job's hosts spread over the list; the
// `proxy` option validated and refused where the stack does not allow it; and the upstream itself
// judged by the crawl's address policy (public only on AWS, loopback allowed locally).
import { describe, expect, it } from 'vitest';
import { hostCheck, localStackHostCheck } from '../../functions/adapters/browser/egress-policy.js';
import { admitUpstream } from '../../functions/adapters/browser/upstream-hop.js';
import { ClientInputError } from '../../functions/core/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../../functions/core/limits.js';
import { parseCrawlRequest } from '../../functions/core/messages.js';
import { checkAddress } from '../../functions/core/network-policy.js';
import { parseProxyList, parseProxyUrl, pickUpstream, redactProxyUrl, type UpstreamProxy } from '../../functions/core/upstream-proxy.js';

const PASSWORD = 's3cr3t-p@ss';
const proxyUrl = (host = 'proxy.example.net', port = 3128) => `http://alice:${encodeURIComponent(PASSWORD)}@${host}:${port}`;
const parsed = (raw: string): UpstreamProxy => {
  const result = parseProxyUrl(raw);
  if (!result.ok) throw new Error(result.reason);
  return result.proxy;
};

describe('a proxy URL', () => {
  it('keeps the credentials in the Proxy-Authorization value only, masked in what may be shown', () => {
    const proxy = parsed(proxyUrl());
    expect(proxy).toEqual({
      hostname: 'proxy.example.net',
      port: 3128,
      authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`,
      shown: 'http://***@proxy.example.net:3128',
    });
    expect(parsed('http://10.0.0.1')).toEqual({ hostname: '10.0.0.1', port: 80, shown: 'http://10.0.0.1' });
    expect(redactProxyUrl('not a url alice:pw@host:1')).toBe('***@host:1');
  });

  it('refuses what is not an http proxy, never repeating its credentials', () => {
    for (const raw of [`https://alice:${PASSWORD}@h:1`, `socks5://alice:${PASSWORD}@h:1`, `http://alice:${PASSWORD}@h:1/path`, `http://alice:${PASSWORD}@h:1/?q`, 'http://:pw@h:1', 'nonsense']) {
      const result = parseProxyUrl(raw);
      expect(result.ok, raw).toBe(false);
      if (!result.ok) {
        expect(result.reason).not.toContain(PASSWORD);
        expect(result.reason).not.toContain('alice');
      }
    }
  });
});

describe("the stack's list", () => {
  it('reads a JSON array or URLs separated by spaces, commas or lines; empty is none', () => {
    const two = [proxyUrl('a.example'), proxyUrl('b.example')];
    expect(parseProxyList(JSON.stringify(two)).map((p) => p.hostname)).toEqual(['a.example', 'b.example']);
    expect(parseProxyList(`${two[0]},\n ${two[1]}\n`).map((p) => p.hostname)).toEqual(['a.example', 'b.example']);
    expect(parseProxyList('  ')).toEqual([]);
  });

  it('fails whole on one bad entry, naming its position and not its credentials', () => {
    expect(() => parseProxyList(`${proxyUrl()} https://bob:${PASSWORD}@c.example:1`)).toThrow(/entry 2 http[s]?:\/\/\*\*\*@c\.example:1: only http/);
    try {
      parseProxyList(`["${proxyUrl()}", 7]`);
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toBe('proxy list entry 2 is not a string');
    }
  });

  it("sends a job's connections to one host through one proxy, and spreads hosts and jobs over the list", () => {
    const proxies = ['a', 'b', 'c', 'd'].map((name) => parsed(proxyUrl(`${name}.example`)));
    const route = { key: 'job-1', proxies };
    expect(pickUpstream(route, 'site.example')).toBe(pickUpstream({ key: 'job-1', proxies }, 'SITE.example'));
    const used = new Set<string>();
    for (let i = 0; i < 40; i++) used.add(pickUpstream(route, `host-${i}.example`)!.hostname);
    for (let i = 0; i < 40; i++) used.add(pickUpstream({ key: `job-${i}`, proxies }, 'site.example')!.hostname);
    expect(used.size).toBe(4);
    expect(pickUpstream({ key: 'k', proxies: [] }, 'h')).toBeUndefined();
  });
});

describe('the address policy judges the upstream', () => {
  it('refuses an upstream at a private, loopback or metadata address on AWS', async () => {
    const aws = hostCheck(async () => [], checkAddress);
    for (const host of ['10.1.2.3', '127.0.0.1', '169.254.169.254', '[fd00:ec2::254]']) {
      await expect(admitUpstream(parsed(proxyUrl(host)), aws), host).rejects.toMatchObject({
        code: 'ERR_PROXY_CONNECTION_FAILED',
        message: expect.stringMatching(new RegExp(`^upstream proxy http://\\*\\*\\*@.* may not be used: `)),
      });
    }
    await expect(admitUpstream(parsed(proxyUrl('93.184.215.14')), aws)).resolves.toEqual(['93.184.215.14']);
  });

  it('allows a loopback upstream locally, but not a metadata address nor the stack’s own services', async () => {
    const local = localStackHostCheck({ ports: new Set([4566]), addresses: new Set() }, async () => []);
    await expect(admitUpstream(parsed(proxyUrl('127.0.0.1', 3128)), local)).resolves.toEqual(['127.0.0.1']);
    await expect(admitUpstream(parsed(proxyUrl('169.254.169.254', 80)), local)).rejects.toThrow(/may not be used/);
    await expect(admitUpstream(parsed(proxyUrl('127.0.0.1', 4566)), local)).rejects.toThrow(/stack's own services/);
  });
});

describe('the crawl option `proxy`', () => {
  const allowed = { ...DEFAULT_LIMITS, allowCrawlProxy: true };
  const crawl = (proxy: unknown, limits: Limits = allowed) => parseCrawlRequest(JSON.stringify({ action: 'crawl', url: 'https://example.com/', proxy }), limits);
  const refusal = (fn: () => unknown): ClientInputError => {
    try {
      fn();
    } catch (error) {
      return error as ClientInputError;
    }
    throw new Error('not refused');
  };

  it('is taken where the stack allows it', () => {
    expect(crawl(proxyUrl()).proxy).toBe(proxyUrl());
  });

  it('is refused, naming the field, where the stack does not allow it', () => {
    const error = refusal(() => crawl(proxyUrl(), DEFAULT_LIMITS));
    expect(error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^proxy: this stack does not allow/) });
    expect(error.message).not.toContain(PASSWORD);
  });

  it('is refused when it is not an http proxy URL, naming the field and not the credentials', () => {
    for (const bad of [`ftp://alice:${PASSWORD}@h:1`, 42, '', `http://alice:${PASSWORD}@h:1/x`]) {
      const error = refusal(() => crawl(bad));
      expect(error.code).toBe('invalid_request');
      expect(error.message).toMatch(/^proxy: /);
      expect(error.message).not.toContain(PASSWORD);
    }
  });
});
