// Schedules (issue #29): a recurring crawl fired by the local EventBridge Scheduler
// (local/emulators/scheduler.ts) into the same schedule-run function as on AWS. Each run is a job
// of the schedule's owner with `since` = the previous successful run; a firing while the previous
// run still runs is skipped and counted; unschedule stops the firings and leaves a running job be;
// another client neither sees nor removes a schedule; the limits are refused with typed errors.
// A rate's minute lasts MINUTE_MS here (a test-only override of the local scheduler); a cron
// follows the real clock, so the two-run test waits real minutes.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../infra/settings.js';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket as CrawlClient, type Received } from './support/raw-socket.js';
import { startTestStack } from './harness.js';
import { listenOnLoopback, type LoopbackSite } from './support/loopback.js';
import { jobWaitAtLeast, machineSpeed, replyWaitMs } from './support/machine.js';

const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-9876543210' };
/** a rate's minute in this stack's scheduler: firings come fast enough for skips to be counted in seconds */
const MINUTE_MS = 3_000;

let stack: LocalStack;
let site: LoopbackSite;
let release!: () => void;
const released = new Promise<void>((resolve) => (release = resolve));
const clients: CrawlClient[] = [];
let replyMs = 30_000;
let jobMs = 120_000;
let nextRequest = 0;
const ETAG = '"root-v1"';
/** how `/` was answered: in full (a render, or a conditional request that found it changed) or 304 */
const rootAnswers = { full: 0, notModified: 0 };

beforeAll(async () => {
  // `/` answers at once, with an ETag (a later run asks conditionally and gets a 304); `/held`
  // only once the test releases it, so its job runs as long as the test needs.
  const server: Server = createServer((req, res) => {
    const send = () => {
      if (req.url === '/' && req.headers['if-none-match'] === ETAG) {
        rootAnswers.notModified++;
        res.writeHead(304, { etag: ETAG });
        res.end();
        return;
      }
      if (req.url === '/') rootAnswers.full++;
      res.writeHead(req.url === '/robots.txt' ? 404 : 200, { 'content-type': 'text/html', ...(req.url === '/' ? { etag: ETAG } : {}) });
      res.end(`<title>${req.url}</title><p>page ${req.url}</p>`);
    };
    if (req.url === '/held') void released.then(send);
    else send();
  });
  site = await listenOnLoopback(server);
  const speed = await machineSpeed();
  replyMs = replyWaitMs(speed);
  jobMs = await jobWaitAtLeast(120_000, 2);
  stack = await startTestStack({
    workers: 1,
    authToken: JSON.stringify(TOKENS),
    settings: { ...DEFAULT_SETTINGS, scheduleMinIntervalMinutes: 1, maxSchedulesPerClient: 3 },
    scheduleMinuteMs: MINUTE_MS,
    env: { NAV_TIMEOUT_MS: String(10 * 60_000) },
  });
}, 300_000);

afterAll(async () => {
  release();
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([stack?.stop(), site?.stop()]);
});

async function connectAs(who: keyof typeof TOKENS): Promise<CrawlClient> {
  const client = await CrawlClient.connect(`${stack.wsUrl}/?token=${TOKENS[who]}`);
  clients.push(client);
  return client;
}

/** sends a frame with a fresh requestId and waits for its answer */
async function ask(client: CrawlClient, frame: Record<string, unknown>): Promise<Received> {
  const requestId = `q${++nextRequest}`;
  client.send({ ...frame, requestId });
  return client.waitFor((m) => m.requestId === requestId, replyMs);
}

interface Listed {
  scheduleId: string;
  runs: number;
  skipped: number;
  lastJobId?: string;
  lastSince?: string;
  lastSkippedAt?: string;
  lastError?: string;
}

async function listed(client: CrawlClient): Promise<Listed[]> {
  const answer = await ask(client, { action: 'schedules' });
  expect(answer.type, JSON.stringify(answer)).toBe('schedules');
  return answer.schedules as Listed[];
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const mine = (id: string) => (all: Listed[]) => all.find((s) => s.scheduleId === id);

it('runs a one-minute cron schedule twice, the second run with since = the first (incremental: 304, nothing rendered), each a job of its owner', async () => {
  const alice = await connectAs('alice');
  const scheduled = await ask(alice, { action: 'schedule', cron: '* * * * *', crawl: { url: `${site.origin}/`, depth: 0 } });
  expect(scheduled, JSON.stringify(scheduled)).toMatchObject({ type: 'scheduled', cron: '* * * * *', expression: 'cron(* * * * ? *)' });
  const id = scheduled.scheduleId as string;
  // The first run starts at the next minute; its job notifies the connection that made the schedule.
  const first = await until(() => listed(alice).then(mine(id)), (s) => (s?.runs ?? 0) >= 1, 70_000 + replyMs, 'the first run');
  const firstJob = first!.lastJobId!;
  expect(first!.lastSince).toBeUndefined();
  const completed = await alice.waitFor((m) => m.type === 'completed' && m.jobId === firstJob, jobMs);
  expect(completed.status).toBe('succeeded');
  const second = await until(() => listed(alice).then(mine(id)), (s) => (s?.runs ?? 0) >= 2, 70_000 + jobMs, 'the second run');
  expect(second!.lastJobId).not.toBe(firstJob);
  expect(second!.lastSince).toBe(firstJob);
  // Incremental: its page asked with the first run's ETag, answered 304, not rendered again.
  const secondCompleted = await alice.waitFor((m) => m.type === 'completed' && m.jobId === second!.lastJobId, jobMs);
  expect(secondCompleted).toMatchObject({ status: 'succeeded', changes: { added: 0, changed: 0, unchanged: 1, removed: 0 } });
  expect(rootAnswers).toEqual({ full: 1, notModified: 1 });
  // The run's job is the owner's: its status answers alice from any connection.
  const status = await ask(await connectAs('alice'), { action: 'status', jobId: second!.lastJobId });
  expect(status.type, JSON.stringify(status)).toBe('status');
  expect((await ask(alice, { action: 'unschedule', scheduleId: id })).type).toBe('unscheduled');
  // The firings, in real minutes, went through EventBridge's cron form.
  const times = stack.scheduler.firings().filter((f) => f.name === id).map((f) => Date.parse(f.scheduledTime));
  expect(times.length).toBeGreaterThanOrEqual(2);
  for (const t of times) expect(t % 60_000).toBe(0);
}, 600_000);

it('skips firings while the previous run still runs; unschedule stops the firings and leaves the running job be', async () => {
  const alice = await connectAs('alice');
  const scheduled = await ask(alice, { action: 'schedule', every: '1 minute', crawl: { url: `${site.origin}/held`, depth: 0 } });
  expect(scheduled, JSON.stringify(scheduled)).toMatchObject({ type: 'scheduled', every: '1 minute', expression: 'rate(1 minute)' });
  const id = scheduled.scheduleId as string;
  // The run's page is held: every later firing finds it running.
  const skipping = await until(() => listed(alice).then(mine(id)), (s) => (s?.skipped ?? 0) >= 2, 20 * MINUTE_MS + jobMs, 'two skipped firings');
  expect(skipping!.runs).toBe(1);
  expect(skipping!.lastSkippedAt).toBeDefined();
  const runningJob = skipping!.lastJobId!;
  expect((await ask(alice, { action: 'status', jobId: runningJob })).status).toBe('running');

  expect(await ask(alice, { action: 'unschedule', scheduleId: id })).toMatchObject({ type: 'unscheduled', scheduleId: id });
  expect(stack.scheduler.names()).not.toContain(id);
  const firedBefore = stack.scheduler.firings().filter((f) => f.name === id).length;
  expect((await listed(alice)).map((s) => s.scheduleId)).not.toContain(id);
  // Three periods later: no firing, and the held job still runs; released, it ends on its own.
  await new Promise((resolve) => setTimeout(resolve, 3 * MINUTE_MS));
  expect(stack.scheduler.firings().filter((f) => f.name === id).length).toBe(firedBefore);
  expect((await ask(alice, { action: 'status', jobId: runningJob })).status).toBe('running');
  release();
  const completed = await alice.waitFor((m) => m.type === 'completed' && m.jobId === runningJob, jobMs);
  expect(completed.status).toBe('succeeded');
  // A second unschedule of it is answered as done (a retry after a lost answer).
  expect((await ask(alice, { action: 'unschedule', scheduleId: id })).type).toBe('unscheduled');
}, 600_000);

it('another client neither sees nor removes a schedule', async () => {
  const alice = await connectAs('alice');
  const bob = await connectAs('bob');
  const scheduled = await ask(alice, { action: 'schedule', every: '1 day', crawl: { url: `${site.origin}/` } });
  const id = scheduled.scheduleId as string;
  expect((await listed(bob)).map((s) => s.scheduleId)).not.toContain(id);
  const refused = await ask(bob, { action: 'unschedule', scheduleId: id });
  expect(refused).toMatchObject({ type: 'error', code: 'schedule_not_found' });
  expect(stack.scheduler.names()).toContain(id);
  expect((await listed(alice)).map((s) => s.scheduleId)).toContain(id);
  expect((await ask(alice, { action: 'unschedule', scheduleId: id })).type).toBe('unscheduled');
}, 120_000);

it('refuses what a schedule may not be, with typed errors naming the field, and more schedules than the maximum', async () => {
  const carol = await connectAs('bob');
  const crawl = { url: `${site.origin}/` };
  const refusals: [Record<string, unknown>, string, RegExp][] = [
    [{ every: '30 seconds', crawl }, 'invalid_request', /^every: /],
    [{ every: 'hourly', crawl }, 'invalid_request', /^every: /],
    [{ cron: '0 9 1 * 1', crawl }, 'invalid_request', /^cron: .*not both/],
    [{ cron: '0 9 * *', crawl }, 'invalid_request', /^cron: .*five fields/],
    [{ every: '1 hour', cron: '0 * * * *', crawl }, 'invalid_request', /either every .* or cron/],
    [{ every: '1 hour', crawl: { url: 'ftp://x/' } }, 'invalid_url', /^crawl: url: /],
    [{ every: '1 hour', crawl: { ...crawl, headers: { authorization: 'x' } } }, 'invalid_request', /^crawl\.headers: /],
    [{ every: '1 hour', crawl: { ...crawl, since: '5f0c6a2e-8f5e-4a54-9d3c-2b1e0c4d7a11' } }, 'invalid_request', /unknown field/],
    [{ every: '1 hour', crawl, webhook: { url: 'http://127.0.0.1/hook', secret: 'nope' } }, 'invalid_request', /^webhook\.secret: /],
  ];
  for (const [frame, code, message] of refusals) {
    const answer = await ask(carol, { action: 'schedule', ...frame });
    expect(answer, JSON.stringify(frame)).toMatchObject({ type: 'error', code });
    expect(answer.message as string, JSON.stringify(frame)).toMatch(message);
  }
  expect((await ask(carol, { action: 'unschedule', scheduleId: 'not-an-id' })).code).toBe('invalid_request');
  // The maximum per client (3 in this stack): the fourth is refused, and a removed one frees a place.
  const before = (await listed(carol)).length;
  const made: string[] = [];
  for (let i = before; i < 3; i++) made.push((await ask(carol, { action: 'schedule', every: '1 day', crawl })).scheduleId as string);
  const over = await ask(carol, { action: 'schedule', every: '1 day', crawl });
  expect(over).toMatchObject({ type: 'error', code: 'too_many_schedules' });
  expect((await listed(carol)).length).toBe(3);
  expect((await ask(carol, { action: 'unschedule', scheduleId: made[0] })).type).toBe('unscheduled');
  const again = await ask(carol, { action: 'schedule', every: '1 day', crawl });
  expect(again.type, JSON.stringify(again)).toBe('scheduled');
  expect(stack.scheduler.names()).toContain(again.scheduleId);
}, 120_000);
