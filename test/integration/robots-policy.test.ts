// robots.txt fetched over real HTTP from a server on 127.0.0.1: rules, status codes, redirects,
// size cap, caching (with an injected clock, never a sleep), userinfo, percent-encoding and the
// address guard.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRobotsPolicy } from '../../functions/adapters/http/robots-policy.js';
import { ROBOTS_MAX_BYTES } from '../../functions/core/robots.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** One server, many "sites": the first path segment picks how /robots.txt answers (by Host port). */
interface Site {
  origin: string;
  fetches: () => number;
  stop(): Promise<void>;
}

async function site(answer: (res: import('node:http').ServerResponse, origin: string) => void): Promise<Site> {
  let fetches = 0;
  let origin = '';
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/robots.txt') || req.url?.startsWith('/moved')) {
      fetches++;
      return answer(res, origin);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    fetches: () => fetches,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

const text = (body: string, status = 200) => (res: import('node:http').ServerResponse) => {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
};

const sites: Site[] = [];
async function serve(answer: Parameters<typeof site>[0]): Promise<Site> {
  const s = await site(answer);
  sites.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(sites.map((s) => s.stop()));
});

describe('robots.txt rules', () => {
  let rules: Site;
  beforeAll(async () => {
    rules = await serve(
      text(`# comments and groups
User-agent: other-bot
Disallow: /

User-agent: fanout-crawler
Disallow: /private/
Allow: /private/open.html

User-agent: *
Disallow: /everyone-else/
`),
    );
  });

  it('applies the group of our product token, with Allow overriding a shorter Disallow', async () => {
    const policy = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet });
    expect(await policy.check(`${rules.origin}/`)).toEqual({ allowed: true });
    expect(await policy.check(`${rules.origin}/everyone-else/x.html`)).toEqual({ allowed: true });
    expect(await policy.check(`${rules.origin}/private/open.html`)).toEqual({ allowed: true });
    expect(await policy.check(`${rules.origin}/private/secret.html`)).toEqual({ allowed: false, reason: 'disallowed by robots.txt (line 6)' });
  });

  it('falls back to the * group for another token', async () => {
    const policy = new HttpRobotsPolicy({ userAgent: 'someone', log: quiet });
    expect((await policy.check(`${rules.origin}/everyone-else/x.html`)).allowed).toBe(false);
    expect((await policy.check(`${rules.origin}/private/secret.html`)).allowed).toBe(true);
  });

  it('fetches once per origin, also when many pages ask at once, until the cache expires', async () => {
    let now = 0;
    const before = rules.fetches();
    const policy = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet, cacheMs: 1_000, now: () => now });
    await Promise.all(Array.from({ length: 10 }, (_, i) => policy.check(`${rules.origin}/page-${i}`)));
    expect(rules.fetches() - before).toBe(1);
    now = 2_000;
    await policy.check(`${rules.origin}/again`);
    expect(rules.fetches() - before).toBe(2);
  });
});

describe('Crawl-delay', () => {
  it("gives the group's Crawl-delay with an allowed verdict, ours before *'s; none when absent or nonsense", async () => {
    const site = await serve(text('User-agent: fanout-crawler\nCrawl-delay: 1.5\nDisallow: /no/\n\nUser-agent: *\nCrawl-delay: 7\n'));
    const ours = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet });
    expect(await ours.check(`${site.origin}/a`)).toEqual({ allowed: true, crawlDelaySeconds: 1.5 });
    expect((await ours.check(`${site.origin}/no/x`)).allowed).toBe(false);
    expect(await new HttpRobotsPolicy({ userAgent: 'other', log: quiet }).check(`${site.origin}/a`)).toEqual({ allowed: true, crawlDelaySeconds: 7 });
    const none = await serve(text('User-agent: *\nCrawl-delay: soon\nDisallow: /x/\n'));
    expect(await ours.check(`${none.origin}/a`)).toEqual({ allowed: true });
  });

  it('sends the configured User-Agent header when fetching robots.txt', async () => {
    let seen = '';
    const site = await serve((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('User-agent: *\nAllow: /\n');
    });
    const probe = createServer((req, res) => {
      seen = String(req.headers['user-agent']);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    try {
      const policy = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', header: 'Mozilla/5.0 (compatible; fanout-crawler/0.1)', log: quiet });
      await policy.check(`${origin}/a`);
      expect(seen).toBe('Mozilla/5.0 (compatible; fanout-crawler/0.1)');
      expect((await policy.check(`${site.origin}/a`)).allowed).toBe(true);
    } finally {
      probe.closeAllConnections();
      await new Promise((resolve) => probe.close(resolve));
    }
  });
});

describe('URL spellings', () => {
  let rules: Site;
  beforeAll(async () => {
    rules = await serve(text('User-agent: *\nDisallow: /private/\nDisallow: /%7Ealice/\nDisallow: /~bob/\nDisallow: /%E3%83%84/\n'));
  });

  it('fetches the rules for a URL with userinfo, from the origin without it', async () => {
    const seen: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      seen.push(String(input));
      return fetch(input, init);
    };
    const policy = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet, fetch: recordingFetch });
    const host = rules.origin.replace('http://', '');
    expect(await policy.check(`http://user:secret@${host}/private/x`)).toEqual({ allowed: false, reason: 'disallowed by robots.txt (line 2)' });
    expect(await policy.check(`http://user:secret@${host}/public`)).toEqual({ allowed: true });
    expect(seen).toEqual([`${rules.origin}/robots.txt`]);
  });

  it.each([
    ['/~alice/x', 3],
    ['/%7ealice/x', 3],
    ['/%7Ealice/x', 3],
    ['/~bob/x', 4],
    ['/%7Ebob/x', 4],
    ['/%7ebob/x', 4],
    ['/%e3%83%84/x', 5],
    ['/ツ/x', 5],
    ['/%70rivate/x', 2],
  ])('matches %s whatever the escapes (line %i)', async (path, line) => {
    const policy = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet });
    expect(await policy.check(`${rules.origin}${path}`)).toEqual({ allowed: false, reason: `disallowed by robots.txt (line ${line})` });
  });

  it.each(['/~carol/x', '/%7Ecarol/', '/%2Fprivate/x'])('allows %s', async (path) => {
    const policy = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet });
    expect(await policy.check(`${rules.origin}${path}`)).toEqual({ allowed: true });
  });
});

describe('how long an answer is kept', () => {
  const options = { userAgent: 'fanout-crawler', log: quiet, cacheMs: 3_600_000, transientCacheMs: 60_000 };

  it('asks again a minute after a 5xx, and obeys the file it then gets', async () => {
    const s = await serve((res) => (s.fetches() === 1 ? text('down', 503)(res) : text('User-agent: *\nDisallow: /no/')(res)));
    let now = 0;
    const policy = new HttpRobotsPolicy({ ...options, now: () => now });
    expect(await policy.check(`${s.origin}/yes`)).toEqual({ allowed: false, reason: 'disallowed: robots.txt answered 503', retryable: true });
    now = 59_000;
    expect((await policy.check(`${s.origin}/yes`)).allowed).toBe(false);
    expect(s.fetches()).toBe(1);
    now = 61_000;
    expect(await policy.check(`${s.origin}/yes`)).toEqual({ allowed: true });
    expect((await policy.check(`${s.origin}/no/x`)).allowed).toBe(false);
    expect(s.fetches()).toBe(2);
    // The file itself is kept for the full time.
    now = 61_000 + 3_599_000;
    await policy.check(`${s.origin}/yes`);
    expect(s.fetches()).toBe(2);
  });

  it('asks again a minute after no answer at all', async () => {
    const s = await serve((res) => (s.fetches() === 1 ? res.socket?.destroy() : text('User-agent: *\nDisallow: /no/')(res)));
    let now = 0;
    const policy = new HttpRobotsPolicy({ ...options, now: () => now });
    expect(await policy.check(`${s.origin}/no/x`)).toEqual({ allowed: true });
    now = 61_000;
    expect((await policy.check(`${s.origin}/no/x`)).allowed).toBe(false);
    expect(s.fetches()).toBe(2);
  });

  it('keeps a 404 (no restrictions) for the full time', async () => {
    const s = await serve(text('missing', 404));
    let now = 0;
    const policy = new HttpRobotsPolicy({ ...options, now: () => now });
    expect(await policy.check(`${s.origin}/x`)).toEqual({ allowed: true });
    now = 3_599_000;
    expect(await policy.check(`${s.origin}/x`)).toEqual({ allowed: true });
    expect(s.fetches()).toBe(1);
    now = 3_601_000;
    await policy.check(`${s.origin}/x`);
    expect(s.fetches()).toBe(2);
  });
});

describe('what a robots.txt that is not a file means (RFC 9309)', () => {
  it.each([
    [404, true],
    [403, true],
    [410, true],
    [500, false],
    [503, false],
  ])('status %i → allowed %s', async (status, allowed) => {
    const s = await serve(text('User-agent: *\nDisallow: /', status));
    const verdict = await new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet }).check(`${s.origin}/page`);
    expect(verdict.allowed).toBe(allowed);
    if (!verdict.allowed) expect(verdict.reason).toBe(`disallowed: robots.txt answered ${status}`);
  });

  it('follows redirects to the file', async () => {
    const s = await serve((res, origin) => {
      if (s.fetches() === 1) res.writeHead(301, { location: `${origin}/moved/robots.txt` }).end();
      else text('User-agent: *\nDisallow: /no/')(res);
    });
    const policy = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet });
    expect((await policy.check(`${s.origin}/no/x`)).allowed).toBe(false);
  });

  it('gives up after five redirects and treats the file as absent', async () => {
    const s = await serve((res, origin) => res.writeHead(302, { location: `${origin}/robots.txt?${Math.random()}` }).end());
    expect((await new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet }).check(`${s.origin}/x`)).allowed).toBe(true);
    expect(s.fetches()).toBe(6);
  });

  it('treats a robots.txt that does not answer in time as absent', async () => {
    const s = await serve(() => {
      // never answers
    });
    // A fetch without its timeout would hang here until the test times out.
    expect(await new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet, timeoutMs: 300 }).check(`${s.origin}/x`)).toEqual({ allowed: true });
  });

  it('reads no more than the size cap', async () => {
    const filler = `# ${'x'.repeat(200)}\n`.repeat(Math.ceil((ROBOTS_MAX_BYTES + 10_000) / 203));
    const s = await serve(text(`User-agent: *\nDisallow: /early/\n${filler}Disallow: /late/\n`));
    const policy = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet });
    expect((await policy.check(`${s.origin}/early/x`)).allowed).toBe(false);
    expect((await policy.check(`${s.origin}/late/x`)).allowed).toBe(true);
  });

  it('asks the address guard before every hop, and fetches nothing it refuses', async () => {
    const s = await serve(text('User-agent: *\nDisallow: /'));
    const asked: string[] = [];
    const policy = new HttpRobotsPolicy({
      userAgent: 'fanout-crawler',
      log: quiet,
      guard: async (url) => {
        asked.push(url);
        return { allowed: false, reason: '127.0.0.1 is loopback' };
      },
    });
    // The page itself will be refused by the browser's guard with that reason; robots.txt says nothing.
    expect(await policy.check(`${s.origin}/x`)).toEqual({ allowed: true });
    expect(asked).toEqual([`${s.origin}/robots.txt`]);
    expect(s.fetches()).toBe(0);
  });
});
