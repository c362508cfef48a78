// A page of 100,000 in-scope links (served on 127.0.0.1) must not make a worker do work in
// proportion to it: the browser hands over at most MAX_LINKS_READ distinct links, the page adds at
// most maxLinksPerPage children, the rest are counted in the job's one `linksDropped`, and the
// DynamoDB units the page costs stay under core/page-work.ts's bound for the cap. The cost of the
// big page is measured against a control job of the same shape whose seed has a handful of links,
// so what the two jobs share (claims, settles, the job's own items) cancels out.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_MAX_LINKS_PER_PAGE, MAX_LINKS_READ } from '../../functions/core/limits.js';
import { admissionBound } from '../../functions/core/page-work.js';
import type { PageRecord } from '../../functions/core/ports.js';
import type { LocalStack } from '../../local/stack.js';
import { crawl, readObject, startTestStack } from './harness.js';
import { jobWaitAtLeast } from './support/machine.js';
import { listenOnLoopback } from './support/loopback.js';

const LINKS = 100_000;
const MAX_PAGES = 5;

/** A big page's HTML, made once: /p/0 … /p/99999, each once. */
const bigPage = (() => {
  const anchors: string[] = [];
  for (let i = 0; i < LINKS; i++) anchors.push(`<a href="/p/${i}">${i}</a>`);
  return `<!doctype html><html><head><title>many links</title></head><body>${anchors.join('\n')}</body></html>`;
})();

async function startSite(): Promise<{ origin: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    res.writeHead(req.url === '/' || req.url === '/small' || req.url?.startsWith('/p/') ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    if (req.url === '/') return res.end(bigPage);
    if (req.url === '/small') return res.end(`<!doctype html><title>few links</title>${Array.from({ length: 8 }, (_, i) => `<a href="/p/${i}">${i}</a>`).join('')}`);
    res.end(`<!doctype html><title>${req.url}</title><p>leaf</p>`);
  });
  return listenOnLoopback(server);
}

let stack: LocalStack;
let site: Awaited<ReturnType<typeof startSite>>;

beforeAll(async () => {
  [stack, site] = await Promise.all([startTestStack({ workers: 1 }), startSite()]);
});

afterAll(async () => {
  await Promise.all([stack?.stop(), site?.stop()]);
});

it('a page of 100,000 links: the job ends, the cap holds, the dropped links are one count, DynamoDB work stays bounded', async () => {
  const wait = await jobWaitAtLeast(240_000, MAX_PAGES * 2);
  const control = await crawl(stack, { url: `${site.origin}/small`, depth: 1, maxPages: MAX_PAGES, autoscroll: false }, wait);
  await control.client.close();
  const big = await crawl(stack, { url: `${site.origin}/`, depth: 1, maxPages: MAX_PAGES, autoscroll: false }, wait);
  await big.client.close();

  expect(control.completed).toMatchObject({ status: 'succeeded', pages: MAX_PAGES, failed: 0, capped: 8 - (MAX_PAGES - 1) });
  expect(control.completed.linksDropped).toBeUndefined();

  // The job ends with its pages; past maxPages the capped markers are for the followed links only.
  const cap = DEFAULT_MAX_LINKS_PER_PAGE;
  expect(big.completed).toMatchObject({ status: 'succeeded', pages: MAX_PAGES, failed: 0, capped: cap - (MAX_PAGES - 1), linksDropped: LINKS - cap });
  const manifest = big.manifest as unknown as { linksDropped?: number; capped: number; pages: { url: string; linksDropped?: number; key: string }[] };
  expect(manifest.linksDropped).toBe(LINKS - cap);
  const seed = manifest.pages.find((p) => p.url === `${site.origin}/`)!;
  expect(seed.linksDropped).toBe(LINKS - cap);
  // The children are the first links in document order.
  expect(manifest.pages.map((p) => p.url).filter((u) => u !== seed.url).sort()).toEqual(Array.from({ length: MAX_PAGES - 1 }, (_, i) => `${site.origin}/p/${i}`).sort());

  // The browser handed over at most MAX_LINKS_READ links, and counted the rest.
  const record = await readObject<PageRecord>(stack, seed.key);
  expect(record.page.links).toHaveLength(MAX_LINKS_READ);
  expect(record.page.linksOmitted).toBe(LINKS - MAX_LINKS_READ);

  // DynamoDB: what the big job used beyond the control job is the big seed's admission of `cap`
  // children instead of 8, and stays within the stated bound (without the cap it would be ~600,000 write units).
  const bound = admissionBound(cap);
  const usage = (run: typeof big) => (run.manifest as unknown as { usage: { dynamoWriteUnits: number; dynamoReadUnits: number } }).usage;
  const extraWrites = usage(big).dynamoWriteUnits - usage(control).dynamoWriteUnits;
  const extraReads = usage(big).dynamoReadUnits - usage(control).dynamoReadUnits;
  console.log(`[links-per-page] control ${JSON.stringify(usage(control))}, big ${JSON.stringify(usage(big))}; bound ${JSON.stringify(bound)}`);
  expect(extraWrites).toBeGreaterThan(0);
  expect(extraWrites).toBeLessThanOrEqual(bound.writeUnits);
  expect(extraReads).toBeLessThanOrEqual(bound.readUnits);
});
