// Never crawl twice (issue 14), through the whole local stack with duplicate delivery on:
// `capped` counts each in-scope link left out at maxPages once, and a capped crawl answers no
// later request from the cache.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { crawl, paths, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

let stack: LocalStack;
let server: Server;
let origin = '';
let speed: MachineSpeed;
let timings: StackTimings;
/** navigations (GETs of pages) per path, as the site saw them */
const hits = new Map<string, number>();

const link = (href: string) => `<a href="${href}">${href}</a>`;

/**
 * /cap/: two pages that both link to the same five pages (and to each other): 8 in-scope pages
 * within depth 2.
 */
const CAP_SITE: Record<string, string[]> = {
  '/cap/': ['/cap/a', '/cap/b'],
  '/cap/a': ['/cap/', '/cap/b', '/cap/x1', '/cap/x2', '/cap/x3', '/cap/x4', '/cap/x5'],
  '/cap/b': ['/cap/a', '/cap/x5', '/cap/x4', '/cap/x3', '/cap/x2', '/cap/x1'],
};

function handle(path: string, res: import('node:http').ServerResponse): void {
  if (path === '/robots.txt') {
    res.writeHead(404);
    res.end();
    return;
  }
  const links = CAP_SITE[path] ?? (path.startsWith('/cap/x') ? ['/cap/deeper'] : []);
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<!doctype html><title>${path}</title>${links.map(link).join(' ')}`);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    handle(path, res);
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
    env: { NAV_TIMEOUT_MS: String(timings.navTimeoutMs), SETTLE_MAX_MS: String(timings.settleMaxMs), MAX_ATTEMPTS: '2', LEASE_MS: String(timings.leaseMs) },
  });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

it('counts each in-scope link left out at maxPages once, and never answers from a capped crawl', async () => {
  const waitMs = jobWaitMs(timings, speed, { pages: 8 });
  const request = { url: `${origin}/cap/`, depth: 2, maxPages: 4 };
  const run = await crawl(stack, request, waitMs);
  // 8 distinct in-scope pages within depth 2; 4 fit; x1..x5 are linked from two pages each.
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 4, capped: 4 });
  expect(run.manifest.pages).toHaveLength(4);
  expect((run.manifest as unknown as { capped: number }).capped).toBe(4);
  expect(paths(run.manifest.pages.map((p) => p.url), origin).slice(0, 3)).toEqual(['/cap/', '/cap/a', '/cap/b']);
  expect(run.manifest.errors).toEqual([]);
  expect(run.manifest.levels.flat()).toHaveLength(4);
  expect(await settleAndCountCompletions(run)).toBe(1);
  await run.client.close();

  // The same request with maxAge: a capped crawl is no answer, a new job crawls.
  const again = await crawl(stack, { ...request, maxAge: 3600 }, waitMs + replyWaitMs(speed));
  expect(again.completed).toMatchObject({ cached: false, capped: 4 });
  expect(again.jobId).not.toBe(run.jobId);
  await again.client.close();
}, 900_000);
