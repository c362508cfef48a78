// Pages that need more than a load, through the whole local stack: the options reach the worker
// (auto-scroll on by default and off on request, a click action, the seeds' headers and cookies),
// and the headers and cookies, which may be secrets, reach the seed's host only and are written
// nowhere: not in the manifest, the page records, a `status` answer, any log line, nor the job item
// once the job has ended (a redrive, which would need them, is refused).
import { ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { LOGIN, startBehaviourSite, type BehaviourSite } from '../integration/fixtures-browser/behaviour-site.js';
import { clientsFor, crawl, startTestStack } from './harness.js';
import { RawSocket } from './support/raw-socket.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings } from './support/machine.js';

let stack: LocalStack;
let site: BehaviourSite;
const logs: string[] = [];

beforeAll(async () => {
  site = await startBehaviourSite();
  const speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  stack = await startTestStack({
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    // Every line every function logs, debug included: none may hold a secret.
    log: (line) => logs.push(line),
    env: { LEASE_MS: String(timings.leaseMs), POWERTOOLS_LOG_LEVEL: 'DEBUG' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await site?.close();
});

async function waitMs(pages: number): Promise<number> {
  const speed = await machineSpeed();
  return jobWaitMs(stackTimings(speed, 3), speed, { pages });
}

/** Every object the job wrote to S3, as text. */
async function jobObjects(jobId: string): Promise<Map<string, string>> {
  const { s3 } = clientsFor(stack);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: stack.resources.bucket, Prefix: `jobs/${jobId}/` }));
  const objects = new Map<string, string>();
  for (const { Key } of listed.Contents ?? []) {
    const body = await s3.send(new GetObjectCommand({ Bucket: stack.resources.bucket, Key: Key! }));
    objects.set(Key!, (await body.Body?.transformToString('utf8')) ?? '');
  }
  return objects;
}

describe('auto-scroll and actions reach every page of the job', () => {
  it('a link an IntersectionObserver adds at the bottom of a tall page is crawled by default, not with autoscroll: false', async () => {
    const scrolled = await crawl(stack, { url: `${site.origin}/tall-lazy`, depth: 1 }, await waitMs(2));
    expect(scrolled.manifest.pages.map((p) => p.url).sort()).toEqual([`${site.origin}/lazy-link`, `${site.origin}/tall-lazy`]);
    await scrolled.client.close();
    const still = await crawl(stack, { url: `${site.origin}/tall-lazy`, depth: 1, autoscroll: false }, await waitMs(1));
    expect(still.manifest.pages.map((p) => p.url)).toEqual([`${site.origin}/tall-lazy`]);
    await still.client.close();
  });

  it('a link a button reveals is crawled with a click action; a missing selector is noted in the page records', async () => {
    const run = await crawl(stack, { url: `${site.origin}/reveal`, depth: 1, actions: [{ click: '#more' }, { click: '#not-here' }] }, await waitMs(3));
    expect(run.completed).toMatchObject({ status: 'succeeded', failed: 0 });
    expect(run.manifest.pages.map((p) => p.url).sort()).toEqual([`${site.origin}/always`, `${site.origin}/reveal`, `${site.origin}/revealed`]);
    // every page ran the steps: each record notes the selector its page lacked
    const objects = await jobObjects(run.jobId);
    const records = [...objects].filter(([key]) => key.includes('/pages/')).map(([, text]) => JSON.parse(text) as { url: string; page: { actionNotes?: string[] } });
    expect(records).toHaveLength(3);
    for (const record of records) expect(record.page.actionNotes).toContain('actions[1] click "#not-here": skipped: not found on this page');
    await run.client.close();
  });
});

describe("the seeds' headers and cookies", () => {
  it('crawl a page behind a login, reach no other host, and are written nowhere', async () => {
    logs.length = 0;
    site.hits.length = 0;
    const run = await crawl(
      stack,
      { url: `${site.origin}/private`, depth: 1, headers: { [LOGIN.header]: LOGIN.token }, cookies: [{ name: LOGIN.cookie, value: LOGIN.session }], requestId: 'login' },
      await waitMs(3),
    );
    expect(run.completed).toMatchObject({ status: 'succeeded', failed: 0 });
    const byUrl = new Map(run.manifest.pages.map((p) => [p.url, p]));
    expect(byUrl.get(`${site.origin}/private`)).toMatchObject({ status: 200, title: 'private' });
    expect(byUrl.get(`${site.origin}/private/next`)).toMatchObject({ status: 200, title: 'next' });
    // the redirect to the third party is a page of the job, read without them
    expect(byUrl.get(`${site.origin}/to-third-party`)).toMatchObject({ status: 200, finalUrl: `${site.thirdPartyOrigin}/landing` });

    // The seed's host got both on every request; the other port and the third party got neither.
    const own = site.hits.filter((h) => h.server === 'site');
    expect(own.map((h) => h.path)).toEqual(expect.arrayContaining(['/private', '/private/next', '/to-third-party', '/own.png', '/api/own']));
    for (const hit of own) expect(hit).toMatchObject({ token: LOGIN.token, cookie: `${LOGIN.cookie}=${LOGIN.session}` });
    const elsewhere = site.hits.filter((h) => h.server !== 'site');
    expect(new Set(elsewhere.map((h) => `${h.server} ${h.path}`))).toEqual(new Set(['other-port /widget.js', 'third-party /pixel.png', 'third-party /api', 'third-party /landing']));
    for (const hit of elsewhere) expect(hit).toMatchObject({ token: undefined, cookie: undefined });

    // Nowhere: the manifest, the page records (every object of the job), a status answer, the logs.
    const secrets = [LOGIN.token, LOGIN.session];
    const objects = await jobObjects(run.jobId);
    expect(objects.size).toBeGreaterThanOrEqual(4);
    for (const [key, text] of objects) for (const secret of secrets) expect(text.includes(secret), `${secret} in ${key}`).toBe(false);
    const status = await run.client.status(run.jobId);
    expect(status).toMatchObject({ status: 'succeeded' });
    for (const secret of secrets) expect(JSON.stringify(status)).not.toContain(secret);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.some((line) => line.includes('page crawled'))).toBe(true);
    for (const secret of secrets) expect(logs.filter((line) => line.includes(secret))).toEqual([]);

    // The job item no longer holds them; it remembers that it had some, and a redrive is refused.
    const { dynamo } = clientsFor(stack);
    const item = (await dynamo.send(new GetItemCommand({ TableName: stack.resources.jobsTable, Key: { jobId: { S: run.jobId } }, ConsistentRead: true }))).Item!;
    expect(item.seedCredentials).toBeUndefined();
    expect(item.usedCredentials).toEqual({ BOOL: true });
    for (const secret of secrets) expect(JSON.stringify(item)).not.toContain(secret);
    await expect(run.client.redrive(run.jobId)).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/headers or cookies/) });
    await run.client.close();
  });

  it('refuses a forbidden header and a cookie without a name before anything starts, naming them', async () => {
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 0 }, await waitMs(1));
    // Invalid requests: the typed client's types refuse them, so they go over a bare socket.
    const raw = await RawSocket.connect(stack.wsUrl);
    raw.send({ action: 'crawl', url: `${site.origin}/`, headers: { Host: 'x' }, requestId: 'h' });
    raw.send({ action: 'crawl', url: `${site.origin}/`, cookies: [{ value: 'v' }], requestId: 'c' });
    raw.send({ action: 'crawl', url: `${site.origin}/`, actions: [{ hover: '#x' }], requestId: 'a' });
    const wait = replyWaitMs(await machineSpeed());
    expect(await raw.waitFor((m) => m.requestId === 'h', wait)).toMatchObject({ type: 'error', code: 'invalid_request', message: expect.stringContaining('header "Host" is not allowed') });
    expect(await raw.waitFor((m) => m.requestId === 'c', wait)).toMatchObject({ type: 'error', code: 'invalid_request', message: expect.stringContaining('cookies.0.name') });
    expect(await raw.waitFor((m) => m.requestId === 'a', wait)).toMatchObject({ type: 'error', code: 'invalid_request', message: expect.stringContaining('unknown action "hover"') });
    await Promise.all([run.client.close(), raw.close()]);
  });
});
