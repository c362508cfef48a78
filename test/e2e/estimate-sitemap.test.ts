// `estimate: true` with `sitemap: true` (issue 27, item 7): the crawl route counts the in-scope URLs
// of the seed host's sitemaps (robots.txt's Sitemap: lines, an index, a gzipped file) and estimates
// from min(that, maxPages); bounded in time, so a sitemap that never answers still gets an answer
// from what was read. Nothing is crawled: the site sees no page request.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ESTIMATE_SITEMAP_BUDGET_MS } from '../../functions/app/estimate-crawl.js';
import type { LocalStack } from '../../local/stack.js';
import type { CrawlOptions, EstimateMessage } from '../../client/index.js';
import { connectClient, within, type TestClient } from './support/test-client.js';
import { startTestStack } from './harness.js';
import { machineSpeed, replyWaitMs, type MachineSpeed } from './support/machine.js';

interface Site {
  origin: string;
  /** every path asked, in order */
  asked: string[];
  server: Server;
}

const urlset = (urls: string[]) => `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.map((u) => `<url><loc>${u}</loc></url>`).join('')}</urlset>`;
const index = (files: string[]) => `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${files.map((f) => `<sitemap><loc>${f}</loc></sitemap>`).join('')}</sitemapindex>`;

/** A site whose answers `files(origin)` gives by path (a Buffer is sent as is; null never answers); anything else 404. */
async function startSite(files: (origin: string) => Record<string, string | Buffer | null>): Promise<Site> {
  const asked: string[] = [];
  let table: Record<string, string | Buffer | null> = {};
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    asked.push(path);
    if (!(path in table)) return res.writeHead(404).end();
    const body = table[path];
    if (body === null) return; // hangs: the reader's deadline must end it
    res.writeHead(200, { 'content-type': path.endsWith('.txt') ? 'text/plain' : 'application/xml' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  table = files(origin);
  return { origin, asked, server };
}

let stack: LocalStack;
let speed: MachineSpeed;
let listed: Site;
let hanging: Site;
let bare: Site;
let client: TestClient;

beforeAll(async () => {
  // 5 pages in the first file (one twice, two on another host), 4 in the gzipped one (the seed among them): 9 in scope.
  listed = await startSite((o) => ({
    '/robots.txt': `User-agent: *\nAllow: /\nSitemap: ${o}/sitemap-index.xml\n`,
    '/sitemap-index.xml': index([`${o}/sm-a.xml`, `${o}/sm-b.xml.gz`]),
    '/sm-a.xml': urlset([...[1, 2, 3, 4, 5].map((i) => `${o}/p${i}`), `${o}/p1`, 'http://elsewhere.invalid/x', 'http://elsewhere.invalid/y']),
    '/sm-b.xml.gz': gzipSync(urlset([`${o}/p6`, `${o}/p7`, `${o}/p8`, `${o}/`])),
  }));
  // One file answers, the next one never does.
  hanging = await startSite((o) => ({
    '/robots.txt': `User-agent: *\nSitemap: ${o}/fast.xml\nSitemap: ${o}/hang.xml\n`,
    '/fast.xml': urlset([`${o}/a`, `${o}/b`, `${o}/c`]),
    '/hang.xml': null,
  }));
  // No sitemap at all.
  bare = await startSite(() => ({ '/robots.txt': 'User-agent: *\nAllow: /\n' }));
  speed = await machineSpeed();
  stack = await startTestStack({});
  client = await connectClient(stack.wsUrl, { requestTimeoutMs: ESTIMATE_SITEMAP_BUDGET_MS + replyWaitMs(speed) });
}, 300_000);

afterAll(async () => {
  await client?.close();
  await stack?.stop();
  for (const site of [listed, hanging, bare]) {
    site?.server.closeAllConnections();
    await new Promise((r) => site?.server.close(r));
  }
});

async function estimate(request: CrawlOptions, requestId: string, waitMs = replyWaitMs(speed)): Promise<EstimateMessage> {
  return within(client.estimate({ ...request, requestId }), waitMs, () => `estimate ${requestId}`);
}

it("estimates from the sitemaps' in-scope URLs when fewer than maxPages, from maxPages otherwise, crawling nothing", async () => {
  const url = `${listed.origin}/`;
  const fromSitemap = await estimate({ url, sitemap: true, maxPages: 100 }, 'sm');
  expect(fromSitemap).toMatchObject({ type: 'estimate', pages: 9, basis: 'sitemap', sitemapUrls: 9, sitemapComplete: true });
  // The same figures as an estimate of 9 pages from maxPages: only the page count came from the sitemaps.
  const nine = await estimate({ url, maxPages: 9 }, 'nine');
  expect(nine).toMatchObject({ type: 'estimate', pages: 9, basis: 'maxPages' });
  expect(fromSitemap.durationS).toBe(nine.durationS);
  expect(fromSitemap.costUsd).toBe(nine.costUsd);
  // maxPages below the sitemaps' count bounds it.
  expect(await estimate({ url, sitemap: true, maxPages: 4 }, 'capped')).toMatchObject({ pages: 4, basis: 'sitemap', sitemapUrls: 4 });
  // Without sitemap: true the sitemaps are not read.
  const before = listed.asked.length;
  expect(await estimate({ url, maxPages: 100 }, 'plain')).toMatchObject({ pages: 100, basis: 'maxPages' });
  expect(listed.asked.length).toBe(before);
  // Only robots.txt and the sitemap files were asked: no page.
  expect(new Set(listed.asked)).toEqual(new Set(['/robots.txt', '/sitemap-index.xml', '/sm-a.xml', '/sm-b.xml.gz']));

  // A host with no sitemap: from maxPages.
  expect(await estimate({ url: `${bare.origin}/`, sitemap: true, maxPages: 50 }, 'bare')).toMatchObject({ pages: 50, basis: 'maxPages' });
  expect(bare.asked.filter((p) => p !== '/robots.txt' && p !== '/sitemap.xml')).toEqual([]);
});

it('answers within its time bound when a sitemap never answers, from what it read', async () => {
  const answer = await estimate({ url: `${hanging.origin}/`, sitemap: true, maxPages: 100 }, 'hang', ESTIMATE_SITEMAP_BUDGET_MS + replyWaitMs(speed));
  // /a, /b, /c and the seed; the hanging file counted as unread.
  expect(answer).toMatchObject({ type: 'estimate', pages: 4, basis: 'sitemap', sitemapUrls: 4, sitemapComplete: false });
  expect(hanging.asked).toContain('/hang.xml');
});
