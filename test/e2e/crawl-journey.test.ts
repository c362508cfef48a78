// The whole journey over a real WebSocket: local gateway → handlers → DynamoDB Local, the SQS/S3
// emulator → Chromium workers → S3 → completion pushed back through @connections.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoSite, type DemoSite } from '../../local/demo-site.js';
import type { LocalStack } from '../../local/stack.js';
import type { StatusMessage } from '../../client/index.js';
import { connectClient } from './support/test-client.js';
import { crawl, pageObjectKeys, paths, readObject, settleAndCountCompletions, startTestStack } from './harness.js';

let stack: LocalStack;
let site: DemoSite;

beforeAll(async () => {
  [stack, site] = await Promise.all([startTestStack(), startDemoSite()]);
});

afterAll(async () => {
  await Promise.all([stack?.stop(), site?.stop()]);
});

describe.each([2, 3])('a crawl of depth %i', (depth) => {
  it('records exactly the pages within the depth, each fetched once, and completes once', async () => {
    site.reset();
    const run = await crawl(stack, { url: `${site.origin}/`, depth, requestId: `depth-${depth}` });
    const expected = site.documentsByDepth.slice(0, depth + 1);

    expect(run.completed).toMatchObject({ type: 'completed', jobId: run.jobId, status: 'succeeded', cached: false, failed: 0 });
    expect(run.completed.pages).toBe(expected.flat().length);
    expect(run.manifest.status).toBe('succeeded');
    expect(paths(run.manifest.pages.map((p) => p.url), site.origin)).toEqual(expected.flat().sort());
    expect(run.manifest.levels.map((level) => paths(level, site.origin))).toEqual(expected.map((level) => [...level].sort()));
    expect(run.manifest.errors).toEqual([]);

    // Every document fetched once; nothing beyond the depth, nothing off-host. A PDF twice: Chromium
    // downloads it and keeps no body, so the document reader asks for it again (adapters/browser/document-body.ts).
    const documents = [...expected.flat(), '/moved.html'];
    for (const doc of documents) expect(site.requests.get(doc), doc).toBe(doc.endsWith('.pdf') ? 2 : 1);
    for (const doc of site.documentsByDepth.slice(depth + 1).flat()) expect(site.requests.get(doc), doc).toBeUndefined();
    expect([...site.offHostRequests.keys()]).toEqual([]);

    // One page record per URL in S3, the one the manifest points at.
    const keys = await pageObjectKeys(stack, run.jobId);
    expect(keys.sort()).toEqual(run.manifest.pages.map((p) => p.key).sort());

    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });
});

describe('what the manifest says about each page', () => {
  it('records redirects, statuses, titles, hashes and script-inserted links', async () => {
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 1 });
    const byPath = new Map(run.manifest.pages.map((p) => [p.url.replace(site.origin, ''), p]));
    expect(byPath.get('/redirect')).toMatchObject({ finalUrl: `${site.origin}/moved.html`, status: 200, title: 'Moved here', depth: 1, parent: `${site.origin}/` });
    expect(byPath.get('/missing')).toMatchObject({ status: 404, depth: 1 });
    expect(byPath.get('/report.pdf')).toMatchObject({ status: 200, links: 0 });
    expect(byPath.get('/')).toMatchObject({ status: 200, title: 'Home', depth: 0, parent: null });
    for (const page of run.manifest.pages) expect(page.sha256).toMatch(/^[0-9a-f]{64}$/);

    const record = await readObject<{ page: { links: string[]; html: string; timings: { totalMs: number } } }>(stack, byPath.get('/a.html')?.key ?? '');
    expect(record.page.links).toContain(`${site.origin}/delayed.html`);
    expect(record.page.html).toContain('Delayed');
    expect(record.page.timings.totalMs).toBeGreaterThan(0);
    await run.client.close();
  });

  it('answers status with the counters and the manifest of a finished job', async () => {
    const run = await crawl(stack, { url: `${site.origin}/deeper.html`, depth: 0 });
    const status = await run.client.status(run.jobId);
    expect(status).toMatchObject({ type: 'status', jobId: run.jobId, status: 'succeeded', done: 1, queued: 0, failed: 0 });
    expect((await fetch(status.manifestUrl as string)).status).toBe(200);
    await run.client.close();
  });
});

describe('limits and lost clients', () => {
  it('skips the subresource types a crawl blocks, and loads them otherwise', async () => {
    site.reset();
    const plain = await crawl(stack, { url: `${site.origin}/`, depth: 0 });
    expect(plain.completed).toMatchObject({ status: 'succeeded', pages: 1 });
    expect([site.requests.get('/logo.png'), site.requests.get('/site.css')]).toEqual([1, 1]);
    site.reset();
    const blocked = await crawl(stack, { url: `${site.origin}/`, depth: 2, block: ['image', 'stylesheet'] });
    expect(blocked.completed).toMatchObject({ status: 'succeeded', failed: 0 });
    // the same pages as without blocking: the links scripts and fetch() insert are still found
    expect(paths(blocked.manifest.pages.map((p) => p.url), site.origin)).toEqual(site.documentsByDepth.slice(0, 3).flat().sort());
    expect([site.requests.get('/logo.png'), site.requests.get('/site.css')]).toEqual([undefined, undefined]);
    await Promise.all([plain.client.close(), blocked.client.close()]);
  });

  it("obeys each site's robots.txt unless asked not to", async () => {
    const requested: string[] = [];
    const server = createServer((req, res) => {
      requested.push(req.url ?? '');
      if (req.url === '/robots.txt') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('User-agent: *\nDisallow: /private/\n');
      }
      const links: Record<string, string> = { '/': '<a href="/private/a.html">a</a> <a href="/public.html">p</a>', '/public.html': '<a href="/private/b.html">b</a>' };
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>${req.url}</title>${links[req.url ?? ''] ?? ''}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const obeying = await crawl(stack, { url: `${origin}/`, depth: 2 });
      // Disallowed URLs are skipped, not failed: the crawl succeeds (#29).
      expect(obeying.completed).toMatchObject({ status: 'succeeded', pages: 2, failed: 0, skipped: 2 });
      expect(paths(obeying.manifest.pages.map((p) => p.url), origin)).toEqual(['/', '/public.html']);
      expect(obeying.manifest.errors).toEqual([]);
      expect(obeying.manifest.skipped.map((e) => [e.url.replace(origin, ''), e.reason]).sort()).toEqual([
        ['/private/a.html', 'disallowed by robots.txt (line 2)'],
        ['/private/b.html', 'disallowed by robots.txt (line 2)'],
      ]);
      expect(requested.filter((path) => path.startsWith('/private/'))).toEqual([]);
      expect(requested.filter((path) => path === '/robots.txt').length).toBeGreaterThanOrEqual(1);

      const ignoring = await crawl(stack, { url: `${origin}/`, depth: 2, robots: false });
      expect(ignoring.completed).toMatchObject({ status: 'succeeded', pages: 4, failed: 0 });
      expect(requested.filter((path) => path.startsWith('/private/')).sort()).toEqual(['/private/a.html', '/private/b.html']);
      await Promise.all([obeying.client.close(), ignoring.client.close()]);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers an equal request from the result cache within maxAge, and crawls otherwise', async () => {
    const request = { url: `${site.origin}/`, depth: 1, maxPages: 50 };
    const first = await crawl(stack, request);
    expect(first.completed).toMatchObject({ status: 'succeeded', cached: false });
    site.reset();
    const cached = await crawl(stack, { ...request, maxAge: 3600, requestId: 'from-cache' });
    expect(cached.jobId).toBe(first.jobId);
    expect(cached.completed).toMatchObject({ status: 'succeeded', cached: true, requestId: 'from-cache', pages: first.completed.pages });
    expect(cached.manifest.pages.map((p) => p.url)).toEqual(first.manifest.pages.map((p) => p.url));
    expect([...site.requests.keys()]).toEqual([]);
    // another option changes the result: crawled again
    const other = await crawl(stack, { ...request, maxAge: 3600, block: ['image'] });
    expect(other.completed).toMatchObject({ status: 'succeeded', cached: false });
    expect(other.jobId).not.toBe(first.jobId);
    await Promise.all([first.client.close(), cached.client.close(), other.client.close()]);
  });

  it('stops admitting pages at maxPages', async () => {
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 3, maxPages: 5 });
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 5 });
    expect(run.manifest.pages).toHaveLength(5);
    expect(run.manifest.pages[0]?.url).toBe(`${site.origin}/`);
    await run.client.close();
  });

  it('finishes the job of a client that went away, and status on a new connection returns it', async () => {
    const gone = await connectClient(stack.wsUrl);
    const accepted = await gone.crawl({ url: `${site.origin}/`, depth: 1 });
    await gone.close();
    // The completion is pushed to a closed connection: @connections answers 410 GoneException.
    const later = await connectClient(stack.wsUrl);
    let status: StatusMessage | undefined;
    for (let i = 0; i < 60 && status?.status !== 'succeeded'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      status = await later.status(accepted.jobId);
    }
    expect(status).toMatchObject({ status: 'succeeded', done: 7, queued: 0 });
    const manifest = (await (await fetch(status?.manifestUrl as string)).json()) as { pages: unknown[] };
    expect(manifest.pages).toHaveLength(7);
    await later.close();
  });
});
