// Never crawl twice (issue 14), through the whole local stack with duplicate delivery on:
// `capped` counts each in-scope link left out at maxPages once, and a capped crawl answers no
// later request from the cache; `redrive` crawls again only what failed, in the same job, from
// another connection, once however many ask at the same time, and keeps its guarantees when a
// worker dies in the middle of it. Reuse by depth: reuse-by-depth.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket, type Received } from './support/raw-socket.js';
import { connectClient, doneWithin, refusal } from './support/test-client.js';
import { crawl, pageObjectKeys, paths, settleAndCountCompletions, startTestStack, type ManifestJson } from './harness.js';
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

/** /r/flaky resets the connection while this is true: the site hiccups, then heals. */
let flakyBroken = true;
/** /rc/flaky likewise, for the redrive whose worker crashes (CRAWLER_FAULTS below) */
let crashFlakyBroken = true;
/** the stack's log lines: an injected fault says it fired */
const stackLog: string[] = [];
/** /held/1 answers once this resolves, so a job stays running while the test needs it */
let releaseHeld!: () => void;
const held = new Promise<void>((resolve) => (releaseHeld = resolve));

const REDRIVE_SITE: Record<string, string[]> = {
  '/r/': ['/r/ok1', '/r/ok2', '/r/flaky'],
  '/r/ok1': ['/r/flaky', '/r/'],
  '/r/ok2': [],
  // Its child is found only once it loads: a recovered page's links are followed as usual.
  '/r/flaky': ['/r/child'],
  '/r/child': [],
  '/robots-only/': ['/robots-only/private', '/robots-only/fine'],
  '/held/': ['/held/1'],
  '/rc/': ['/rc/ok', '/rc/flaky'],
  '/rc/ok': ['/rc/'],
  '/rc/flaky': ['/rc/child'],
  '/rc/child': [],
};

function handle(path: string, res: import('node:http').ServerResponse): void {
  if (path === '/robots.txt') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('User-agent: *\nDisallow: /robots-only/private\n');
    return;
  }
  if ((path === '/r/flaky' && flakyBroken) || (path === '/rc/flaky' && crashFlakyBroken)) {
    res.socket?.destroy(); // a connection reset: the browser sees no answer at all
    return;
  }
  if (path === '/held/1') {
    void held.then(() => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>held</title>');
    });
    return;
  }
  if (REDRIVE_SITE[path]) {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${path}</title>${REDRIVE_SITE[path].map(link).join(' ')}`);
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
    // The worker that crawls /rc/flaky once it heals dies after admitting its child, before sending
    // it: fires once, at the first attempt that gets there (the redrive's; the first crawl never does).
    workerEnv: { CRAWLER_FAULTS: 'after-admit@/rc/flaky' },
    log: (line) => {
      stackLog.push(line);
      if (process.env.E2E_VERBOSE) console.log(line);
    },
  });
});

afterAll(async () => {
  releaseHeld?.();
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
});

async function fetchManifest(url: string): Promise<ManifestJson> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as ManifestJson;
}

/** The first answer to `requestId` on this bare socket: accepted, or an error. */
function answerTo(client: RawSocket, requestId: string): Promise<Received> {
  return client.waitFor((m) => (m.type === 'accepted' || m.type === 'error') && m.requestId === requestId, replyWaitMs(speed));
}

it('redrives only the failed page, in the same job, from another connection, once of two at once', async () => {
  const waitMs = jobWaitMs(timings, speed, { recoveries: 2, pages: 5 });
  const first = await crawl(stack, { url: `${origin}/r/`, depth: 2 }, waitMs);
  expect(first.completed).toMatchObject({ status: 'partial', pages: 3, failed: 1 });
  expect(paths(first.manifest.errors.map((e) => e.url), origin)).toEqual(['/r/flaky']);
  expect(await settleAndCountCompletions(first)).toBe(1);
  // The client leaves; the site heals.
  await first.client.close();
  flakyBroken = false;
  const before = new Map(hits);

  // Two redrives at the same time, from two new connections: one runs, the other is refused.
  const [a, b] = await Promise.all([connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) }), connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) })]);
  const answers = await Promise.allSettled([a.redrive(first.jobId), b.redrive(first.jobId)]);
  const won = answers.flatMap((answer, i) => (answer.status === 'fulfilled' ? [{ job: answer.value, client: [a, b][i]! }] : []));
  expect(won, JSON.stringify(answers)).toHaveLength(1);
  const [winner, loser] = won[0]!.client === a ? [a, b] : [b, a];
  const accepted = await winner.waitFor((m) => m.type === 'accepted');
  expect(accepted).toMatchObject({ jobId: first.jobId, redrive: true, cached: false });
  const refused = answers.find((answer) => answer.status === 'rejected');
  expect(refused?.status === 'rejected' && refused.reason).toMatchObject({ code: 'job_running', jobId: first.jobId });

  const { completed } = await doneWithin(winner, won[0]!.job, waitMs);
  expect(completed).toMatchObject({ status: 'succeeded', pages: 5, failed: 0, requestId: accepted.requestId, cached: false });
  const manifest = await fetchManifest(completed.manifestUrl);
  expect(manifest.jobId).toBe(first.jobId);
  expect(manifest.errors).toEqual([]);
  expect(paths(manifest.pages.map((p) => p.url), origin)).toEqual(['/r/', '/r/child', '/r/flaky', '/r/ok1', '/r/ok2']);
  expect(manifest.pages.find((p) => p.url.endsWith('/r/child'))).toMatchObject({ depth: 2, parent: `${origin}/r/flaky` });

  // Nothing that had been crawled was rendered again; the healed page once, its new child once.
  for (const path of ['/r/', '/r/ok1', '/r/ok2']) expect(hits.get(path), path).toBe(before.get(path));
  expect((hits.get('/r/flaky') ?? 0) - (before.get('/r/flaky') ?? 0)).toBe(1);
  expect(hits.get('/r/child')).toBe(1);

  // One `completed` for the run, to the connection that asked; none to the refused one.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(winner.received.filter((m) => m.type === 'completed' && m.jobId === first.jobId)).toHaveLength(1);
  expect(loser.received.filter((m) => m.type === 'completed')).toHaveLength(0);

  // Everything recovered: nothing left to redrive.
  expect(await refusal(winner.redrive(first.jobId))).toMatchObject({ type: 'error', code: 'nothing_to_redrive', jobId: first.jobId });
  await Promise.all([a.close(), b.close()]);
});

it('refuses a redrive of an unknown, running or robots-only job, and a malformed one', async () => {
  // Malformed redrives: the typed client cannot send them, a bare socket can.
  const raw = await RawSocket.connect(stack.wsUrl);
  raw.send({ action: 'redrive', requestId: 'no-id' });
  expect(await answerTo(raw, 'no-id')).toMatchObject({ type: 'error', code: 'invalid_request' });
  raw.send({ action: 'redrive', jobId: 'x', depth: 2, requestId: 'extra' });
  expect(await answerTo(raw, 'extra')).toMatchObject({ type: 'error', code: 'invalid_request' });
  await raw.close();
  const client = await connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });
  expect(await refusal(client.redrive('00000000-0000-4000-8000-000000000000'))).toMatchObject({ type: 'error', code: 'job_not_found' });

  // A running job (one of its pages is held).
  const heldJob = await client.crawl({ url: `${origin}/held/`, depth: 1 });
  expect(await refusal(client.redrive(heldJob.jobId))).toMatchObject({ type: 'error', code: 'job_running', jobId: heldJob.jobId });
  releaseHeld();
  const waitMs = jobWaitMs(timings, speed, { pages: 3 });
  expect((await doneWithin(client, heldJob, waitMs)).completed).toMatchObject({ status: 'succeeded' });
  expect(await refusal(client.redrive(heldJob.jobId))).toMatchObject({ type: 'error', code: 'nothing_to_redrive' });

  // A job whose only miss is a page robots.txt disallows: skipped, not failed (it succeeds), and
  // asking again will not change that.
  const robots = await crawl(stack, { url: `${origin}/robots-only/`, depth: 1 }, waitMs);
  expect(robots.completed).toMatchObject({ status: 'succeeded', failed: 0, skipped: 1 });
  expect(robots.manifest.errors).toEqual([]);
  expect(robots.manifest.skipped[0]?.reason).toMatch(/robots\.txt/);
  expect(await refusal(robots.client.redrive(robots.jobId))).toMatchObject({ type: 'error', code: 'nothing_to_redrive', jobId: robots.jobId });
  await Promise.all([client.close(), robots.client.close()]);
});

it('redrives through duplicate delivery and a worker crash mid-page: succeeded, the page once, nothing else re-rendered, one completed', async () => {
  const waitMs = jobWaitMs(timings, speed, { recoveries: 2, pages: 4 });
  const first = await crawl(stack, { url: `${origin}/rc/`, depth: 2 }, waitMs);
  expect(first.completed).toMatchObject({ status: 'partial', pages: 2, failed: 1 });
  await first.client.close();
  crashFlakyBroken = false;
  const before = new Map(hits);

  const client = await connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });
  const redriven = await client.redrive(first.jobId);
  const accepted = await client.waitFor((m) => m.type === 'accepted');
  expect(accepted).toMatchObject({ type: 'accepted', jobId: first.jobId, redrive: true });
  // A crash costs the page a lease and a visibility timeout before another worker takes it over.
  const { completed } = await doneWithin(client, redriven, waitMs + timings.visibilityTimeoutSeconds * 1000);
  expect(completed).toMatchObject({ status: 'succeeded', pages: 4, failed: 0, requestId: accepted.requestId });
  expect(stackLog.some((l) => l.includes('injected fault') && l.includes('"point":"after-admit"') && l.includes('/rc/flaky'))).toBe(true);

  const manifest = await fetchManifest(completed.manifestUrl);
  expect(manifest.errors).toEqual([]);
  expect(paths(manifest.pages.map((p) => p.url), origin)).toEqual(['/rc/', '/rc/child', '/rc/flaky', '/rc/ok']);
  const records = await pageObjectKeys(stack, first.jobId);
  expect(new Set(records).size).toBe(records.length);
  expect(records).toHaveLength(4);
  // The crashed attempt had stored the page: the one that took over reused it, no second navigation.
  expect((hits.get('/rc/flaky') ?? 0) - (before.get('/rc/flaky') ?? 0)).toBe(1);
  expect(hits.get('/rc/child')).toBe(1);
  for (const path of ['/rc/', '/rc/ok']) expect(hits.get(path), path).toBe(before.get(path));

  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(client.received.filter((m) => m.type === 'completed' && m.jobId === first.jobId)).toHaveLength(1);
  await client.close();
});
