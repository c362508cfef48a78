// A page decides its own title and, with history.replaceState, its own URL: a 400 KB <title> or a
// 1.5 MB URL must not make the page's frontier item too large for DynamoDB (400 KB), which would
// fail its settle on every delivery. They are stored cut, with a marker; the S3 record keeps them.
// A site's robots.txt chooses its sitemap URLs the same way: a 450 KB `Sitemap:` line (and a
// sitemap index entry as long) is a warning stored cut, never fetched, and the crawl goes on.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STORED_TEXT_BYTES, TRUNCATION_MARKER } from '../../functions/core/limits.js';
import type { PageRecord } from '../../functions/core/ports.js';
import type { LocalStack } from '../../local/stack.js';
import { crawl, readObject, startTestStack } from './harness.js';
import { jobWaitAtLeast } from './support/machine.js';
import { listenOnLoopback } from './support/loopback.js';

const BIG_TITLE = 'Ü'.repeat(150_000) + 'T'.repeat(100_000); // 400,000 UTF-8 bytes
const LONG_QUERY = 'q'.repeat(1_500_000);
const LONG_SITEMAP_QUERY = 's'.repeat(450_000);

async function startSite(): Promise<{ origin: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const page = (title: string, body: string) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`);
    };
    switch (req.url) {
      case '/':
        return page('Home', '<a href="/big-title">big title</a> <a href="/long-url">long URL</a>');
      case '/big-title':
        return page(BIG_TITLE, '<a href="/">home</a>');
      case '/long-url':
        return page('Long URL', `<a href="/after-long-url">next</a><script>history.replaceState(null, '', '/long-url?' + 'q'.repeat(${LONG_QUERY.length}))</script>`);
      case '/after-long-url':
        return page('After the long URL', '');
      default:
        res.writeHead(404).end();
    }
  });
  return listenOnLoopback(server);
}

/** robots.txt names a 450 KB sitemap URL and a good sitemap; that one is an index naming a sitemap as long, and a urlset. */
async function startSitemapSite(): Promise<{ origin: string; requested: string[]; stop(): Promise<void> }> {
  const requested: string[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requested.push(path.slice(0, 200));
    const send = (type: string, body: string) => {
      res.writeHead(200, { 'content-type': type });
      res.end(body);
    };
    if (path === '/robots.txt') return send('text/plain', `User-agent: *\nAllow: /\nSitemap: ${origin}/sitemap.xml?${LONG_SITEMAP_QUERY}\nSitemap: ${origin}/index.xml\n`);
    if (path === '/index.xml') return send('application/xml', `<sitemapindex><sitemap><loc>${origin}/nested.xml?${LONG_SITEMAP_QUERY}</loc></sitemap><sitemap><loc>${origin}/pages.xml</loc></sitemap></sitemapindex>`);
    if (path === '/pages.xml') return send('application/xml', `<urlset><url><loc>${origin}/from-sitemap</loc></url></urlset>`);
    send('text/html; charset=utf-8', `<!doctype html><title>${path.slice(0, 100)}</title>`);
  });
  const site = await listenOnLoopback(server);
  origin = site.origin;
  return { ...site, requested };
}

let stack: LocalStack;
let site: Awaited<ReturnType<typeof startSite>>;
let sitemapSite: Awaited<ReturnType<typeof startSitemapSite>>;

beforeAll(async () => {
  [stack, site, sitemapSite] = await Promise.all([startTestStack({ workers: 2 }), startSite(), startSitemapSite()]);
});

afterAll(async () => {
  await Promise.all([stack?.stop(), site?.stop(), sitemapSite?.stop()]);
});

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

it('settles pages with a 400 KB title and a 1.5 MB URL, storing both cut with a marker', async () => {
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 2 }, await jobWaitAtLeast(180_000));
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 4, failed: 0 });
  const pages = new Map(run.manifest.pages.map((p) => [p.url.replace(site.origin, ''), p]));
  expect([...pages.keys()].sort()).toEqual(['/', '/after-long-url', '/big-title', '/long-url']);

  const bigTitle = pages.get('/big-title')!;
  expect(bytes(bigTitle.title)).toBeLessThanOrEqual(STORED_TEXT_BYTES.title);
  expect(bigTitle.title.endsWith(TRUNCATION_MARKER)).toBe(true);
  expect(BIG_TITLE.startsWith(bigTitle.title.slice(0, -TRUNCATION_MARKER.length))).toBe(true);

  const longUrl = pages.get('/long-url')!;
  expect(bytes(longUrl.finalUrl)).toBeLessThanOrEqual(STORED_TEXT_BYTES.url);
  expect(longUrl.finalUrl.startsWith(`${site.origin}/long-url?qqqq`)).toBe(true);
  expect(longUrl.finalUrl.endsWith(TRUNCATION_MARKER)).toBe(true);
  // The rewritten URL does not stop the page's links from being followed.
  expect(pages.get('/after-long-url')).toMatchObject({ depth: 2, parent: `${site.origin}/long-url` });

  // The page records in S3 keep what the browser saw, whole.
  expect((await readObject<PageRecord>(stack, bigTitle.key)).page.title).toBe(BIG_TITLE);
  expect((await readObject<PageRecord>(stack, longUrl.key)).page.finalUrl).toBe(`${site.origin}/long-url?${LONG_QUERY}`);
  await run.client.close();
});

it('keeps a 450 KB sitemap URL from robots.txt (and from a sitemap index) as a bounded warning, unfetched, and crawls the rest', async () => {
  const { origin } = sitemapSite;
  const run = await crawl(stack, { url: `${origin}/`, depth: 0, sitemap: true }, await jobWaitAtLeast(180_000));
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 2, failed: 0 });
  expect(run.manifest.pages.map((p) => p.url.replace(origin, '')).sort()).toEqual(['/', '/from-sitemap']);

  const warnings = [...run.manifest.errors].sort((a, b) => a.url.localeCompare(b.url));
  expect(warnings).toHaveLength(2);
  const [nested, top] = warnings as [{ url: string; error: string }, { url: string; error: string }];
  for (const [warning, path] of [
    [nested, '/nested.xml?'],
    [top, '/sitemap.xml?'],
  ] as const) {
    expect(warning.url.startsWith(`${origin}${path}ssss`)).toBe(true);
    expect(warning.url.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(bytes(warning.url)).toBeLessThanOrEqual(STORED_TEXT_BYTES.url);
    expect(warning.error).toMatch(/^sitemap not read: its URL has \d+ characters, more than 2048$/);
  }
  // Neither long URL was asked of the site.
  expect(sitemapSite.requested.filter((path) => path.includes('?'))).toEqual([]);
  expect(sitemapSite.requested).toEqual(expect.arrayContaining(['/robots.txt', '/index.xml', '/pages.xml', '/', '/from-sitemap']));
  await run.client.close();
});
