// The typed client (client/, `fanout-crawler/client`) against the local stack: a crawl followed to
// its manifest, refusals as typed errors, cancel, and the point of it — a connection the gateway
// drops mid-job (through `@connections` DELETE, as API Gateway's 2-hour cut) is reopened and the job
// resumed by `status`, so done() still resolves; also when the job ended while the client was away.
// Also: the README's client program runs as a user would run it (the built package export), and
// every client-message example of docs/asyncapi.yaml gets one of the answers the document declares.
// The site holds one page of each job until the test lets it go, so the job is certainly running
// when its connection is dropped.
import { ApiGatewayManagementApiClient, DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CrawlerClient, CrawlerRequestError, type JobEvent } from '../../client/index.js';
import { KNOWN_ACTIONS } from '../../functions/core/messages.js';
import { serverMessageSchema } from '../../functions/core/server-messages.js';
import { ANSWERS } from '../../scripts/asyncapi/document.js';
import { CLIENT_EXAMPLES, EXAMPLE_JOB_ID, EXAMPLE_SCHEDULE_ID, EXAMPLE_URL } from '../../scripts/asyncapi/examples.js';
import type { LocalStack } from '../../local/stack.js';
import { startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

let stack: LocalStack;
let server: Server;
let origin = '';
let speed: MachineSpeed;
let timings: StackTimings;
/** per held path: resolves when the page is asked for; release() lets its answer go */
const holds = new Map<string, { asked: Promise<void>; arrived: () => void; release: () => void; released: Promise<void> }>();

function hold(path: string) {
  let arrived!: () => void;
  let release!: () => void;
  const asked = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const entry = { asked, arrived, release, released };
  holds.set(path, entry);
  return entry;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') return void res.writeHead(404).end();
    const held = holds.get(path);
    const answer = () => {
      // /x/ links to /x/slow, which is held until released
      const links = path.endsWith('/') ? [`${path}slow`] : [];
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>page ${path}</title><main>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}</main>`);
    };
    if (!held) return answer();
    held.arrived();
    void held.released.then(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  speed = await machineSpeed();
  // A held page waits for the test (a reconnect, a poll of the job): its navigation gets long enough.
  timings = stackTimings(speed, 3, { navTimeoutMs: 6 * replyWaitMs(speed) });
  stack = await startTestStack({
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs), NAV_TIMEOUT_MS: String(timings.navTimeoutMs) },
  });
});

afterAll(async () => {
  for (const held of holds.values()) held.release();
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

const jobWait = () => jobWaitMs(timings, speed, { pages: 2 }) + timings.navTimeoutMs;
// Quick reconnects; the silence watchdog (which would also rescue a lost `completed`, after 90 s) out of
// the way, so only the resume on reconnect can make these tests pass.
const fast = { reconnect: { attempts: 1000, minDelayMs: 100, maxDelayMs: 1000 }, resumeAfterSilenceMs: 3_600_000 };

/** done(), or a failure once the job has had its time: a resume that never happens must not pass by waiting. */
function doneWithin<T>(done: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`done() did not resolve within ${ms} ms`)), ms)));
  return Promise.race([done, late]).finally(() => clearTimeout(timer));
}

/** Connects, and tells which gateway connection is the client's (to drop it later). */
async function connected(options = {}): Promise<{ client: CrawlerClient; connectionId: () => string }> {
  const before = new Set(stack.connectionIds());
  const client = await CrawlerClient.connect(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed), ...options });
  let current = stack.connectionIds().find((id) => !before.has(id));
  expect(current).toBeDefined();
  return {
    client,
    connectionId: () => {
      const now = stack.connectionIds().find((id) => !before.has(id));
      current = now ?? current;
      return current!;
    },
  };
}

async function drop(connectionId: string): Promise<void> {
  const api = new ApiGatewayManagementApiClient({ endpoint: stack.connectionsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await api.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('crawls, yields progress then completed, and done() returns the manifest', async () => {
  const { client } = await connected();
  try {
    const job = await client.crawl({ url: `${origin}/plain/`, depth: 1 });
    expect(job.jobId).toMatch(/./);
    const events: JobEvent[] = [];
    for await (const event of job.events()) events.push(event);
    expect(events.at(-1)?.type).toBe('completed');
    expect(events.filter((e) => e.type === 'completed')).toHaveLength(1);
    const { completed, manifest } = await job.done();
    expect(completed).toMatchObject({ jobId: job.jobId, status: 'succeeded', pages: 2 });
    expect(manifest.pages.map((p) => p.title).sort()).toEqual(['page /plain/', 'page /plain/slow']);
  } finally {
    await client.close();
  }
}, 600_000);

it('answers refusals as typed errors, the connection staying usable', async () => {
  const { client } = await connected();
  try {
    await expect(client.status(randomUUID())).rejects.toMatchObject({ name: 'CrawlerRequestError', code: 'job_not_found' });
    await expect(client.crawl({ url: 'ftp://x' })).rejects.toMatchObject({ code: 'invalid_url' });
    const bogus = { url: `${origin}/`, bogus: 1 } as unknown as Parameters<CrawlerClient['crawl']>[0];
    const refused = await client.crawl(bogus).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CrawlerRequestError);
    expect((refused as CrawlerRequestError).message).toContain('bogus');
    const job = await client.crawl({ url: `${origin}/plain2/`, depth: 0 });
    const { completed } = await job.done();
    expect(completed.status).toBe('succeeded');
    await expect(client.redrive(job.jobId)).rejects.toMatchObject({ code: 'nothing_to_redrive' });
  } finally {
    await client.close();
  }
}, 600_000);

it('cancels a running job: the answer says cancelled and done() resolves with it', async () => {
  const held = hold('/cancel/slow');
  const { client } = await connected();
  try {
    const job = await client.crawl({ url: `${origin}/cancel/`, depth: 1 });
    await held.asked;
    const answer = await client.cancel(job.jobId);
    expect(answer.status).toBe('cancelled');
    const { completed } = await job.done();
    expect(completed.status).toBe('cancelled');
  } finally {
    held.release();
    await client.close();
  }
}, 600_000);

it('reopens a connection the gateway dropped mid-job and still gets the job’s completed', async () => {
  const held = hold('/drop/slow');
  const { client, connectionId } = await connected(fast);
  try {
    const job = await client.crawl({ url: `${origin}/drop/`, depth: 1 });
    await held.asked; // the job is running: one of its pages is held
    await drop(connectionId());
    await until(() => client.reconnects >= 1, replyWaitMs(speed), 'the client to reconnect');
    held.release();
    const { completed, manifest } = await doneWithin(job.done(), jobWait());
    expect(completed).toMatchObject({ status: 'succeeded', pages: 2 });
    expect(manifest.pages.map((p) => p.url).sort()).toEqual([`${origin}/drop/`, `${origin}/drop/slow`]);
  } finally {
    held.release();
    await client.close();
  }
}, 600_000);

it('resumes a job that ended while the client was away: done() gives its completed and manifest', async () => {
  const held = hold('/away/slow');
  let offline = false;
  // The network is down while `offline`: every reconnect attempt fails until it is back.
  class Flaky extends WebSocket {
    constructor(url: string) {
      if (offline) throw new Error('network unreachable');
      super(url);
    }
  }
  const { client, connectionId } = await connected({ ...fast, WebSocket: Flaky });
  const observer = await CrawlerClient.connect(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });
  try {
    const job = await client.crawl({ url: `${origin}/away/`, depth: 1 });
    await held.asked;
    offline = true;
    await drop(connectionId());
    held.release();
    await until(async () => ['succeeded', 'partial', 'failed'].includes((await observer.status(job.jobId)).status), jobWait(), 'the job to end');
    expect(client.reconnects).toBe(0);
    offline = false;
    const { completed, manifest } = await doneWithin(job.done(), 4 * replyWaitMs(speed));
    expect(client.reconnects).toBe(1);
    expect(completed).toMatchObject({ jobId: job.jobId, status: 'succeeded', pages: 2, failed: 0 });
    expect(manifest.pages).toHaveLength(2);
  } finally {
    held.release();
    await observer.close();
    await client.close();
  }
}, 600_000);

it('runs the README program: the package export, built, crawls and prints the titles', async () => {
  const readme = readFileSync(`${ROOT}/README.md`, 'utf8');
  const program = /<!-- test\/e2e\/client.test.ts runs this program -->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(program, 'the README has the client program').toBeDefined();
  expect(program!.trim().split('\n').length).toBeLessThanOrEqual(10);
  // As from a fresh clone: `npm ci` builds the export (prepare); here the build runs on the current source.
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.client.json'], { cwd: ROOT });
  mkdirSync(`${ROOT}/.cache`, { recursive: true });
  const file = `${ROOT}/.cache/readme-client.mjs`;
  writeFileSync(file, program!);
  const { stdout } = await run(process.execPath, [file, `${origin}/readme/`], {
    cwd: ROOT,
    env: { ...process.env, CRAWLER_URL: stack.wsUrl },
    timeout: jobWait(),
  });
  const lines = stdout.trim().split('\n');
  expect(lines).toContain(`page /readme/ ${origin}/readme/`);
  expect(lines).toContain(`page /readme/slow ${origin}/readme/slow`);
  expect(lines.at(-1)).toMatch(/^succeeded http/);
}, 600_000);

it('answers each client-message example of docs/asyncapi.yaml with a message the document declares', async () => {
  const socket = new WebSocket(stack.wsUrl);
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const answers = new Map<string, unknown>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { requestId?: string };
    if (message.requestId !== undefined && !answers.has(message.requestId)) answers.set(message.requestId, message);
  });
  let jobId = EXAMPLE_JOB_ID;
  let scheduleId = EXAMPLE_SCHEDULE_ID;
  try {
    for (const action of KNOWN_ACTIONS) {
      for (const example of CLIENT_EXAMPLES[action]!) {
        // The examples name example.com and a made-up job: here, the test's site and the job the crawl example started.
        const frame = JSON.parse(JSON.stringify(example.payload).replaceAll(EXAMPLE_URL, `${origin}/examples/`).replaceAll(EXAMPLE_JOB_ID, jobId).replaceAll(EXAMPLE_SCHEDULE_ID, scheduleId)) as { requestId: string };
        socket.send(JSON.stringify(frame));
        await until(() => answers.has(frame.requestId), replyWaitMs(speed), `the answer to example ${example.name}`);
        const answer = serverMessageSchema.parse(answers.get(frame.requestId));
        expect(ANSWERS[action], `${example.name}: ${JSON.stringify(answer)}`).toContain(answer.type);
        // an example the protocol refuses would be a wrong example: only a job's state may refuse it
        if (answer.type === 'error') expect(['job_finished', 'job_running', 'nothing_to_redrive'], example.name).toContain(answer.code);
        if (example.name === 'crawl') {
          expect(answer.type).toBe('accepted');
          jobId = (answer as { jobId: string }).jobId;
        }
        if (example.name === 'estimate') expect(answer.type).toBe('estimate');
        if (example.name === 'status') expect(answer.type).toBe('status');
        // the schedule example's id is the one unschedule's example removes
        if (example.name === 'schedule') {
          expect(answer.type).toBe('scheduled');
          scheduleId = (answer as { scheduleId: string }).scheduleId;
        }
      }
    }
  } finally {
    socket.close();
  }
}, 600_000);
