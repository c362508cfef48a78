// A crawl's headers and cookies at rest, through the whole local stack: while the job runs they are
// in the secrets table only (the one table without point-in-time recovery on AWS), never in the
// jobs, frontier or connections tables, whose every past value point-in-time recovery keeps for 35
// days; every page of the job still gets them, also the page whose worker died after rendering it
// (the redelivered message renders it again, with them); and once the job has ended they are in no
// table and no object of the stack.
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { LOGIN, startBehaviourSite, type BehaviourSite } from '../integration/fixtures-browser/behaviour-site.js';
import { connectClient, doneWithin } from './support/test-client.js';
import { clientsFor, settleAndCountCompletions, startTestStack, type ManifestJson } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings } from './support/machine.js';

let stack: LocalStack;
let site: BehaviourSite;
const lines: string[] = [];
const SECRETS = [LOGIN.token, LOGIN.session];
/** The worker dies after rendering this page, before storing it: its message is delivered again. */
const FAULTED = '/private/next';

beforeAll(async () => {
  site = await startBehaviourSite();
  const speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  stack = await startTestStack({
    log: (line) => lines.push(line),
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs) },
    workerEnv: { CRAWLER_FAULTS: `after-render@${FAULTED}` },
  });
});

afterAll(async () => {
  await stack?.stop();
  await site?.close();
});

/** Every item of a table, as text. */
async function tableText(table: string): Promise<string> {
  const { dynamo } = clientsFor(stack);
  const items: unknown[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start as never } : {}) }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items);
}

/** Every object in the results bucket, as text. */
async function bucketText(): Promise<string> {
  const { s3 } = clientsFor(stack);
  const texts: string[] = [];
  let token: string | undefined;
  do {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: stack.resources.bucket, ...(token ? { ContinuationToken: token } : {}) }));
    for (const { Key } of listed.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: stack.resources.bucket, Key: Key! }));
      texts.push(Buffer.from((await body.Body?.transformToByteArray()) ?? []).toString('latin1'));
    }
    token = listed.NextContinuationToken;
  } while (token);
  return texts.join('\n');
}

const recoverable = () => [stack.resources.jobsTable, stack.resources.frontierTable, stack.resources.connectionsTable];

it('keeps them out of the tables point-in-time recovery covers, gives them to every page (a redelivered one too), and leaves them nowhere once the job ends', async () => {
  const speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  site.hits.length = 0;
  const client = await connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });
  const accepted = await client.crawl({ url: `${site.origin}/private`, depth: 1, headers: { [LOGIN.header]: LOGIN.token }, cookies: [{ name: LOGIN.cookie, value: LOGIN.session }] });
  const jobId = accepted.jobId;

  // While the job runs: in the secrets table, in no table point-in-time recovery covers. The job
  // is read after the scans and found running: it ran while they were made (it runs from its
  // creation until it ends, and its pages, one of which dies and waits out a visibility timeout,
  // take far longer than these reads).
  const secretsWhileRunning = await tableText(stack.resources.secretsTable);
  const recoverableWhileRunning = await Promise.all(recoverable().map(tableText));
  const { dynamo } = clientsFor(stack);
  const job = await dynamo.send(new GetItemCommand({ TableName: stack.resources.jobsTable, Key: { jobId: { S: jobId } }, ConsistentRead: true }));
  expect(job.Item?.status).toEqual({ S: 'running' });
  expect(job.Item?.usedCredentials).toEqual({ BOOL: true });
  for (const secret of SECRETS) {
    expect(secretsWhileRunning).toContain(secret);
    recoverableWhileRunning.forEach((text, i) => expect(text.includes(secret), `${secret} in ${recoverable()[i]}`).toBe(false));
  }

  const done = await doneWithin(client, accepted, jobWaitMs(timings, speed, { recoveries: 1, pages: 3 }));
  const completed = done.completed;
  expect(completed).toMatchObject({ status: 'succeeded', failed: 0 });
  const manifest = done.manifest as unknown as ManifestJson;
  const byUrl = new Map(manifest.pages.map((p) => [p.url, p]));
  // Both pages behind the login were read logged in: the one whose worker died too (403 without them).
  expect(byUrl.get(`${site.origin}/private`)).toMatchObject({ status: 200, title: 'private' });
  expect(byUrl.get(`${site.origin}${FAULTED}`)).toMatchObject({ status: 200, title: 'next' });
  // The fault fired: the page was rendered, the environment died, the redelivery rendered it again.
  expect(lines.some((line) => line.includes('injected fault') && line.includes(FAULTED))).toBe(true);
  const faultedHits = site.hits.filter((h) => h.server === 'site' && h.path === FAULTED);
  expect(faultedHits.length).toBeGreaterThanOrEqual(2);
  for (const hit of site.hits.filter((h) => h.server === 'site')) expect(hit).toMatchObject({ token: LOGIN.token, cookie: `${LOGIN.cookie}=${LOGIN.session}` });

  // Once it has ended: in no table of the stack (the secrets table included), in no object.
  const everything = [...recoverable(), stack.resources.secretsTable];
  const after = await Promise.all(everything.map(tableText));
  const objects = await bucketText();
  for (const secret of SECRETS) {
    after.forEach((text, i) => expect(text.includes(secret), `${secret} in ${everything[i]}`).toBe(false));
    expect(objects.includes(secret), `${secret} in the results bucket`).toBe(false);
  }
  expect(after[after.length - 1]).not.toContain(jobId);
  expect(await settleAndCountCompletions({ jobId, completed, manifest, client })).toBe(1);
  await client.close();
});
