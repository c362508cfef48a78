// A crawl started from several seeds (`urls`): every seed at depth 0, links followed when they are
// in the scope of any seed, the manifest lists the seeds.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { crawl, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings } from './support/machine.js';

interface Site {
  origin: string;
  requested: string[];
  stop(): Promise<void>;
}

async function startSite(extraLinks: () => string[] = () => []): Promise<Site> {
  const requested: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') return res.writeHead(404).end();
    requested.push(path);
    const links = path === '/' ? ['/one', '/two', ...extraLinks()] : ['/'];
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${path}</title>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

let stack: LocalStack;
let sites: Site[] = [];
let outside: Site;

beforeAll(async () => {
  outside = await startSite();
  const first = await startSite(() => [`${outside.origin}/`]);
  sites = [first, await startSite(), await startSite()];
  stack = await startTestStack({ workers: 2, batchSize: 3 });
});
afterAll(async () => {
  await stack?.stop();
  await Promise.all([...sites, outside].map((s) => s?.stop()));
});

it('urls with three seeds: each seed and its in-scope pages, nothing of a host no seed covers, seeds in the manifest', async () => {
  const speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  const seeds = sites.map((s) => `${s.origin}/`);
  const run = await crawl(stack, { urls: seeds, depth: 1 }, jobWaitMs(timings, speed, { pages: 9 }));
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 9, failed: 0 });
  expect((run.manifest as { seeds?: string[] }).seeds).toEqual(seeds);
  expect([...run.manifest.levels[0]!].sort()).toEqual([...seeds].sort());
  expect(run.manifest.pages.map((p) => p.url).sort()).toEqual(sites.flatMap((s) => [`${s.origin}/`, `${s.origin}/one`, `${s.origin}/two`]).sort());
  for (const site of sites) expect(site.requested.sort()).toEqual(['/', '/one', '/two']);
  expect(outside.requested).toEqual([]);
  expect(await settleAndCountCompletions(run)).toBe(1);
  await run.client.close();
});

it('sitemap: true — a page reachable only from the sitemap is crawled at depth 0, off-scope entries are not, a bad sitemap is a warning and the crawl goes on', async () => {
  const requested: string[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requested.push(path);
    const xml = (body: string) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(body);
    };
    if (path === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(`User-agent: *\nAllow: /\nSitemap: ${origin}/sitemap-index.xml\nSitemap: ${origin}/broken.xml\n`);
    }
    if (path === '/sitemap-index.xml') return xml(`<sitemapindex><sitemap><loc>${origin}/pages.xml</loc></sitemap></sitemapindex>`);
    if (path === '/pages.xml') return xml(`<urlset><url><loc>${origin}/hidden</loc></url><url><loc>${outside.origin}/elsewhere</loc></url><url><loc>${origin}/</loc></url></urlset>`);
    if (path === '/broken.xml') return xml('<urlset><url><loc>unclosed');
    const links = path === '/' ? ['/linked'] : path === '/hidden' ? ['/from-hidden'] : [];
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${path}</title>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const speed = await machineSpeed();
    const timings = stackTimings(speed, 3);
    const run = await crawl(stack, { url: `${origin}/`, depth: 0, sitemap: true }, jobWaitMs(timings, speed, { pages: 3 }));
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 2, failed: 0 });
    expect(run.manifest.pages.map((p) => [p.url.replace(origin, ''), p.depth]).sort()).toEqual([['/', 0], ['/hidden', 0]]);
    expect(run.manifest.errors).toEqual([{ url: `${origin}/broken.xml`, error: expect.stringMatching(/^sitemap /) }]);
    // Depth 0: neither the seed's link nor the sitemap page's link is followed; nothing off scope.
    expect(requested).not.toContain('/linked');
    expect(requested).not.toContain('/from-hidden');
    expect(outside.requested).toEqual([]);
    await run.client.close();
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
