// A robots.txt that fails for a while (5xx) makes the host's pages wait, not fail: they are asked
// about again on a later attempt, and crawled once the file answers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { crawl, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

let stack: LocalStack;
let server: Server;
let origin = '';
let robotsAsked = 0;
const documents: string[] = [];
let speed: MachineSpeed;
let timings: StackTimings;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/robots.txt') {
      robotsAsked++;
      // The first answer is a server error; every later one allows everything but /private.
      if (robotsAsked === 1) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('User-agent: *\nDisallow: /private\n');
    }
    documents.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${req.url}</title><a href="/one">one</a> <a href="/private">private</a>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  speed = await machineSpeed();
  timings = stackTimings(speed, 3);
  stack = await startTestStack({
    workers: 1,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    // The failure is remembered for 1 ms only: the next attempt asks again.
    env: { LEASE_MS: String(timings.leaseMs), MAX_ATTEMPTS: '3', ROBOTS_TRANSIENT_CACHE_MS: '1' },
  });
});

afterAll(async () => {
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

it('crawls the seed once robots.txt answers again, and still obeys the file it then gets', async () => {
  const run = await crawl(stack, { url: `${origin}/`, depth: 1 }, jobWaitMs(timings, speed, { recoveries: 1, pages: 3 }));
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 2, failed: 0, skipped: 1 });
  expect(run.manifest.pages.map((p) => p.url).sort()).toEqual([`${origin}/`, `${origin}/one`]);
  expect(run.manifest.errors).toEqual([]);
  expect(run.manifest.skipped).toEqual([{ url: `${origin}/private`, reason: expect.stringMatching(/^disallowed by robots.txt \(line 2\)/) }]);
  // The 503 was asked again, not taken as the answer for the job; /private was never requested.
  expect(robotsAsked).toBeGreaterThanOrEqual(2);
  expect(documents).not.toContain('/private');
  await run.client.close();
});
