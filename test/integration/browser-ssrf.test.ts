// SSRF protection in the real browser: every request — navigation, redirect hop, subresource — is
// checked before it leaves. A stand-in "internet" lives at 127.0.0.2 (the only address this test's
// policy calls public); internal services listen on 127.0.0.1 and must never see a request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { publicOnlyGuard } from '../../functions/adapters/browser/request-guard.js';
import { RenderError } from '../../functions/adapters/browser/errors.js';
import { checkAddress } from '../../functions/core/network-policy.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const timing = { navigationTimeoutMs: 8_000, settleIdleMs: 300, settleMaxMs: 2_000 };

let publicSite: Server;
let internal: Server;
let publicPort = 0;
let internalPort = 0;
const internalHits: string[] = [];
let renderer: PuppeteerRenderer;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  internal = createServer((req, res) => {
    internalHits.push(req.url ?? '');
    res.end('internal secret');
  });
  internalPort = await listen(internal, '127.0.0.1');
  publicSite = createServer((req, res) => {
    const internalUrl = `http://127.0.0.1:${internalPort}`;
    switch (req.url) {
      case '/to-internal':
        res.writeHead(302, { location: `${internalUrl}/via-redirect` });
        return res.end();
      case '/to-metadata':
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        return res.end();
      case '/to-internal-name':
        res.writeHead(302, { location: `http://internal.test:${internalPort}/via-name-redirect` });
        return res.end();
      default:
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(`<title>public</title><a href="/next">next</a>
          <img src="${internalUrl}/image.png">
          <img src="http://[::ffff:127.0.0.1]:${internalPort}/mapped.png">
          <script>fetch('${internalUrl}/fetched').catch(() => {}); fetch('http://internal.test:${internalPort}/by-name').catch(() => {});</script>`);
    }
  });
  publicPort = await listen(publicSite, '127.0.0.2');
  // Test names, resolved the same way by the guard and by Chromium.
  const hosts: Record<string, string[]> = { 'public.test': ['127.0.0.2'], 'internal.test': ['127.0.0.1'], 'mixed.test': ['127.0.0.2', '10.0.0.5'] };
  const resolve = async (name: string) => hosts[name] ?? [];
  const testInternet = (address: string) => (address === '127.0.0.2' ? { allowed: true as const } : checkAddress(address));
  renderer = new PuppeteerRenderer({
    log: quiet,
    guard: publicOnlyGuard(resolve, testInternet),
    extraArgs: ['--host-resolver-rules=MAP public.test 127.0.0.2, MAP internal.test 127.0.0.1, MAP mixed.test 127.0.0.2'],
  });
});

afterAll(async () => {
  await renderer?.close();
  await new Promise((r) => publicSite?.close(r));
  await new Promise((r) => internal?.close(r));
});

describe('the browser behind the guard', () => {
  it('renders an allowed page but blocks its subresources on internal addresses, by IP, by name and IPv4-mapped IPv6', async () => {
    const page = await renderer.render(`http://public.test:${publicPort}/`, timing);
    expect(page.status).toBe(200);
    expect(page.title).toBe('public');
    expect(page.links).toEqual([`http://public.test:${publicPort}/next`]);
    expect(internalHits).toEqual([]);
  });

  it.each([
    ['a redirect to a loopback IP', '/to-internal'],
    ['a redirect to the metadata service', '/to-metadata'],
    ['a redirect to a name that resolves to loopback', '/to-internal-name'],
  ])('blocks %s', async (_name, path) => {
    const error = await renderer.render(`http://public.test:${publicPort}${path}`, timing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).kind).toBe('blocked');
    expect((error as RenderError).retryable).toBe(false);
    expect(internalHits).toEqual([]);
  });

  it.each([
    ['a loopback IP', () => `http://127.0.0.1:${internalPort}/direct`],
    ['an IPv4-mapped IPv6 loopback', () => `http://[::ffff:7f00:1]:${internalPort}/mapped`],
    ['a name resolving to loopback', () => `http://internal.test:${internalPort}/named`],
    ['a name with one private address among public ones', () => `http://mixed.test:${publicPort}/`],
    ['the metadata service', () => 'http://169.254.169.254/latest/meta-data/'],
  ])('refuses to navigate to %s', async (_name, url) => {
    const error = await renderer.render(url(), timing).catch((e: unknown) => e);
    expect((error as RenderError).kind).toBe('blocked');
    expect(internalHits).toEqual([]);
  });
});
