// Heavy work off the routes (issue 27, item 8), through the whole local stack with duplicate
// delivery on: the `redrive` route answers from the job's counters and the finisher's function
// lists, puts back and queues the failed pages — killed after its first chunk, before it sent
// anything, its message comes back and the run still crawls each page once and ends once. The
// crawl route with `maxAge` answers `accepted` and the finisher's function builds the job upon the
// cached crawl — killed after the build is committed, before its URLs are sent, likewise.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { REQUEUE_CHUNK } from '../../functions/app/redrive-run.js';
import type { LocalStack } from '../../local/stack.js';
import { connectClient, doneWithin } from './support/test-client.js';
import { crawl, pageObjectKeys, paths, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

/** failed pages of the redriven job: more than one chunk, so the kill falls between two */
const FAILED = REQUEUE_CHUNK + 31;

let stack: LocalStack;
let server: Server;
let origin = '';
let speed: MachineSpeed;
let timings: StackTimings;
let finishWaitMs = 0;
const lines: string[] = [];
/** navigations per path, as the site saw them */
const hits = new Map<string, number>();
/** /many/p* reset the connection while this is true */
let manyBroken = true;

const link = (href: string) => `<a href="${href}">${href}</a>`;
const manyPages = Array.from({ length: FAILED }, (_, i) => `/many/p${i}`);
/** /b/: a tree of depth 2 (2 + 4 pages under the seed), crawled at depth 1 then built upon at depth 2 */
const BUILD_SITE: Record<string, string[]> = {
  '/b/': ['/b/x', '/b/y'],
  '/b/x': ['/b/x1', '/b/x2'],
  '/b/y': ['/b/y1', '/b/y2'],
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith('/many/p') && manyBroken) {
      res.socket?.destroy(); // no answer at all: the page fails
      return;
    }
    const links = path === '/many/' ? manyPages : (BUILD_SITE[path] ?? []);
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${path}</title>${links.map(link).join(' ')}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  speed = await machineSpeed();
  timings = stackTimings(speed, 3, { settleMaxMs: 1_000 });
  // The finisher's function gets a crawler invocation's time, its queue a visibility above that (as
  // on AWS): a killed invocation's message comes back after it.
  const finisherTimeoutMs = timings.workerTimeoutMs;
  const finishVisibilityTimeoutSeconds = Math.ceil(finisherTimeoutMs / 1000) + 10;
  finishWaitMs = finishVisibilityTimeoutSeconds * 1000 + finisherTimeoutMs;
  stack = await startTestStack({
    duplicateDelivery: true,
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    finisherTimeoutMs,
    finishVisibilityTimeoutSeconds,
    finishers: 1,
    // One attempt a page: a broken page fails at once, and a page crawled twice would show.
    env: { NAV_TIMEOUT_MS: String(timings.navTimeoutMs), SETTLE_MAX_MS: String(timings.settleMaxMs), MAX_ATTEMPTS: '1', LEASE_MS: String(timings.leaseMs) },
    finisherEnv: { FINISHER_FAULTS: 'redrive-mid-requeue#1,reuse-before-send' },
    log: (line) => {
      lines.push(line);
      if (process.env.E2E_VERBOSE) console.log(line);
    },
  });
});

/** What the finisher's function and the sweeper did is what a failure here needs to be read. */
const printLogOnFailure = () => onTestFailed(() => console.log(lines.filter((line) => /finisher-|redriv|reuse|sweep|injected|complet|gone|notif/i.test(line)).slice(-60).join('\n')));

afterAll(async () => {
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

const finisherLines = (text: string) => lines.filter((line) => line.startsWith('[finisher-') && line.includes(text));

it(`redrives ${FAILED} failed pages from the finisher's function, killed mid-way: each page once, one completed`, async () => {
  printLogOnFailure();
  const waitMs = jobWaitMs(timings, speed, { pages: FAILED + 1 });
  const first = await crawl(stack, { url: `${origin}/many/`, depth: 1, maxPages: FAILED + 1 }, waitMs);
  expect(first.completed).toMatchObject({ status: 'partial', pages: 1, failed: FAILED });
  await first.client.close();
  manyBroken = false;
  const before = new Map(hits);
  const failedInvocationsBefore = stack.finisherInvocations().filter((i) => !i.ok).length;

  const client = await connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });
  const redriven = await client.redrive(first.jobId);
  const accepted = await client.waitFor((m) => m.type === 'accepted');
  expect(accepted).toMatchObject({ type: 'accepted', jobId: first.jobId, redrive: true });
  const { completed } = await doneWithin(client, redriven, waitMs + finishWaitMs);
  expect(completed).toMatchObject({ status: 'succeeded', pages: FAILED + 1, failed: 0, requestId: accepted.requestId });

  // The route only opened the run: the listing, the reset and the sends were the finisher's
  // function's, which died after its first chunk (nothing sent yet) and did it again from its message.
  expect(finisherLines('injected fault').filter((l) => l.includes('redrive-mid-requeue'))).toHaveLength(1);
  expect(stack.finisherInvocations().filter((i) => !i.ok).length - failedInvocationsBefore).toBe(1);
  const queued = finisherLines('redriven URLs queued');
  expect(queued).toHaveLength(1);
  // The repeat found the first chunk put back already (queued, sent again) and reset only the rest.
  // It sends every URL still to crawl: all of them, but for a first-chunk URL a late duplicate of
  // the first crawl's message (duplicate delivery is on) claimed and crawled meanwhile — still once.
  const repeat = JSON.parse(queued[0]!.slice(queued[0]!.indexOf('{'))) as { urls: number; failed: number };
  expect(repeat.failed).toBe(FAILED - REQUEUE_CHUNK);
  expect(repeat.urls).toBeLessThanOrEqual(FAILED);
  expect(repeat.urls).toBeGreaterThan(FAILED - REQUEUE_CHUNK);
  expect(lines.some((l) => !l.startsWith('[finisher-') && l.includes('redriven URLs queued'))).toBe(false);

  // Each failed page crawled once more, the seed not again; one record each; one completed.
  for (const path of manyPages) expect((hits.get(path) ?? 0) - (before.get(path) ?? 0), path).toBe(1);
  expect(hits.get('/many/')).toBe(before.get('/many/'));
  const records = await pageObjectKeys(stack, first.jobId);
  expect(new Set(records).size).toBe(FAILED + 1);
  expect(records).toHaveLength(FAILED + 1);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(client.received.filter((m) => m.type === 'completed' && m.jobId === first.jobId)).toHaveLength(1);
  await client.close();
});

it("builds upon a cached crawl in the finisher's function, killed before sending: the deeper pages once, one completed", async () => {
  printLogOnFailure();
  const waitMs = jobWaitMs(timings, speed, { pages: 7 });
  const shallow = await crawl(stack, { url: `${origin}/b/`, depth: 1, maxAge: 3600 }, waitMs);
  expect(shallow.completed).toMatchObject({ status: 'succeeded', pages: 3 });
  await shallow.client.close();
  const before = new Map(hits);

  const deeper = await crawl(stack, { url: `${origin}/b/`, depth: 2, maxAge: 3600 }, waitMs + finishWaitMs);
  expect(deeper.completed).toMatchObject({ status: 'succeeded', pages: 7, reused: 3, cached: false });
  expect(paths(deeper.manifest.pages.map((p) => p.url), origin)).toEqual(['/b/', '/b/x', '/b/x1', '/b/x2', '/b/y', '/b/y1', '/b/y2']);
  // The build was the finisher's function's: committed, killed before sending, sent on the repeat.
  expect(finisherLines('injected fault').filter((l) => l.includes('reuse-before-send'))).toHaveLength(1);
  expect(finisherLines('job built upon a cached crawl')).toHaveLength(1);
  expect(finisherLines('reuse request handled').some((l) => l.includes('"outcome":"built"'))).toBe(true);
  // Only the depth-2 pages were navigated, each once; the reused ones not again.
  for (const path of ['/b/', '/b/x', '/b/y']) expect(hits.get(path), path).toBe(before.get(path));
  for (const path of ['/b/x1', '/b/x2', '/b/y1', '/b/y2']) expect(hits.get(path), path).toBe(1);
  expect(await settleAndCountCompletions(deeper)).toBe(1);
  await deeper.client.close();
});
