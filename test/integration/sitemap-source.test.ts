// Sitemaps over real HTTP from servers on 127.0.0.1: robots.txt Sitemap: lines, the /sitemap.xml
// default, indexes, gzip, and every bound and failure becoming a warning (never an exception).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRobotsPolicy } from '../../functions/adapters/http/robots-policy.js';
import { HttpSitemapSource } from '../../functions/adapters/http/sitemap-source.js';
import { publicOnlyGuard } from '../../functions/adapters/browser/request-guard.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const urlset = (urls: string[]) => `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.map((u) => `<url><loc>${u}</loc></url>`).join('')}</urlset>`;
const index = (maps: string[]) => `<sitemapindex>${maps.map((m) => `<sitemap><loc>${m}</loc></sitemap>`).join('')}</sitemapindex>`;

interface Site {
  origin: string;
  requests: string[];
  agents: Set<string>;
  stop(): Promise<void>;
}

async function site(files: (origin: string) => Record<string, { body: string | Buffer; status?: number; location?: string }>): Promise<Site> {
  const requests: string[] = [];
  const agents = new Set<string>();
  let origin = '';
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '/');
    agents.add(String(req.headers['user-agent']));
    const file = files(origin)[req.url ?? '/'];
    if (!file) return res.writeHead(404).end();
    res.writeHead(file.status ?? 200, { 'content-type': 'application/xml', ...(file.location ? { location: file.location } : {}) });
    res.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, requests, agents, stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

const sites: Site[] = [];
async function serve(files: Parameters<typeof site>[0]): Promise<Site> {
  const s = await site(files);
  sites.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(sites.map((s) => s.stop()));
});

function source(options: Partial<ConstructorParameters<typeof HttpSitemapSource>[0]> = {}) {
  const robots = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet });
  return new HttpSitemapSource({ robots, userAgent: 'Mozilla/5.0 (compatible; fanout-crawler/0.1)', log: quiet, ...options });
}

describe('sitemap source', () => {
  let main: Site;
  beforeAll(async () => {
    main = await serve((o) => ({
      '/robots.txt': { body: `User-agent: *\nAllow: /\nSitemap: ${o}/index.xml\n` },
      '/index.xml': { body: index([`${o}/pages.xml.gz`, `${o}/more.xml`, `${o}/broken.xml`, `${o}/index.xml`]) },
      '/pages.xml.gz': { body: gzipSync(urlset([`${o}/a`, `${o}/b`])) },
      '/more.xml': { body: urlset([`${o}/c`]) },
      '/broken.xml': { body: '<html>not a sitemap' },
    }));
  });

  it("follows robots.txt's Sitemap: lines, indexes and gzip; an index listing itself is read once; a bad file is a warning", async () => {
    const found = await source().urlsFor(`${main.origin}/`, 100);
    expect(found.urls).toEqual([`${main.origin}/a`, `${main.origin}/b`, `${main.origin}/c`]);
    expect(found.warnings).toEqual([{ url: `${main.origin}/broken.xml`, error: expect.stringMatching(/^sitemap (not XML|neither a urlset)/) }]);
    expect(main.requests.filter((r) => r === '/index.xml')).toHaveLength(1);
    // Sitemaps go out with the crawler's User-Agent.
    expect(main.agents.has('Mozilla/5.0 (compatible; fanout-crawler/0.1)')).toBe(true);
  });

  it('stops at maxUrls', async () => {
    expect((await source().urlsFor(`${main.origin}/`, 2)).urls).toEqual([`${main.origin}/a`, `${main.origin}/b`]);
  });

  it('falls back to /sitemap.xml; a host with neither is quiet (no warning)', async () => {
    const plain = await serve((o) => ({ '/sitemap.xml': { body: urlset([`${o}/only-in-sitemap`]) } }));
    expect(await source().urlsFor(`${plain.origin}/`, 100)).toEqual({ urls: [`${plain.origin}/only-in-sitemap`], warnings: [] });
    const none = await serve(() => ({}));
    expect(await source().urlsFor(`${none.origin}/`, 100)).toEqual({ urls: [], warnings: [] });
  });

  it('a sitemap too big (plain or gzip), a redirect loop, a 500, or more files than allowed: warnings, never an exception', async () => {
    const bad = await serve((o) => ({
      '/robots.txt': { body: `Sitemap: ${o}/big.xml\nSitemap: ${o}/bomb.xml.gz\nSitemap: ${o}/loop.xml\nSitemap: ${o}/down.xml\nSitemap: ${o}/ok.xml\n` },
      '/big.xml': { body: urlset(Array.from({ length: 200 }, (_, i) => `${o}/p${i}`)) },
      '/bomb.xml.gz': { body: gzipSync(Buffer.alloc(100_000, 0x20)) },
      '/loop.xml': { body: '', status: 302, location: `${o}/loop.xml` },
      '/down.xml': { body: 'oops', status: 500 },
      '/ok.xml': { body: urlset([`${o}/fine`]) },
    }));
    const found = await source({ maxBytes: 2_000 }).urlsFor(`${bad.origin}/`, 100);
    expect(found.urls).toEqual([`${bad.origin}/fine`]);
    const why = Object.fromEntries(found.warnings.map((w) => [w.url.replace(bad.origin, ''), w.error]));
    expect(why['/big.xml']).toMatch(/larger than 2000 bytes/);
    expect(why['/bomb.xml.gz']).toMatch(/larger than 2000 bytes uncompressed/);
    expect(why['/loop.xml']).toMatch(/more than 5 redirects/);
    expect(why['/down.xml']).toMatch(/answered 500/);
    const limited = await source({ maxFiles: 2 }).urlsFor(`${bad.origin}/`, 1000);
    expect(limited.warnings.at(-1)?.error).toMatch(/more than 2 sitemap files/);
  });

  it('asks the address guard before every fetch: a private address is refused and nothing is fetched', async () => {
    const before = main.requests.length;
    const guard = publicOnlyGuard();
    const found = await source({ guard, robots: new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: quiet, guard }) }).urlsFor(`${main.origin}/`, 100);
    expect(found.urls).toEqual([]);
    expect(found.warnings[0]?.error).toMatch(/blocked/);
    expect(main.requests.length).toBe(before);
  });
});
