// Exact depth whatever the order (issue 27, item 10), through the whole local stack with duplicate
// delivery on. Each site has a short path to `hub` whose first page (`slow`) answers late, and a
// long path (a → b → hub) that reaches it first: the crawl finds hub through the long path, at a
// depth that cuts its links. The site holds its answers on what the frontier table shows, so the
// order is certain, not a matter of timing:
// - reopen: slow answers only once hub and mid (hub's child, at the job's depth: its links cut) are
//   done. The short path must reopen hub, then mid (a cascade), and crawl leaf, which lies within
//   the depth only through slow. The relinked mid's worker crashes after admitting leaf (before
//   sending it): the redelivered message must still put leaf on the queue.
// - claimed: slow answers once hub is asked for, and hub answers only once slow's worker lowered
//   hub's record while hub was claimed: hub's worker must admit its links at the new depth.
// Every page within the depth is crawled once (navigated once: a reopened page's stored record is
// reused), listed at its shortest depth with a parent one level up, and the levels are the BFS's.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { urlKeyOf } from '../../functions/core/keys.js';
import type { LocalStack } from '../../local/stack.js';
import type { CrawlOptions } from '../../client/index.js';
import { connectClient, doneWithin } from './support/test-client.js';
import { settleAndCountCompletions, startTestStack, type CrawlRun, type ManifestJson } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

let stack: LocalStack;
let server: Server;
let origin = '';
let speed: MachineSpeed;
let timings: StackTimings;
let db: DynamoDBDocumentClient;
/** navigations per path, as the site saw them */
const hits = new Map<string, number>();

/** job depth 4: hub is at 3 through a → b, at 2 through slow; mid at 4 (cut) or 3; leaf only at 4. */
const REOPEN: Record<string, string[]> = {
  '/r/': ['/r/a', '/r/slow'],
  '/r/a': ['/r/b'],
  '/r/b': ['/r/hub'],
  '/r/slow': ['/r/hub'],
  '/r/hub': ['/r/mid'],
  '/r/mid': ['/r/leaf'],
  '/r/leaf': ['/r/beyond'],
  '/r/beyond': [],
};
/** job depth 3: hub is at 3 through a → b (its links cut), at 2 through slow; mid only at 3. */
const CLAIMED: Record<string, string[]> = {
  '/c/': ['/c/a', '/c/slow'],
  '/c/a': ['/c/b'],
  '/c/b': ['/c/hub'],
  '/c/slow': ['/c/hub'],
  '/c/hub': ['/c/mid'],
  '/c/mid': ['/c/beyond'],
  '/c/beyond': [],
};
const SITE: Record<string, string[]> = { ...REOPEN, ...CLAIMED };

/** Answers held until the frontier shows what the scenario needs (set per test), asked at each request. */
const holds = new Map<string, () => Promise<void>>();
/** polls of the frontier stop here: a scenario that never happens fails the test, not the run */
let pollsStop = 0;

/** Each page's shortest depth from the root, up to `depth`: what an exact crawl lists. */
function bfs(graph: Record<string, string[]>, root: string, depth: number): Map<string, number> {
  const at = new Map([[root, 0]]);
  let level = [root];
  for (let d = 1; d <= depth; d++) {
    level = level.flatMap((p) => graph[p] ?? []).filter((p) => !at.has(p));
    level = [...new Set(level)];
    for (const p of level) at.set(p, d);
  }
  return at;
}

function answer(res: ServerResponse, path: string): void {
  const links = SITE[path]!;
  const body = `<!doctype html><title>${path}</title><main><h1>${path}</h1>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</main>`;
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(body);
}

interface Frontier {
  state: string;
  depth: number;
}

async function frontierOf(jobId: string, path: string): Promise<Frontier | undefined> {
  const result = await db.send(
    new GetCommand({ TableName: stack.resources.frontierTable, Key: { jobId, urlKey: urlKeyOf(`${origin}${path}`) }, ConsistentRead: true }),
  );
  return result.Item as Frontier | undefined;
}

/** Resolves once the URL's frontier record satisfies `ok`; rejects when the test's wait is over. */
async function frontierShows(jobId: Promise<string>, path: string, ok: (r: Frontier) => boolean): Promise<Frontier> {
  const id = await jobId;
  while (Date.now() < pollsStop) {
    const record = await frontierOf(id, path);
    if (record && ok(record)) return record;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path} never showed what the test waits for`);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (!SITE[path]) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no');
      return;
    }
    const hold = holds.get(path);
    if (hold) void hold().then(() => answer(res, path), () => answer(res, path));
    else answer(res, path);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  speed = await machineSpeed();
  // A held page waits for a few others to be crawled: its navigation timeout must outlast them.
  timings = stackTimings(speed, 3, { settleMaxMs: 1_000, navTimeoutMs: 30_000 });
  stack = await startTestStack({
    duplicateDelivery: true,
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { NAV_TIMEOUT_MS: String(timings.navTimeoutMs), SETTLE_MAX_MS: String(timings.settleMaxMs), MAX_ATTEMPTS: '3', LEASE_MS: String(timings.leaseMs) },
    // The reopened mid (its second attempt: a reopened page counts one) dies after admitting leaf.
    workerEnv: { CRAWLER_FAULTS: 'after-admit@/r/mid#2' },
  });
  db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint: stack.endpoints.dynamodb, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
  );
});

afterAll(async () => {
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

/** Submits the crawl; `jobId` resolves at `accepted`, so the site's holds can watch the job. */
async function submit(request: Record<string, unknown>, hold: (jobId: Promise<string>) => void, timeoutMs: number): Promise<CrawlRun> {
  pollsStop = Date.now() + timeoutMs;
  const client = await connectClient(stack.wsUrl);
  let accept: (id: string) => void = () => {};
  const jobId = new Promise<string>((resolve) => (accept = resolve));
  hold(jobId);
  const job = await client.crawl(request as CrawlOptions);
  accept(job.jobId);
  const { completed, manifest } = await doneWithin(client, job, timeoutMs);
  return { jobId: job.jobId, completed, manifest: manifest as unknown as ManifestJson, client };
}

/** The manifest is an exact crawl of `graph` from `root` to `depth`: pages, depths, parents, levels. */
function expectExact(manifest: ManifestJson, graph: Record<string, string[]>, root: string, depth: number): void {
  const expected = bfs(graph, root, depth);
  const listed = new Map(manifest.pages.map((p) => [p.url.replace(origin, ''), p]));
  expect(new Map([...listed].map(([path, p]) => [path, p.depth]))).toEqual(expected);
  for (const [path, p] of listed) {
    if (path === root) continue;
    const parent = p.parent!.replace(origin, '');
    // The parent is a page one level up that links here: a shortest path, as a BFS would record.
    expect(expected.get(parent), `${path}'s parent ${parent}`).toBe(p.depth - 1);
    expect(graph[parent], `${parent} links to ${path}`).toContain(path);
  }
  const levels = Array.from({ length: depth + 1 }, (_, d) => [...expected].filter(([, at]) => at === d).map(([path]) => `${origin}${path}`).sort());
  expect(manifest.levels.map((level) => [...level].sort())).toEqual(levels);
  expect(manifest.errors).toEqual([]);
}

it('reopens pages crawled first at a depth that cut their links, and crawls what they lead to', async () => {
  let seen: Frontier | undefined;
  const run = await submit(
    { url: `${origin}/r/`, depth: 4 },
    (jobId) => {
      // slow answers only once hub (depth 3) and mid (depth 4, links cut) are done through a → b.
      const bothDone = Promise.all([
        frontierShows(jobId, '/r/hub', (r) => r.state === 'done' && r.depth === 3),
        frontierShows(jobId, '/r/mid', (r) => r.state === 'done' && r.depth === 4),
      ]);
      const released = bothDone.then(([, mid]) => void (seen = mid));
      holds.set('/r/slow', () => released);
    },
    jobWaitMs(timings, speed, { pages: 8, recoveries: 1 }),
  );
  // The order this test is about did happen: mid was done at depth 4 before slow answered.
  expect(seen).toMatchObject({ state: 'done', depth: 4 });
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 7, failed: 0 });
  expectExact(run.manifest, REOPEN, '/r/', 4);
  expect(run.manifest.pages.find((p) => p.url === `${origin}/r/hub`)).toMatchObject({ depth: 2, parent: `${origin}/r/slow` });
  expect(run.manifest.pages.find((p) => p.url === `${origin}/r/leaf`)).toMatchObject({ depth: 4, parent: `${origin}/r/mid` });
  // Each page navigated once: reopened pages were not rendered again; beyond the depth, never.
  for (const path of Object.keys(REOPEN)) expect(hits.get(path) ?? 0, path).toBe(path === '/r/beyond' ? 0 : 1);
  expect(await settleAndCountCompletions(run)).toBe(1);
  await run.client.close();
});

it('makes the worker that holds a page admit its links again when a shorter path lowers it meanwhile', async () => {
  let seen: Frontier | undefined;
  const run = await submit(
    { url: `${origin}/c/`, depth: 3 },
    (jobId) => {
      let hubAsked: () => void = () => {};
      const slowReleased = new Promise<void>((resolve) => (hubAsked = resolve));
      holds.set('/c/slow', () => slowReleased);
      // hub answers once its record, claimed by the worker waiting on this answer, is at depth 2.
      const lowered = frontierShows(jobId, '/c/hub', (r) => r.state === 'claimed' && r.depth === 2).then((r) => void (seen = r));
      holds.set('/c/hub', () => {
        hubAsked();
        return lowered;
      });
    },
    jobWaitMs(timings, speed, { pages: 6 }),
  );
  expect(seen).toMatchObject({ state: 'claimed', depth: 2 });
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 6, failed: 0 });
  expectExact(run.manifest, CLAIMED, '/c/', 3);
  expect(run.manifest.pages.find((p) => p.url === `${origin}/c/mid`)).toMatchObject({ depth: 3, parent: `${origin}/c/hub` });
  for (const path of Object.keys(CLAIMED)) expect(hits.get(path) ?? 0, path).toBe(path === '/c/beyond' ? 0 : 1);
  expect(await settleAndCountCompletions(run)).toBe(1);
  await run.client.close();
});
