// A job belongs to the principal whose token created it: another client's `status` and `cancel`
// get the very answer an unknown id gets, while its creator reaches it from any new connection.
// The result cache answers each principal with its own crawls only.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { answerOf, connectClient, doneWithin, type TestClient } from './support/test-client.js';
import { startTestStack } from './harness.js';

const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-9876543210' };
const REPLY_MS = 30_000;
const JOB_MS = 120_000;

/** `/` links to pages held until `release()`, so a job stays running for as long as the test needs. */
async function startHeldSite(): Promise<{ origin: string; release(): void; stop(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server: Server = createServer((req, res) => {
    const send = () => {
      res.writeHead(req.url === '/robots.txt' ? 404 : 200, { 'content-type': 'text/html' });
      res.end(req.url === '/' ? '<title>home</title><a href="/held-1">1</a> <a href="/held-2">2</a>' : `<title>${req.url}</title>`);
    };
    if (req.url?.startsWith('/held-')) void released.then(send);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    release,
    stop: () =>
      new Promise<void>((resolve) => {
        release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let stack: LocalStack;
let site: Awaited<ReturnType<typeof startHeldSite>>;
const clients: TestClient[] = [];

beforeAll(async () => {
  site = await startHeldSite();
  // One secret naming two clients, each with its own token (see core/auth.ts).
  stack = await startTestStack({ workers: 1, authToken: JSON.stringify(TOKENS), env: { NAV_TIMEOUT_MS: '120000' } });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([stack?.stop(), site?.stop()]);
});

async function connectAs(who: keyof typeof TOKENS): Promise<TestClient> {
  const client = await connectClient(stack.wsUrl, { token: TOKENS[who], requestTimeoutMs: REPLY_MS });
  clients.push(client);
  return client;
}

it("hides a job from another principal and lets its creator reach it from a new connection", async () => {
  const alice = await connectAs('alice');
  const accepted = await alice.crawl({ url: `${site.origin}/`, depth: 1 });
  expect(accepted.cached).toBe(false);
  const jobId = accepted.jobId;

  const bob = await connectAs('bob');
  const unknownId = randomUUID();
  const unknown = await answerOf(bob.status(unknownId));
  expect(unknown).toMatchObject({ type: 'error', code: 'job_not_found' });
  for (const action of ['status', 'cancel'] as const) {
    const reply = await answerOf(bob[action](jobId));
    // Exactly what an unknown id gets: nothing tells bob the job exists.
    expect(reply, action).toMatchObject({ type: 'error', code: 'job_not_found', jobId });
    expect(reply.message).toBe((unknown.message as string).replace(unknownId, jobId));
  }

  // alice comes back on a new connection: her job is hers still, and bob's cancel did nothing.
  await alice.close();
  const aliceAgain = await connectAs('alice');
  expect(await aliceAgain.status(jobId)).toMatchObject({ type: 'status', jobId, status: 'running' });
  expect(await aliceAgain.cancel(jobId)).toMatchObject({ type: 'status', jobId, status: 'cancelled' });
  expect(await answerOf(bob.status(jobId))).toMatchObject({ type: 'error', code: 'job_not_found' });
  site.release();
});

it("answers from the result cache only with the asking principal's own crawls", async () => {
  const request = { url: `${site.origin}/`, depth: 0, maxAge: 3600 };
  const alice = await connectAs('alice');
  const first = await alice.crawl(request);
  expect(first.cached).toBe(false);
  expect((await doneWithin(alice, first, JOB_MS)).completed).toMatchObject({ status: 'succeeded' });

  // The same crawl for bob is a new job of his, not alice's results.
  const bob = await connectAs('bob');
  const bobs = await bob.crawl(request);
  expect(bobs.cached).toBe(false);
  expect(bobs.jobId).not.toBe(first.jobId);
  await doneWithin(bob, bobs, JOB_MS);

  // alice, asking again, is answered from her own crawl.
  const again = await alice.crawl(request);
  expect({ cached: again.cached, jobId: again.jobId }).toEqual({ cached: true, jobId: first.jobId });
  expect(await answerOf(bob.status(first.jobId))).toMatchObject({ type: 'error', code: 'job_not_found' });
});
