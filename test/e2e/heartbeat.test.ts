// Heartbeats (issue 27, item 4): while a job runs its client hears from it at least every interval,
// even while nothing settles, with what it waits on; and a client that reconnects resumes by
// `status` on its new connection, which then gets the job's progress and `completed`.
// The site's host is slowed by the stack's ceiling (one navigation every 10 s), so the job's URLs
// wait in the queue for it; the heartbeat interval is 2 s, so several heartbeats fall in each wait.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { connectClient, type Received, type TestClient } from './support/test-client.js';
import { clientsFor, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

const HEARTBEAT_SECONDS = 2;
/** navigations per second to one host: a URL waits ~10 s for its slot */
const CEILING = 0.1;

let stack: LocalStack;
let server: Server;
let origin = '';
let host = '';
let speed: MachineSpeed;
let timings: StackTimings;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('none');
      return;
    }
    const links = path === '/' ? ['/p1', '/p2'] : [];
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${path}</title><main>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</main>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host = new URL(origin).host;
  speed = await machineSpeed();
  timings = stackTimings(speed, 3);
  stack = await startTestStack({
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs), HOST_RATE_CEILING: String(CEILING), HEARTBEAT_INTERVAL_SECONDS: String(HEARTBEAT_SECONDS) },
  });
});

afterAll(async () => {
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

/** The job's wait: three pages, two of them ~10 s apart behind the ceiling, and the waits' own slack. */
const jobWait = () => jobWaitMs(timings, speed, { pages: 3 }) + (3 / CEILING) * 1000;

/** A client of the typed kind; its frames (`received`) are what these tests read. */
const connect = () => connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });

async function start(client: TestClient): Promise<string> {
  return (await client.crawl({ url: `${origin}/`, depth: 1 })).jobId;
}

const progressOf = (client: TestClient, jobId: string) => client.received.filter((m) => m.type === 'progress' && m.jobId === jobId);
const settledIn = (m: Received) => Number(m.done) + Number(m.failed);

/** The heartbeat queue's messages: visible, in flight, and delayed (a heartbeat waits its interval there). */
async function heartbeatsQueued(): Promise<number> {
  const { sqs } = clientsFor(stack);
  const names = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;
  const result = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.resources.heartbeatQueueUrl, AttributeNames: [...names] }));
  return names.reduce((sum, name) => sum + Number(result.Attributes?.[name] ?? 0), 0);
}

/** Resolves once the heartbeat queue is empty: the job's chain of heartbeats has ended. */
async function heartbeatsEnd(timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await heartbeatsQueued()) === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('heartbeats went on after the job ended');
}

it('tells the client of a job whose URLs wait for their host what it waits on, while nothing settles; the heartbeat ends with the job', async () => {
  const client = await connect();
  const jobId = await start(client);
  // While it runs, its heartbeat is on the queue (delayed by its interval, or being handled); the
  // crawl route schedules it just after `accepted`.
  const until = Date.now() + replyWaitMs(speed);
  while ((await heartbeatsQueued()) === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  expect(await heartbeatsQueued()).toBeGreaterThan(0);
  const completed = await client.waitFor((m) => m.type === 'completed' && m.jobId === jobId, jobWait());
  expect(completed).toMatchObject({ status: 'succeeded', pages: 3, failed: 0 });

  // A heartbeat's progress repeats the counts of the message before it (no settle in between),
  // and names the host the job's URLs wait for and when they are due back.
  const progress = progressOf(client, jobId);
  const heartbeats = progress.filter((m, i) => i > 0 && settledIn(m) === settledIn(progress[i - 1]!) && m.waiting !== undefined);
  expect(heartbeats.length, JSON.stringify(progress)).toBeGreaterThan(0);
  // The URLs wait in the queue for their turns: paced children sent delayed (no `delayed` count:
  // they were never sent back) or URLs sent back to wait (counted in `delayed`); either way the
  // heartbeat names the host and when the wait ends.
  for (const m of heartbeats) {
    expect(m.waiting).toEqual({ host, untilMs: expect.any(Number) });
    expect(Number(m.queued)).toBeGreaterThan(0);
  }
  // The job is final: its heartbeat stops at the next one instead of going on.
  await heartbeatsEnd(replyWaitMs(speed) + 4 * HEARTBEAT_SECONDS * 1000);
  await client.close();
});

it('sends the progress and completed of a running job to the connection of its owner that asked its status', async () => {
  const first = await connect();
  const jobId = await start(first);
  // The client comes back on a new connection (API Gateway ends any after 2 hours) and resumes.
  const second = await connect();
  expect(await second.status(jobId)).toMatchObject({ type: 'status', jobId, status: 'running' });
  // the answer's frame: what came after it is what the new connection heard
  const status = await second.waitFor((m) => m.type === 'status' && m.jobId === jobId);
  await first.close();

  const completed = await second.waitFor((m) => m.type === 'completed' && m.jobId === jobId, jobWait());
  expect(completed).toMatchObject({ status: 'succeeded', pages: 3, failed: 0 });
  // Between the status and completed it heard of the job, heartbeats included: no gap.
  const after = second.received.slice(second.received.indexOf(status) + 1, second.received.indexOf(completed));
  expect(after.filter((m) => m.type === 'progress' && m.jobId === jobId).length).toBeGreaterThan(0);
  // The job's connection slot moved with it and was given back there when it ended.
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint: stack.endpoints.dynamodb, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
  );
  const job = await db.send(new GetCommand({ TableName: stack.resources.jobsTable, Key: { jobId }, ConsistentRead: true }));
  const slots = await db.send(new GetCommand({ TableName: stack.resources.connectionsTable, Key: { connectionId: job.Item!.connectionId }, ConsistentRead: true }));
  expect(slots.Item, 'the second connection is open: its item is there').toBeDefined();
  expect(slots.Item!.activeJobs).toBe(0);
  await second.close();
});

it('keeps one heartbeat chain per job when copies of its messages come back (a heartbeat that died after sending its successor)', async () => {
  const client = await connect();
  const jobId = await start(client);
  const { sqs } = clientsFor(stack);
  // The copies a crash leaves: one of a chain from before beats, one of an earlier beat.
  for (const body of [{ jobId }, { jobId, beat: 'an-earlier-beat' }]) {
    await sqs.send(new SendMessageCommand({ QueueUrl: stack.resources.heartbeatQueueUrl, MessageBody: JSON.stringify(body) }));
  }
  // Three chains would keep three messages (or more, in flight) on the queue while the job runs;
  // the copies stop at their first delivery, so the queue comes back to the one live heartbeat.
  let single = false;
  let done = false;
  const completed = client.waitFor((m) => m.type === 'completed' && m.jobId === jobId, jobWait()).finally(() => (done = true));
  while (!single && !done) {
    single = (await heartbeatsQueued()) === 1;
    if (!single) await new Promise((r) => setTimeout(r, 100));
  }
  expect(await completed).toMatchObject({ status: 'succeeded', pages: 3 });
  expect(single, 'the queue held only the live heartbeat at some point while the job ran').toBe(true);
  await heartbeatsEnd(replyWaitMs(speed) + 4 * HEARTBEAT_SECONDS * 1000);
  await client.close();
});
