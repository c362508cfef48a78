// Signed webhooks (#29): a job's end is delivered to its receiver by the webhook function, with
// Standard Webhooks headers verified here by the spec's reference code (the `standardwebhooks`
// package's Webhook.verify). The receiver fails first (a 500, then no answer until the attempt's
// timeout), then accepts: three attempts, one webhook-id. A receiver that never accepts has the
// delivery recorded failed, which `status` shows. The secret is in no log line, manifest, client
// message or job item. A URL the egress guard refuses is refused when the crawl is submitted.
// And (#29 part 5) a URL robots.txt disallows is skipped, not failed: the job succeeds and is reused.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket as CrawlClient } from './support/raw-socket.js';
import { clientsFor, crawl, startTestStack } from './harness.js';
import { refusal } from './support/test-client.js';
import { jobWaitAtLeast, machineSpeed, replyWaitMs } from './support/machine.js';

interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: string;
}

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const otherSecret = `whsec_${randomBytes(24).toString('base64')}`;
let stack: LocalStack;
let site: Server;
let receiver: Server;
let siteOrigin = '';
let hookOrigin = '';
const deliveries: Delivery[] = [];
/** what the flaky receiver answers, attempt by attempt: 500, then nothing (the attempt times out), then 204 */
let flakyAnswers = 0;
const hanging: IncomingMessage[] = [];
const logs: string[] = [];
let jobWait = 0;
let replyWait = 0;

const serve = (handler: Parameters<typeof createServer>[1]) =>
  new Promise<{ server: Server; origin: string }>((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });

beforeAll(async () => {
  // A site with one link robots.txt disallows, found at depth 2: / → /a → /private/x.
  ({ server: site, origin: siteOrigin } = await serve((req, res) => {
    if (req.url === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('User-agent: *\nDisallow: /private/\n');
    }
    const links: Record<string, string> = { '/': '<a href="/a">a</a>', '/a': '<a href="/private/x">x</a> <a href="/b">b</a>', '/b': '<a href="/c">c</a>' };
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${req.url}</title>${links[req.url ?? ''] ?? ''}`);
  }));
  ({ server: receiver, origin: hookOrigin } = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ path: req.url ?? '', headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url?.startsWith('/flaky')) {
        flakyAnswers++;
        if (flakyAnswers === 1) return res.writeHead(500).end();
        // Never answered: the attempt can only end by its timeout.
        if (flakyAnswers === 2) return hanging.push(req);
        return res.writeHead(204).end();
      }
      res.writeHead(503).end();
    });
  }));
  const speed = await machineSpeed();
  replyWait = replyWaitMs(speed);
  jobWait = await jobWaitAtLeast(90_000, 10);
  stack = await startTestStack({
    // A test's short schedule (the deployed one waits minutes to hours): 1 s between attempts, three retries.
    webhookRetrySeconds: [1, 1, 1],
    // Long enough for a loaded machine to answer; the hanging attempt reaches it whatever the machine.
    webhookTimeoutMs: Math.min(25_000, replyWait),
    log: (line) => logs.push(line),
    env: { POWERTOOLS_LOG_LEVEL: 'DEBUG' },
  });
});

afterAll(async () => {
  await stack?.stop();
  for (const server of [site, receiver]) {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
});

async function until<T>(what: string, read: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

it('delivers crawl.completed signed, retried after a 500 and a timeout with the same webhook-id, and keeps the secret to itself', async () => {
  const run = await crawl(stack, { url: `${siteOrigin}/`, depth: 2, webhook: { url: `${hookOrigin}/flaky?token=t`, secret } }, jobWait);
  expect(run.completed).toMatchObject({ status: 'succeeded', failed: 0, skipped: 1 });
  const attempts = await until('three attempts', () => (deliveries.filter((d) => d.path.startsWith('/flaky')).length >= 3 ? deliveries.filter((d) => d.path.startsWith('/flaky')) : undefined), jobWait);
  expect(attempts).toHaveLength(3);
  // Every attempt is signed and verifies with the spec's reference code; one id throughout.
  const ids = new Set(attempts.map((a) => a.headers['webhook-id']));
  expect(ids.size).toBe(1);
  for (const attempt of attempts) {
    const body = new Webhook(secret).verify(attempt.body, attempt.headers) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'crawl.completed',
      data: { jobId: run.jobId, status: 'succeeded', counts: { pages: 3, failed: 0, skipped: 1 }, manifestUrl: expect.stringContaining(`/jobs/${run.jobId}/manifest.json`) },
    });
    expect(typeof (body as { timestamp: string }).timestamp).toBe('string');
    // Another secret does not verify it.
    expect(() => new Webhook(otherSecret).verify(attempt.body, attempt.headers)).toThrow();
  }
  // The body is the same on every attempt; the manifest it points at is the job's.
  expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
  const manifest = await (await fetch((JSON.parse(attempts[0]!.body) as { data: { manifestUrl: string } }).data.manifestUrl)).json();
  expect(manifest).toMatchObject({ jobId: run.jobId, status: 'succeeded', skipped: [{ url: `${siteOrigin}/private/x`, reason: expect.stringMatching(/^disallowed by robots\.txt/) }] });

  let answer: Record<string, unknown> = {};
  for (let i = 0; i < 20 && (answer.webhook as { state?: string } | undefined)?.state !== 'delivered'; i++) {
    answer = (await run.client.status(run.jobId)) as Record<string, unknown>;
    if ((answer.webhook as { state?: string } | undefined)?.state !== 'delivered') await new Promise((r) => setTimeout(r, 500));
  }
  expect(answer).toMatchObject({ type: 'status', status: 'succeeded', failed: 0, skipped: 1, webhook: { id: [...ids][0], type: 'crawl.completed', state: 'delivered', attempts: 3 } });

  // The secret: in no log line of any function, no client message, no manifest, no job item (and,
  // after the other tests, in no log line either: the last test looks again).
  const everything = [...logs, JSON.stringify(run.client.received), JSON.stringify(manifest)].join('\n');
  expect(everything.includes(secret)).toBe(false);
  expect(everything.includes(secret.slice('whsec_'.length))).toBe(false);
  const { dynamo } = clientsFor(stack);
  const jobs = await dynamo.send(new ScanCommand({ TableName: stack.resources.jobsTable }));
  expect(JSON.stringify(jobs.Items).includes(secret.slice('whsec_'.length))).toBe(false);
  // The logs did say what happened (so the check above looked at real lines).
  expect(logs.some((line) => line.includes('webhook delivered'))).toBe(true);
  await run.client.close();
});

it('delivers crawl.failed for a failed job, and records the delivery failed when the receiver never accepts', async () => {
  // The seed itself is disallowed: nothing is crawled, the job fails (skipped, not failed, URLs).
  const run = await crawl(stack, { url: `${siteOrigin}/private/seed`, depth: 1, webhook: { url: `${hookOrigin}/down`, secret, events: ['failed'] } }, jobWait);
  expect(run.completed).toMatchObject({ status: 'failed', pages: 0, failed: 0, skipped: 1 });
  const attempts = await until('four attempts', () => (deliveries.filter((d) => d.path === '/down').length >= 4 ? deliveries.filter((d) => d.path === '/down') : undefined), jobWait);
  for (const attempt of attempts) {
    expect(new Webhook(secret).verify(attempt.body, attempt.headers)).toMatchObject({ type: 'crawl.failed', data: { jobId: run.jobId, status: 'failed' } });
  }
  expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
  let answer: Record<string, unknown> = {};
  for (let i = 0; i < 40 && (answer.webhook as { state?: string } | undefined)?.state !== 'failed'; i++) {
    answer = (await run.client.status(run.jobId)) as Record<string, unknown>;
    if ((answer.webhook as { state?: string } | undefined)?.state !== 'failed') await new Promise((r) => setTimeout(r, 500));
  }
  expect(answer).toMatchObject({ status: 'failed', webhook: { type: 'crawl.failed', state: 'failed', attempts: 4, lastError: 'HTTP 503' } });
  // No fifth attempt after the schedule ended.
  await new Promise((r) => setTimeout(r, 3_000));
  expect(deliveries.filter((d) => d.path === '/down')).toHaveLength(4);
  await run.client.close();
});

it('refuses a receiver the egress guard refuses, a bad secret, and events it does not deliver, naming the field', async () => {
  const client = await CrawlClient.connect(stack.wsUrl);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['metadata', { url: 'http://169.254.169.254/latest/meta-data/', secret }, /^webhook\.url: refused/],
    ['own', { url: `${stack.endpoints.sqs}/hook`, secret }, /^webhook\.url: refused/],
    ['scheme', { url: 'ftp://127.0.0.1/hook', secret }, /^webhook\.url: /],
    ['secret', { url: `${hookOrigin}/x`, secret: 'not-a-secret' }, /^webhook\.secret: /],
    ['page', { url: `${hookOrigin}/x`, secret, events: ['page'] }, /^webhook\.events: /],
    ['unknown', { url: `${hookOrigin}/x`, secret, extra: 1 }, /webhook.*extra|unknown field/],
  ];
  for (const [requestId, webhook, message] of cases) {
    client.send({ action: 'crawl', url: `${siteOrigin}/`, webhook, requestId });
    const answer = await client.waitFor((m) => m.requestId === requestId, replyWait);
    expect(answer, requestId).toMatchObject({ type: 'error', code: 'invalid_request' });
    expect(answer.message as string, requestId).toMatch(message);
    expect(JSON.stringify(answer).includes(secret)).toBe(false);
  }
  expect(client.received.some((m) => m.type === 'accepted')).toBe(false);
  await client.close();
});

it('counts a disallowed URL as skipped: the crawl succeeds, and a deeper one with maxAge is built upon it', async () => {
  const first = await crawl(stack, { url: `${siteOrigin}/`, depth: 2, requestId: 'shallow' }, jobWait);
  expect(first.completed).toMatchObject({ status: 'succeeded', failed: 0, skipped: 1 });
  expect(first.manifest).toMatchObject({ errors: [], skipped: [{ url: `${siteOrigin}/private/x` }] });
  const deeper = await crawl(stack, { url: `${siteOrigin}/`, depth: 3, maxAge: 3600, requestId: 'deep' }, jobWait);
  expect(deeper.completed).toMatchObject({ status: 'succeeded', failed: 0, cached: false });
  expect(deeper.completed.reused as number).toBeGreaterThanOrEqual(3);
  expect(deeper.manifest.pages.map((p) => p.url).sort()).toEqual([`${siteOrigin}/`, `${siteOrigin}/a`, `${siteOrigin}/b`, `${siteOrigin}/c`]);
  // The same crawl again, with maxAge: answered from the cache, the skipped URL still skipped.
  const again = await crawl(stack, { url: `${siteOrigin}/`, depth: 2, maxAge: 3600, requestId: 'again-shallow' }, jobWait);
  expect(again.completed).toMatchObject({ status: 'succeeded', cached: true, failed: 0, skipped: 1 });
  expect(again.manifest).toMatchObject({ errors: [], skipped: [{ url: `${siteOrigin}/private/x` }] });
  // A redrive has nothing to crawl again: a skipped URL is no failure.
  expect(await refusal(deeper.client.redrive(first.jobId))).toMatchObject({ type: 'error', code: 'nothing_to_redrive' });
  await Promise.all([first.client.close(), deeper.client.close(), again.client.close()]);
});

it('never logged the secret, whatever the tests above made the stack do (refusals included)', () => {
  expect(logs.length).toBeGreaterThan(0);
  const all = logs.join('\n');
  expect(all.includes(secret.slice('whsec_'.length))).toBe(false);
});
