// A page's children on a busy host are sent paced (app/pace-children.ts): their turns in the
// host's backlog are reserved when they are sent, and each message is delayed to its turn, so a URL
// is received about once. Sent at once (before), nearly every child of a hub found the host's slot
// taken and went back to wait for a turn: one deferral per child (a run of this test without pacing
// counted 18 deferrals and 39 receives for these 21 pages).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Usage } from '../../functions/core/usage.js';
import type { LocalStack } from '../../local/stack.js';
import { crawl, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

const CHILDREN = 20;

let speed: MachineSpeed;
let timings: StackTimings;
let stack: LocalStack;
const servers: Server[] = [];

/** A hub `/` linking to `/p1` … `/pN`, each linking back; `fetched` records each document request. */
async function startHub(children: number): Promise<{ origin: string; fetched: string[] }> {
  const fetched: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') return res.writeHead(404).end();
    fetched.push(path);
    const links = path === '/' ? Array.from({ length: children }, (_, i) => `/p${i + 1}`) : ['/'];
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${path}</title><link rel="icon" href="data:,">${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, fetched };
}

beforeAll(async () => {
  speed = await machineSpeed();
  timings = stackTimings(speed, 3);
  // The default ceiling (2 navigations/s), and the concurrency of the politeness tests.
  stack = await startTestStack({
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs), HOST_RATE_CEILING: '2' },
  });
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); })));
});

it('on a busy host, a hub’s 20 children arrive on their turns: each received about once, few sent back to wait', async () => {
  const { origin, fetched } = await startHub(CHILDREN);
  const run = await crawl(stack, { url: `${origin}/`, depth: 1 }, jobWaitMs(timings, speed, { pages: CHILDREN + 1 }) + CHILDREN * 1000);
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: CHILDREN + 1, failed: 0 });
  const usage = (run.manifest as unknown as { usage: Usage }).usage;
  if (process.env.E2E_VERBOSE) console.log('usage', JSON.stringify(usage));
  expect(usage.navigations).toBe(CHILDREN + 1);
  // Unpaced, every child but the first one or two is deferred once (18 here); paced, a child is
  // sent back only when it came so late (its environment busy) that no slot was near.
  expect(usage.deferrals).toBeLessThanOrEqual(CHILDREN / 4);
  // The issue's goal: at most 1.5 receives per page.
  expect(usage.messagesReceived).toBeLessThanOrEqual(1.5 * (CHILDREN + 1));
  expect(new Set(fetched).size).toBe(fetched.length);
});

it('a job with its own hostRate: its children are paced at its rate, each page fetched once, few waits', async () => {
  const { origin, fetched } = await startHub(5);
  const run = await crawl(stack, { url: `${origin}/`, depth: 1, hostRate: 1 }, jobWaitMs(timings, speed, { pages: 6 }) + 6 * 2000);
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 6, failed: 0 });
  expect([...fetched].sort()).toEqual(['/', '/p1', '/p2', '/p3', '/p4', '/p5']);
  const usage = (run.manifest as unknown as { usage: Usage }).usage;
  if (process.env.E2E_VERBOSE) console.log('usage', JSON.stringify(usage));
  // Unpaced, the hub's five children found the job's slot (1 s apart) taken: four or five waits.
  expect(usage.deferrals).toBeLessThanOrEqual(1);
});
