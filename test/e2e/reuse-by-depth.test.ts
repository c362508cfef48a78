// Reuse by depth (issue 14), through the whole local stack with duplicate delivery on: a crawl of
// depth 2 is built upon by a request of depth 3 (only depth-3 pages are navigated; the manifest is
// a fresh depth-3 crawl's; the reused pages' records, Markdown and screenshots are the new job's),
// and answers a request of depth 1 with no navigation at all. A page the deeper crawl found first at
// depth 3 though a slower page links to it at depth 2 is listed at depth 2, there and in a depth-2 answer.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { crawl, startTestStack, type CrawlRun, type ManifestJson } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

let stack: LocalStack;
let server: Server;
let origin = '';
let speed: MachineSpeed;
let timings: StackTimings;
/** requests per path, as the site saw them */
const hits = new Map<string, number>();

/** A tree (depths are the same in any crawl order), every page linking back to the root. */
const TREE: Record<string, string[]> = {
  '/t/': ['/t/a', '/t/b'],
  '/t/a': ['/t/a1', '/t/a2'],
  '/t/b': ['/t/b1'],
  '/t/a1': ['/t/a1x'],
  '/t/a2': ['/t/a2x'],
  '/t/b1': ['/t/b1x', '/t/b1y'],
  '/t/a1x': ['/t/a1x4'],
};
const DEPTH_3 = ['/t/a1x', '/t/a2x', '/t/b1x', '/t/b1y'];

/**
 * /two/x is linked from /two/b (depth 2) and from /two/slow (depth 1). While `holdSlow`, /two/slow
 * answers only once /two/x was asked for, so a crawl of depth 3 records x at depth 3 (through b).
 */
const TWO: Record<string, string[]> = {
  '/two/': ['/two/a', '/two/slow'],
  '/two/a': ['/two/b'],
  '/two/b': ['/two/x'],
  '/two/slow': ['/two/x'],
  '/two/x': [],
};
let holdSlow = true;
let releaseSlow: () => void = () => {};
const xRequested = new Promise<void>((resolve) => (releaseSlow = resolve));

function page(res: ServerResponse, path: string, links: string[]): void {
  const home = path.startsWith('/two/') ? '/two/' : '/t/';
  const body = `<!doctype html><title>${path}</title><main><h1>Page ${path}</h1><p>Some text of ${path}.</p>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')} <a href="${home}">home</a></main>`;
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/two/x') releaseSlow();
    if (path === '/two/slow' && holdSlow) {
      void xRequested.then(() => page(res, path, TWO[path]!));
      return;
    }
    const links = TREE[path] ?? TWO[path] ?? (path.startsWith('/t/') ? [] : undefined);
    if (!links) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no');
      return;
    }
    page(res, path, links);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  speed = await machineSpeed();
  timings = stackTimings(speed, 3, { settleMaxMs: 1_000 });
  stack = await startTestStack({
    duplicateDelivery: true,
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { NAV_TIMEOUT_MS: String(timings.navTimeoutMs), SETTLE_MAX_MS: String(timings.settleMaxMs), MAX_ATTEMPTS: '3', LEASE_MS: String(timings.leaseMs) },
  });
});

afterAll(async () => {
  releaseSlow();
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

const urlAtDepth = (m: ManifestJson) => new Set(m.pages.map((p) => `${p.url.replace(origin, '')}@${p.depth}`));
const pageHits = (paths: string[]) => new Map(paths.map((p) => [p, hits.get(p) ?? 0]));

interface ContentLine {
  url: string;
  depth: number;
  markdown?: string;
  screenshot?: string;
  screenshotUrl?: string;
}

async function contentLines(run: CrawlRun): Promise<ContentLine[]> {
  const response = await fetch(run.completed.resultsUrl as string);
  expect(response.status).toBe(200);
  return (await response.text()).trim().split('\n').map((line) => JSON.parse(line) as ContentLine);
}

it('builds depth 3 upon depth 2 (only depth-3 pages navigated, the manifest of a fresh crawl), then answers depth 1 from it, no page rendered', async () => {
  const formats = ['html', 'markdown', 'screenshot'];
  const request = { url: `${origin}/t/`, formats };
  const shallow = await crawl(stack, { ...request, depth: 2 }, jobWaitMs(timings, speed, { pages: 6 }));
  expect(shallow.completed).toMatchObject({ status: 'succeeded', pages: 6, cached: false });
  expect(shallow.completed.reused).toBeUndefined();
  await shallow.client.close();

  const everyPath = [...Object.keys(TREE), ...DEPTH_3];
  const before = pageHits(everyPath);
  const deep = await crawl(stack, { ...request, depth: 3, maxAge: 3600 }, jobWaitMs(timings, speed, { pages: 10 }));
  expect(deep.completed).toMatchObject({ status: 'succeeded', pages: 10, failed: 0, cached: false, reused: 6 });
  expect(deep.jobId).not.toBe(shallow.jobId);
  // The site saw navigations for the depth-3 pages only, each once; nothing of depth ≤ 2 again.
  for (const path of everyPath) expect((hits.get(path) ?? 0) - before.get(path)!, path).toBe(DEPTH_3.includes(path) ? 1 : 0);
  expect(hits.get('/t/a1x4')).toBeUndefined();
  // Every page is the new job's: records, Markdown and screenshots copied, reused ones included.
  for (const p of deep.manifest.pages) expect(p.key, p.url).toMatch(new RegExp(`^jobs/${deep.jobId}/pages/`));
  const lines = await contentLines(deep);
  expect(lines).toHaveLength(10);
  for (const line of lines) {
    expect(line.markdown, line.url).toContain(`Page ${line.url.replace(origin, '')}`);
    expect(line.screenshot, line.url).toMatch(new RegExp(`^jobs/${deep.jobId}/outputs/`));
  }
  const reusedShot = lines.find((l) => l.url === `${origin}/t/a`)!;
  const png = await fetch(reusedShot.screenshotUrl!);
  expect(png.status).toBe(200);
  expect(Buffer.from(await png.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
  await deep.client.close();

  // Depth 1 from the cached crawls: no navigation at all, a manifest of depth ≤ 1 of its own, cut
  // in the finisher's function (the route only reads job items); its pages point at the cached records.
  const quiet = pageHits(everyPath);
  const one = await crawl(stack, { ...request, depth: 1, maxAge: 3600 }, replyWaitMs(speed));
  expect(one.completed).toMatchObject({ status: 'succeeded', pages: 3, failed: 0, cached: true, reused: 3 });
  expect([shallow.jobId, deep.jobId]).not.toContain(one.jobId);
  for (const p of one.manifest.pages) expect(p.key, p.url).toMatch(new RegExp(`^jobs/(${shallow.jobId}|${deep.jobId})/pages/`));
  expect(one.manifest.jobId).toBe(one.jobId);
  expect(urlAtDepth(one.manifest)).toEqual(new Set(['/t/@0', '/t/a@1', '/t/b@1']));
  expect(one.manifest.levels.map((l) => l.length)).toEqual([1, 2]);
  expect((await contentLines(one)).map((l) => l.url.replace(origin, '')).sort()).toEqual(['/t/', '/t/a', '/t/b']);
  for (const path of everyPath) expect(hits.get(path) ?? 0, path).toBe(quiet.get(path));
  // The same depth again: the built job itself answers.
  const again = await crawl(stack, { ...request, depth: 3, maxAge: 3600 }, replyWaitMs(speed));
  expect(again.completed).toMatchObject({ cached: true, pages: 10 });
  expect(again.jobId).toBe(deep.jobId);
  for (const path of everyPath) expect(hits.get(path) ?? 0, path).toBe(quiet.get(path));
  await Promise.all([one.client.close(), again.client.close()]);

  // A fresh crawl of depth 3 (no maxAge) lists the very same pages at the same depths.
  const fresh = await crawl(stack, { ...request, depth: 3 }, jobWaitMs(timings, speed, { pages: 10 }));
  expect(fresh.completed).toMatchObject({ status: 'succeeded', cached: false });
  expect(fresh.completed.reused).toBeUndefined();
  expect(urlAtDepth(deep.manifest)).toEqual(urlAtDepth(fresh.manifest));
  await fresh.client.close();
});

it('lists a page at its shortest depth when the deeper crawl found it first by a longer path', async () => {
  const deep = await crawl(stack, { url: `${origin}/two/`, depth: 3 }, jobWaitMs(timings, speed, { pages: 5, recoveries: 1 }));
  expect(deep.completed).toMatchObject({ status: 'succeeded', pages: 5 });
  // x was first found through b, at depth 3; slow's link then lowered it (exact depth,
  // test/e2e/exact-depth.test.ts), so the cached crawl itself lists it at its shortest depth.
  expect(urlAtDepth(deep.manifest)).toContain('/two/x@2');
  expect(hits.get('/two/x')).toBe(1);
  await deep.client.close();
  holdSlow = false;

  const before = pageHits(Object.keys(TWO));
  const two = await crawl(stack, { url: `${origin}/two/`, depth: 2, maxAge: 3600 }, replyWaitMs(speed));
  expect(two.completed).toMatchObject({ status: 'succeeded', pages: 5, cached: true });
  for (const path of Object.keys(TWO)) expect(hits.get(path) ?? 0, path).toBe(before.get(path));
  expect(two.manifest.pages.find((p) => p.url === `${origin}/two/x`)).toMatchObject({ depth: 2, parent: `${origin}/two/slow` });
  await two.client.close();

  // What a fresh crawl of depth 2 lists.
  const fresh = await crawl(stack, { url: `${origin}/two/`, depth: 2 }, jobWaitMs(timings, speed, { pages: 5 }));
  expect(urlAtDepth(two.manifest)).toEqual(urlAtDepth(fresh.manifest));
  expect(urlAtDepth(fresh.manifest)).toEqual(new Set(['/two/@0', '/two/a@1', '/two/slow@1', '/two/b@2', '/two/x@2']));
  await fresh.client.close();
});
