// Poison pages through the whole stack: each ends as that page's error after bounded retries, the
// job still completes, and the workers go on with the other pages.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { crawl, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

let stack: LocalStack;
let server: Server;
let origin = '';
let speed: MachineSpeed;
let timings: StackTimings;
const hits = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const html = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>${path}</title>${body}`);
    };
    switch (path) {
      case '/':
        return html(['/hang', '/loop', '/binary', '/dialogs', '/big', '/ok'].map((p) => `<a href="${p}">${p}</a>`).join(' '));
      case '/hang':
        return; // never answers
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        return res.end();
      case '/binary':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(Buffer.alloc(1024, 1));
      case '/dialogs':
        return html(`<script>alert(1); window.open('/ok', '_blank');</script><a href="/ok">ok</a>`);
      case '/big':
        return html(`<p>${'x'.repeat(3_000_000)}</p>`);
      default:
        return html('fine');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Timeouts from what this machine measures: /big (3 MB) and /dialogs must load within the
  // navigation timeout however busy the machine is; only /hang, which never answers, uses it up.
  speed = await machineSpeed();
  timings = stackTimings(speed, 3, { settleMaxMs: 1_000 });
  stack = await startTestStack({
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { NAV_TIMEOUT_MS: String(timings.navTimeoutMs), SETTLE_MAX_MS: String(timings.settleMaxMs), MAX_ATTEMPTS: '2', LEASE_MS: String(timings.leaseMs) },
  });
});

afterAll(async () => {
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

it('records poison pages as errors, retries only what may succeed, and completes the job', async () => {
  // /hang: two attempts of a whole navigation timeout, with a visibility timeout between them.
  const run = await crawl(stack, { url: `${origin}/`, depth: 1 }, jobWaitMs(timings, speed, { recoveries: 2, pages: 7 }) + 2 * timings.navTimeoutMs);
  expect(run.completed).toMatchObject({ status: 'partial', pages: 5, failed: 2 });
  const errors = new Map(run.manifest.errors.map((e) => [e.url.replace(origin, ''), e.error]));
  expect([...errors.keys()].sort()).toEqual(['/hang', '/loop']);
  expect(errors.get('/hang')).toMatch(/timed out/);
  expect(errors.get('/loop')).toMatch(/ERR_TOO_MANY_REDIRECTS/);
  const pages = new Map(run.manifest.pages.map((p) => [p.url.replace(origin, ''), p]));
  expect(pages.get('/binary')).toMatchObject({ status: 200, links: 0 });
  expect(pages.get('/dialogs')).toMatchObject({ status: 200, links: 1 });
  expect(pages.get('/big')).toMatchObject({ status: 200 });
  // Bounded retries: a timeout is tried MAX_ATTEMPTS (2) times, a redirect loop once. The site counts
  // requests, and on a heavily loaded machine one run saw 3 for /hang: Chromium may send a request
  // again within one attempt (a connection through the egress proxy dropped before any answer).
  // What must hold is that it is retried, and boundedly, not forever.
  expect(hits.get('/hang')).toBeGreaterThanOrEqual(2);
  expect(hits.get('/hang')).toBeLessThanOrEqual(2 * 2);
  expect(hits.get('/loop')).toBeGreaterThanOrEqual(1);
  expect(await settleAndCountCompletions(run)).toBe(1);
  await run.client.close();
});
