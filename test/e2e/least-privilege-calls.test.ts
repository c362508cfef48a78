// The grants of infra/function-access.ts against the calls the functions really make (issue 28):
// the emulators enforce no IAM, so every AWS request of every invocation is written down as it
// leaves its execution environment (local/call-audit.ts) while a local stack runs the journeys
// that reach the most code — a crawl with every format and the finisher's WACZ, an answer cut
// from a deeper cached crawl (the crawl route writes exports and a WACZ), a crawl built upon a
// cached one, status from another connection, cancel, a failed page redriven, the heartbeat, the
// sweeper, an unroutable message — and each request is mapped to its IAM action and resource.
// A call whose action the function's role lacks fails here, naming function, action and resource,
// instead of as AccessDenied on AWS. (The template test, test/infra/least-privilege.test.ts,
// checks the roles hold exactly that table.)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FUNCTION_ACCESS, type FunctionAccess, type FunctionId } from '../../infra/function-access.js';
import type { AuditedCall } from '../../local/call-audit.js';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket } from './support/raw-socket.js';
import { connectClient, doneWithin } from './support/test-client.js';
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { clientsFor, crawl, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

let stack: LocalStack;
let server: Server;
let origin = '';
let speed: MachineSpeed;
let timings: StackTimings;
let auditDir = '';
let auditFile = '';

const link = (href: string) => `<a href="${href}">${href}</a>`;
const SITE: Record<string, string[]> = {
  '/s/': ['/s/a', '/s/b'],
  '/s/a': ['/s/a1', '/s/'],
  '/s/b': [],
  '/s/a1': ['/s/a1x'],
  '/s/a1x': [],
  '/f/': ['/f/ok', '/f/flaky'],
  '/f/ok': [],
  '/f/flaky': [],
  '/held/': ['/held/1'],
};
/** /f/flaky resets the connection until healed: a failed page to redrive */
let flakyBroken = true;
let releaseHeld!: () => void;
const held = new Promise<void>((resolve) => (releaseHeld = resolve));

/** Each page's ETag: a `since` crawl asks with it, and the site answers 304 (the crawler copies the earlier record). */
const etagOf = (path: string) => `"${Buffer.from(path).toString('hex')}"`;

function page(res: ServerResponse, path: string): void {
  res.writeHead(200, { 'content-type': 'text/html', etag: etagOf(path) });
  res.end(`<!doctype html><title>${path}</title><main><h1>${path}</h1><p>text of ${path}</p>${(SITE[path] ?? []).map(link).join(' ')}</main>`);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/f/flaky' && flakyBroken) {
      res.socket?.destroy();
      return;
    }
    if (path === '/held/1') {
      void held.then(() => page(res, path));
      return;
    }
    if (path === '/robots.txt' || !SITE[path]) {
      res.writeHead(404).end();
      return;
    }
    if (req.headers['if-none-match'] === etagOf(path)) {
      res.writeHead(304, { etag: etagOf(path) }).end();
      return;
    }
    page(res, path);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  speed = await machineSpeed();
  timings = stackTimings(speed, 3, { settleMaxMs: 1_000 });
  auditDir = mkdtempSync(join(tmpdir(), 'crawler-call-audit-'));
  auditFile = join(auditDir, 'calls.jsonl');
  stack = await startTestStack({
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    // the sweeper runs during the test (its index Query, its reads)
    sweepIntervalMs: 2_000,
    env: {
      CRAWLER_CALL_AUDIT: auditFile,
      NAV_TIMEOUT_MS: String(timings.navTimeoutMs),
      SETTLE_MAX_MS: String(timings.settleMaxMs),
      MAX_ATTEMPTS: '2',
      LEASE_MS: String(timings.leaseMs),
      // the heartbeat runs while the held job waits
      HEARTBEAT_INTERVAL_SECONDS: '1',
    },
  });
});

afterAll(async () => {
  releaseHeld?.();
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  if (auditDir) rmSync(auditDir, { recursive: true, force: true });
});

type Target = 'jobs' | 'jobsOpenIndex' | 'frontier' | 'connections' | 'secrets' | 'crawlQueue' | 'heartbeatQueue' | 'finishQueue' | 'webhookQueue' | 'resultsBucket' | 'jobObjects' | 'finisherObjects' | 'connectionsApi';
interface Use {
  target: Target | `unknown resource ${string}`;
  action: string;
}

/** local function name (crawl, worker-0, finisher-1…) → the construct id of infra/crawler-stack.ts */
function functionIdOf(name: string): FunctionId | undefined {
  const ids: Record<string, FunctionId> = {
    connect: 'ConnectFunction',
    disconnect: 'DisconnectFunction',
    default: 'DefaultFunction',
    crawl: 'CrawlFunction',
    status: 'StatusFunction',
    cancel: 'CancelFunction',
    redrive: 'RedriveFunction',
    worker: 'CrawlerFunction',
    finisher: 'FinisherFunction',
    heartbeat: 'HeartbeatFunction',
    webhook: 'WebhookFunction',
    sweep: 'SweepFunction',
    authorize: 'AuthorizeFunction',
  };
  return ids[name.replace(/-\d+$/, '')];
}

/** The IAM actions and resources one request needs (DynamoDB, SQS, S3 and API Gateway authorization references). */
function usesOf(call: AuditedCall, stack: LocalStack): Use[] {
  const r = stack.resources;
  const table = (name: string): Use['target'] =>
    name === r.jobsTable ? 'jobs' : name === r.frontierTable ? 'frontier' : name === r.connectionsTable ? 'connections' : name === r.secretsTable ? 'secrets' : `unknown resource ${name}`;
  const queue = (url: string | undefined): Use['target'] =>
    url === r.queueUrl ? 'crawlQueue' : url === r.heartbeatQueueUrl ? 'heartbeatQueue' : url === r.finishQueueUrl ? 'finishQueue' : url === r.webhookQueueUrl ? 'webhookQueue' : `unknown resource ${url}`;
  if (call.service === 'dynamodb') {
    const operation = call.target?.split('.')[1] ?? '?';
    const tables = call.resources?.tables ?? [];
    if (operation === 'TransactWriteItems') {
      const kinds: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem' };
      return (call.resources?.items ?? []).map((item) => ({ target: table(item.table), action: kinds[item.kind] ?? item.kind }));
    }
    if (operation === 'TransactGetItems') return (call.resources?.items ?? []).map((item) => ({ target: table(item.table), action: 'GetItem' }));
    if (operation === 'Query' && call.resources?.index) {
      const target = tables[0] === r.jobsTable && call.resources.index === 'unfinished' ? 'jobsOpenIndex' : (`unknown resource ${tables[0]}/index/${call.resources.index}` as const);
      return [{ target, action: 'Query' }];
    }
    return tables.map((name) => ({ target: table(name), action: operation }));
  }
  if (call.service === 'sqs') {
    const operation = call.target?.split('.')[1] ?? call.resources?.action ?? '?';
    const action = operation === 'SendMessageBatch' ? 'SendMessage' : operation === 'ChangeMessageVisibilityBatch' ? 'ChangeMessageVisibility' : operation;
    return [{ target: queue(call.resources?.queueUrl), action }];
  }
  if (call.service === 's3') {
    const url = new URL(call.path, 'http://s3.local');
    const [bucket, ...rest] = url.pathname.slice(1).split('/');
    const key = decodeURIComponent(rest.join('/'));
    const objects = (k: string): Use['target'] =>
      bucket !== r.bucket ? `unknown resource ${bucket}` : k.startsWith('jobs/') ? 'jobObjects' : k.startsWith('finisher/') ? 'finisherObjects' : `unknown resource ${bucket}/${k}`;
    const q = url.searchParams;
    if (!key) return [{ target: bucket === r.bucket ? 'resultsBucket' : `unknown resource ${bucket}`, action: call.method === 'GET' ? 'ListBucket' : `${call.method} bucket` }];
    if (call.method === 'GET' || call.method === 'HEAD') return [{ target: objects(key), action: q.has('uploadId') ? 'ListMultipartUploadParts' : 'GetObject' }];
    if (call.method === 'DELETE') return [{ target: objects(key), action: q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject' }];
    if (call.method === 'PUT' && call.copySource) {
      const source = decodeURIComponent(call.copySource.replace(/^\//, '')).split('/').slice(1).join('/');
      return [
        { target: objects(key), action: 'PutObject' },
        { target: objects(source), action: 'GetObject' },
      ];
    }
    // PUT of an object or a part, POST that starts or completes a multipart upload
    return [{ target: objects(key), action: 'PutObject' }];
  }
  if (call.service === 'execute-api') return [{ target: 'connectionsApi', action: call.method }];
  return [{ target: `unknown resource ${call.service}`, action: call.method }];
}

function allows(access: FunctionAccess, use: Use): boolean {
  switch (use.target) {
    case 'resultsBucket':
      return use.action === 'ListBucket' && access.listResults === true;
    case 'connectionsApi':
      return use.action === 'POST' && access.postToConnections === true;
    case 'jobs':
    case 'jobsOpenIndex':
    case 'frontier':
    case 'connections':
    case 'secrets':
      return (access[use.target] as string[] | undefined)?.includes(use.action) ?? false;
    case 'crawlQueue':
    case 'heartbeatQueue':
    case 'finishQueue':
    case 'webhookQueue':
      return (access[use.target] as string[] | undefined)?.includes(use.action) ?? false;
    case 'jobObjects':
    case 'finisherObjects':
      return (access[use.target] as string[] | undefined)?.includes(use.action) ?? false;
    default:
      return false;
  }
}

function readCalls(): AuditedCall[] {
  return readFileSync(auditFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as AuditedCall);
}

it('every AWS call each function makes is one its role allows', async () => {
  const formats = ['html', 'markdown', 'screenshot', 'archive'];
  const request = { url: `${origin}/s/`, formats };

  // A crawl with every format: pages, screenshots, WARCs (digests, byte budget), the finisher's WACZ.
  const deep = await crawl(stack, { ...request, depth: 2 }, jobWaitMs(timings, speed, { pages: 4 }));
  expect(deep.completed).toMatchObject({ status: 'succeeded', pages: 4 });
  expect(deep.completed.archiveUrl).toEqual(expect.any(String));
  await deep.client.close();
  // Answered from it at a smaller depth: the finisher cuts the answer and writes its exports and WACZ.
  const answer = await crawl(stack, { ...request, depth: 1, maxAge: 3600 }, replyWaitMs(speed));
  expect(answer.completed).toMatchObject({ status: 'succeeded', cached: true, pages: 3 });
  await answer.client.close();
  // Built upon at a greater depth: the cached pages copied into the new job, the rest crawled.
  const built = await crawl(stack, { ...request, depth: 3, maxAge: 3600 }, jobWaitMs(timings, speed, { pages: 5 }));
  expect(built.completed).toMatchObject({ status: 'succeeded', pages: 5, cached: false });
  expect(built.completed.reused).toBeGreaterThan(0);
  await built.client.close();
  // Crawled again since the first: every page answered 304, its record copied (crawler), the
  // change report read from both jobs' frontiers (finisher).
  const since = await crawl(stack, { ...request, depth: 2, since: deep.jobId }, jobWaitMs(timings, speed, { pages: 4 }));
  expect(since.completed).toMatchObject({ status: 'succeeded', pages: 4, changes: { added: 0, changed: 0, unchanged: 4, removed: 0 } });
  await since.client.close();

  // A job held running: status from another connection moves its notifications there, the
  // heartbeat ticks, and cancel ends it.
  const owner = await connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });
  // with credentials: the secrets table's put (crawl route), reads (crawler) and delete (cancel)
  const heldJob = await owner.crawl({ url: `${origin}/held/`, depth: 1, headers: { authorization: 'Bearer audit-secret' } });
  const jobId = heldJob.jobId;
  await owner.waitFor((m) => m.type === 'progress' && m.jobId === jobId, jobWaitMs(timings, speed, { pages: 1 }));
  const other = await connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });
  expect(await other.status(jobId)).toMatchObject({ type: 'status', jobId, status: 'running' });
  await other.cancel(jobId);
  await other.waitFor((m) => m.type === 'completed' && m.jobId === jobId, jobWaitMs(timings, speed, { pages: 1 }));
  releaseHeld();
  // an unknown action (the $default route): only a bare socket sends one
  const raw = await RawSocket.connect(stack.wsUrl);
  raw.send({ action: 'nonsense', requestId: 'nx' });
  expect(await raw.waitFor((m) => m.type === 'error' && m.requestId === 'nx', replyWaitMs(speed))).toMatchObject({ type: 'error' });
  await Promise.all([owner.close(), other.close(), raw.close()]);

  // A page that fails, then heals and is redriven in the same job.
  const failing = await crawl(stack, { url: `${origin}/f/`, depth: 1 }, jobWaitMs(timings, speed, { pages: 3, recoveries: 2 }));
  expect(failing.completed).toMatchObject({ status: 'partial', failed: 1 });
  flakyBroken = false;
  const again = await failing.client.redrive(failing.jobId);
  expect(await failing.client.waitFor((m) => m.type === 'accepted' && m.redrive === true)).toMatchObject({ jobId: failing.jobId });
  const { completed: redriven } = await doneWithin(failing.client, again, jobWaitMs(timings, speed, { pages: 1 }));
  expect(redriven).toMatchObject({ status: 'succeeded', failed: 0 });
  await failing.client.close();
  // the sweeper has run meanwhile (every 2 s); one more interval, so that it saw the last jobs
  await new Promise((resolve) => setTimeout(resolve, 2_500));

  const calls = readCalls();
  const refused: string[] = [];
  const seen = new Map<string, Set<string>>();
  for (const call of calls) {
    const id = call.fn === null ? undefined : functionIdOf(call.fn);
    for (const use of usesOf(call, stack)) {
      const named = `${use.target} ${use.action}`;
      if (!id) {
        refused.push(`outside any known function (${call.fn}): ${named}`);
        continue;
      }
      (seen.get(id) ?? seen.set(id, new Set()).get(id)!).add(named);
      if (!allows(FUNCTION_ACCESS[id], use)) refused.push(`${id}: ${named}`);
    }
  }
  expect([...new Set(refused)].sort()).toEqual([]);

  // The audit is live: each journey's functions were heard making the calls that define them.
  const observed = Object.fromEntries([...seen].map(([id, uses]) => [id, [...uses].sort()]));
  // what each function was seen doing, for whoever updates infra/function-access.ts
  if (process.env.CALL_AUDIT_VERBOSE) console.log(JSON.stringify(observed, null, 1));
  expect(Object.keys(observed).sort()).toEqual(
    expect.arrayContaining(['CancelFunction', 'ConnectFunction', 'CrawlFunction', 'CrawlerFunction', 'DisconnectFunction', 'DefaultFunction', 'FinisherFunction', 'HeartbeatFunction', 'RedriveFunction', 'StatusFunction', 'SweepFunction']),
  );
  expect(observed.DisconnectFunction).toEqual(['connections DeleteItem']);
  expect(observed.SweepFunction).toContain('jobsOpenIndex Query');
  expect(observed.CrawlerFunction).toEqual(expect.arrayContaining(['frontier PutItem', 'jobObjects PutObject', 'jobs ConditionCheckItem', 'crawlQueue SendMessage']));
  // the finisher's function also does the routes' heavy work: a redrive's URLs put back and queued, a job built upon a cached crawl
  expect(observed.FinisherFunction).toEqual(
    expect.arrayContaining(['frontier Query', 'jobObjects PutObject', 'jobs PutItem', 'frontier BatchWriteItem', 'frontier UpdateItem', 'crawlQueue SendMessage', 'frontier BatchGetItem']),
  );
  expect(observed.CrawlFunction).toEqual(expect.arrayContaining(['frontier PutItem', 'jobs PutItem', 'secrets PutItem']));
  // the crawl route does no heavy work: no frontier listing, no object read or written (a cut answer is the finisher's)
  expect((observed.CrawlFunction ?? []).filter((use) => use === 'frontier Query' || use.startsWith('jobObjects') || use.startsWith('finisherObjects'))).toEqual([]);
  expect(observed.StatusFunction).toEqual(expect.arrayContaining(['connections UpdateItem', 'jobs UpdateItem']));
  // the redrive route reopens the job and asks the finisher's function: no frontier, no crawl queue
  expect(observed.RedriveFunction).toEqual(expect.arrayContaining(['jobs UpdateItem', 'connections UpdateItem', 'finishQueue SendMessage']));
  expect((observed.RedriveFunction ?? []).filter((use) => use.startsWith('frontier') || use.startsWith('crawlQueue'))).toEqual([]);
  expect(observed.CrawlerFunction).toEqual(expect.arrayContaining(['secrets GetItem']));
  expect(observed.CancelFunction).toEqual(expect.arrayContaining(['secrets DeleteItem']));
  // and nothing anywhere scans
  expect(calls.filter((c) => c.target?.endsWith('.Scan'))).toEqual([]);
}, 600_000);

// Data at rest: every item those journeys left (jobs, shards, cache entries, host-rate slots,
// finish checkpoints, frontier records, capped markers, archive digests and byte budgets,
// connection slots) carries the tables' TTL attribute, so DynamoDB deletes it in the end.
it('every item the journeys left in the tables expires (expiresAt, epoch seconds, in the future)', async () => {
  const { dynamo } = clientsFor(stack);
  const nowSeconds = Math.floor(Date.now() / 1000);
  const lacking: string[] = [];
  let items = 0;
  for (const table of [stack.resources.jobsTable, stack.resources.frontierTable, stack.resources.connectionsTable, stack.resources.secretsTable]) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        items++;
        const expiresAt = Number(item.expiresAt?.N);
        if (!(expiresAt > nowSeconds)) {
          const key = Object.entries(item)
            .filter(([name]) => ['jobId', 'urlKey', 'connectionId'].includes(name))
            .map(([name, value]) => `${name}=${value.S}`)
            .join(' ');
          lacking.push(`${table.replace(/^.*?-(\w+)$/, '$1')}: ${key} (expiresAt ${item.expiresAt?.N})`);
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
  expect(items).toBeGreaterThan(20);
  expect(lacking).toEqual([]);
});
