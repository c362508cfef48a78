// Per-client quotas across connections, and named per-client tokens presented either way (the
// query's `?token=` or `Authorization: Bearer`): a client that opens a second connection gets no
// second allowance (running jobs, pages a day), another client keeps its own, a refusal names the
// quota, and a job that ends gives back its running slot and the pages it did not crawl.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { CrawlJob, type CrawlOptions } from '../../client/index.js';
import { RawSocket, type Received } from './support/raw-socket.js';
import { answerOf, connectClient, type TestClient } from './support/test-client.js';
import { startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings } from './support/machine.js';

const TOKENS = { alice: 'tok-alice-3f9d0c', bob: 'tok-bob-81e2aa' };
const MAX_PAGES_A_DAY = 5;

let stack: LocalStack;
let site: Server;
let origin: string;
/** `/held` answers once this is called: until then the job crawling it is certainly running. */
let release: () => void = () => {};
let held = new Promise<void>((resolve) => (release = resolve));
const clients: TestClient[] = [];

beforeAll(async () => {
  site = createServer((req, res) => {
    const answer = () => res.writeHead(200, { 'content-type': 'text/html' }).end(`<title>${req.url}</title><p>${req.url}</p>`);
    if (req.url === '/held') void held.then(answer);
    else answer();
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  const timings = stackTimings(await machineSpeed(), 2);
  stack = await startTestStack({
    authToken: JSON.stringify(TOKENS),
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs), MAX_RUNNING_JOBS_PER_CLIENT: '1', MAX_PAGES_PER_CLIENT_PER_DAY: String(MAX_PAGES_A_DAY) },
  });
});

afterAll(async () => {
  release();
  for (const client of clients) await client.close().catch(() => {});
  await stack?.stop();
  await new Promise((resolve) => site?.close(resolve));
});

async function connect(name: keyof typeof TOKENS, how: 'bearer' | 'query'): Promise<TestClient> {
  const requestTimeoutMs = replyWaitMs(await machineSpeed());
  const client =
    how === 'bearer'
      ? await connectClient(stack.wsUrl, { headers: { authorization: `Bearer ${TOKENS[name]}` }, requestTimeoutMs })
      : await connectClient(stack.wsUrl, { token: TOKENS[name], requestTimeoutMs });
  clients.push(client);
  return client;
}

/** A crawl's answer: `accepted` with its jobId, or the error it was refused with. */
async function ask(client: TestClient, request: CrawlOptions): Promise<{ type: string; jobId?: string; message?: string }> {
  const answer = await answerOf(client.crawl({ depth: 0, ...request }));
  return answer instanceof CrawlJob ? { type: 'accepted', jobId: answer.jobId } : answer;
}

async function completion(client: TestClient, jobId: string): Promise<Received> {
  const speed = await machineSpeed();
  return client.waitFor((m) => m.type === 'completed' && m.jobId === jobId, jobWaitMs(stackTimings(speed, 2), speed, { pages: 1 }));
}

it('counts running jobs and pages per client over all its connections, and gives back what a job did not use', async () => {
  const aliceBearer = await connect('alice', 'bearer');
  const aliceQuery = await connect('alice', 'query');
  const bob = await connect('bob', 'bearer');

  // Alice's first job runs (its page is held), taking her one running slot and 2 of her 5 pages.
  const first = await ask(aliceBearer, { url: `${origin}/held`, maxPages: 2 });
  expect(first).toMatchObject({ type: 'accepted' });

  // Her second connection has no allowance of its own.
  const second = await ask(aliceQuery, { url: `${origin}/a`, maxPages: 1 });
  expect(second).toMatchObject({ type: 'error', code: 'quota_exceeded' });
  expect(String(second.message)).toMatch(/^quota maxRunningJobsPerClient: this client already has 1 running jobs/);
  // More pages than a whole day allows: refused naming that quota, whatever runs.
  const tooBig = await ask(aliceQuery, { url: `${origin}/a`, maxPages: MAX_PAGES_A_DAY + 1 });
  expect(tooBig).toMatchObject({ type: 'error', code: 'quota_exceeded' });
  expect(String(tooBig.message)).toMatch(/^quota maxPagesPerClientPerDay: this would take 6 pages/);

  // Bob is another client: his allowance is his own.
  const bobs = await ask(bob, { url: `${origin}/b`, maxPages: 2 });
  expect(bobs).toMatchObject({ type: 'accepted' });

  // Alice's job ends; it crawled one page of the 2 it took, and gives back the other and its slot.
  release();
  expect(await completion(aliceBearer, String(first.jobId))).toMatchObject({ status: 'succeeded', pages: 1 });
  // 1 page used today: 4 more fit, from her other connection.
  const third = await ask(aliceQuery, { url: `${origin}/c`, maxPages: 4 });
  expect(third).toMatchObject({ type: 'accepted' });
  expect(await completion(aliceQuery, String(third.jobId))).toMatchObject({ status: 'succeeded', pages: 1 });
  // 2 used now: 4 would pass the day's 5, 3 fit.
  const fourth = await ask(aliceBearer, { url: `${origin}/d`, maxPages: 4 });
  expect(fourth).toMatchObject({ type: 'error', code: 'quota_exceeded' });
  expect(String(fourth.message)).toMatch(/^quota maxPagesPerClientPerDay: this would take 4 pages \(its maxPages\) from today's 5/);
  const fifth = await ask(aliceBearer, { url: `${origin}/d`, maxPages: 3 });
  expect(fifth).toMatchObject({ type: 'accepted' });
  expect(await completion(aliceBearer, String(fifth.jobId))).toMatchObject({ status: 'succeeded' });
  expect(await completion(bob, String(bobs.jobId))).toMatchObject({ status: 'succeeded' });

  // Each job is its creator's, whichever way the token came: Bob cannot see Alice's.
  expect(await answerOf(bob.status(String(first.jobId)))).toMatchObject({ type: 'error', code: 'job_not_found' });
  expect(await aliceQuery.status(String(first.jobId))).toMatchObject({ type: 'status', status: 'succeeded' });
});

it('refuses a wrong bearer token, and a token in another scheme', async () => {
  await expect(RawSocket.connect(stack.wsUrl, { headers: { authorization: 'Bearer tok-mallory' } })).rejects.toThrow('HTTP 403');
  await expect(RawSocket.connect(stack.wsUrl, { headers: { authorization: `Basic ${TOKENS.alice}` } })).rejects.toThrow('HTTP 403');
});
