// Sharded job counters against DynamoDB Local: settles spread over the job's shard items and never
// write the job item; the counts read back are exact sums; the end is decided once, by one
// transaction over the job item and every shard, even when the last pages settle at once or a
// reader's two reads straddle an admission.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../local/provision.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoFrontierStore } from '../../functions/adapters/dynamodb/frontier-store.js';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store.js';
import { CONNECTIONS_KEY, FRONTIER_KEY, TABLES } from '../../functions/adapters/dynamodb/table-definitions.js';
import { jobIdOfShardKey } from '../../functions/core/counter-shards.js';
import { finalStatusOf, type FrontierRecord, type JobRecord } from '../../functions/core/job.js';
import { startDynamoDb } from '../../local/emulators/dynamodb.js';
import { jobItemWrites, recordDynamoCalls, type RecordedCall } from './fixtures-counter-shards/dynamo-calls.js';

const SHARDS = 8;
let emulator: { endpoint: string; stop(): Promise<void> };
let db: DynamoDBDocumentClient;
let jobs: DynamoJobStore;
let frontier: DynamoFrontierStore;
let calls: RecordedCall[];
/** runs after a call of the given kind completes, once (a worker acting between a reader's requests) */
let between: { after: string; run: () => Promise<void> } | null = null;
let jobId = '';
let jobCount = 0;
const now = 1_000;

beforeAll(async () => {
  emulator = await startDynamoDb({ port: 0 });
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const simple = (name: string, key: string) =>
    raw.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      }),
    );
  // as provisioned: with the sparse index of open jobs the sweeper's list queries
  await createTable(raw, 'jobs', TABLES.jobs);
  await simple('connections', CONNECTIONS_KEY.partitionKey);
  await raw.send(
    new CreateTableCommand({
      TableName: 'frontier',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: FRONTIER_KEY.partitionKey, AttributeType: 'S' },
        { AttributeName: FRONTIER_KEY.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: FRONTIER_KEY.partitionKey, KeyType: 'HASH' },
        { AttributeName: FRONTIER_KEY.sortKey, KeyType: 'RANGE' },
      ],
    }),
  );
  db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  calls = recordDynamoCalls(raw, async (kind) => {
    if (between?.after !== kind) return;
    const run = between.run;
    between = null;
    await run();
  });
  const tables = { jobs: 'jobs', frontier: 'frontier', connections: 'connections' };
  jobs = new DynamoJobStore(db, tables, { now: () => now });
  frontier = new DynamoFrontierStore(db, tables, { now: () => now });
});

afterAll(async () => {
  await emulator?.stop();
});

function child(key: string, discoveredBy: string): FrontierRecord {
  return { jobId, urlKey: key, url: `http://s/${key}`, depth: 1, parent: 'http://s/', discoveredBy, state: 'queued', attempts: 0, expiresAt: 9 };
}

function jobFor(id: string, counterShards: number | undefined): JobRecord {
  return {
    jobId: id, url: 'http://s/', depth: 2, maxPages: 1000, scope: 'host', include: [], exclude: [], connectionId: `c-${id}`, status: 'running',
    cacheKey: 'k', startedAt: 0, deadlineAt: 1e12, admitted: 1, settled: 0, done: 0, failed: 0, expiresAt: 9,
    ...(counterShards !== undefined ? { counterShards } : {}),
  };
}

async function newJob(counterShards: number | undefined = SHARDS): Promise<void> {
  jobId = `job-${++jobCount}`;
  const seed: FrontierRecord = { ...child('seed', ''), url: 'http://s/', depth: 0, parent: null, discoveredBy: null };
  expect(await jobs.createJob(jobFor(jobId, counterShards), seed, 100)).toBe('created');
}

/** Claims and settles a URL the way a worker does; `fail` settles it failed. */
async function crawl(key: string, fail = false): Promise<void> {
  expect((await frontier.claim(jobId, key, 'w', 60_000)).kind).toBe('claimed');
  const outcome = fail
    ? { kind: 'failed' as const, failure: { url: `http://s/${key}`, error: 'net::ERR_CONNECTION_RESET' } }
    : { kind: 'done' as const, summary: { url: `http://s/${key}` } as never };
  expect(await frontier.settle(jobId, key, 'w', outcome, SHARDS)).toBe(true);
}

beforeEach(() => {
  calls.length = 0;
  between = null;
});

describe('settles spread over the shards', () => {
  it('never write the job item, and the counts read back are exact', async () => {
    await newJob();
    const keys = Array.from({ length: 40 }, (_, i) => `p${i}`);
    await frontier.admitAll(keys.map((key) => child(key, 'seed')), 1000);
    for (const key of ['seed', ...keys]) await frontier.claim(jobId, key, 'w', 60_000);
    calls.length = 0;
    expect(await frontier.settle(jobId, 'seed', 'w', { kind: 'done', summary: { url: 'http://s/' } as never }, SHARDS)).toBe(true);
    for (const [i, key] of keys.entries()) {
      const outcome = i % 10 === 0
        ? { kind: 'failed' as const, failure: { url: key, error: 'HTTP 500' } }
        : { kind: 'done' as const, summary: { url: key } as never };
      expect(await frontier.settle(jobId, key, 'w', outcome, SHARDS)).toBe(true);
    }
    const writes = jobItemWrites(calls, 'jobs');
    expect(writes.filter((w) => w.key === jobId)).toEqual([]);
    const byShard = new Map<string, number>();
    for (const w of writes) byShard.set(w.key, (byShard.get(w.key) ?? 0) + 1);
    expect([...byShard.keys()].every((key) => jobIdOfShardKey(key) === jobId)).toBe(true);
    expect([...byShard.values()].reduce((a, b) => a + b, 0)).toBe(41);
    // 41 URLs over 8 shards: most shards take some (the hash spreads them).
    expect(byShard.size).toBeGreaterThanOrEqual(6);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 41, settled: 41, done: 37, failed: 4, lastActivityAt: now });
  });

  it('and a job made before (no shards) still counts on its item, as it did', async () => {
    await newJob(undefined);
    await frontier.admitAll([child('a', 'seed')], 1000);
    calls.length = 0;
    await frontier.claim(jobId, 'seed', 'w', 60_000);
    await frontier.settle(jobId, 'seed', 'w', { kind: 'done', summary: { url: 'http://s/' } as never });
    expect(jobItemWrites(calls, 'jobs').map((w) => w.key)).toEqual([jobId]);
    expect(await jobs.getJob(jobId)).toMatchObject({ admitted: 2, settled: 1, done: 1 });
  });

  it('after a settle, the job is read, not written, unless a progress message is due', async () => {
    await newJob();
    await frontier.admitAll(['a', 'b', 'c'].map((key) => child(key, 'seed')), 1000);
    await crawl('seed');
    calls.length = 0;
    const first = await jobs.readAfterSettle(jobId, 5_000, 1_000);
    expect(first.progressDue).toBe(true);
    expect(first.job).toMatchObject({ admitted: 4, settled: 1, done: 1 });
    await crawl('a');
    const second = await jobs.readAfterSettle(jobId, 5_500, 1_000);
    expect(second).toMatchObject({ progressDue: false, job: { settled: 2 } });
    await crawl('b');
    await jobs.readAfterSettle(jobId, 5_600, 1_000);
    // one progress slot claimed in all; the settles themselves wrote shards only
    expect(jobItemWrites(calls, 'jobs').filter((w) => w.key === jobId)).toHaveLength(1);
  });

  it('after a settle, a worker that knows the shard count reads the job and its shards in one request', async () => {
    await newJob();
    await frontier.admitAll(['a', 'b', 'c'].map((key) => child(key, 'seed')), 1000);
    await crawl('seed');
    await crawl('a', true);
    calls.length = 0;
    const read = await jobs.readAfterSettle(jobId, 7_000, 1_000, SHARDS);
    expect(calls.map((call) => call.kind)).toEqual(['BatchGetItem', 'UpdateItem']);
    expect(read.job).toEqual({ ...(await jobs.getJob(jobId)), lastProgressAt: 7_000 });
    expect(read.job).toMatchObject({ admitted: 4, settled: 2, done: 1, failed: 1 });
    // A count that is not the job's (never so for a worker; it reads the job's own) is read again, not summed short.
    calls.length = 0;
    expect((await jobs.readAfterSettle(jobId, 7_100, 1_000, 2)).job).toMatchObject({ admitted: 4, settled: 2, done: 1, failed: 1 });
    expect(calls.map((call) => call.kind)).toEqual(['BatchGetItem', 'GetItem', 'BatchGetItem']);
    expect(await jobs.readAfterSettle('no-such-job', 7_200, 1_000, SHARDS)).toEqual({ job: null, progressDue: false });
  });

  it('host waits count on the URL’s shard, and are summed', async () => {
    await newJob();
    await frontier.admitAll(['a', 'b'].map((key) => child(key, 'seed')), 1000);
    for (const key of ['a', 'b']) await frontier.claim(jobId, key, 'w', 60_000);
    calls.length = 0;
    expect(await frontier.releaseForHost(jobId, 'a', 'w', 7_000, true, SHARDS)).toBe(true);
    expect(await frontier.releaseForHost(jobId, 'b', 'w', 9_000, true, SHARDS)).toBe(true);
    expect(jobItemWrites(calls, 'jobs').filter((w) => w.key === jobId)).toEqual([]);
    expect(await jobs.getJob(jobId)).toMatchObject({ delayed: 2, hostWaits: 2, delayedUntil: 9_000, lastDelayedAt: now });
    await frontier.claim(jobId, 'a', 'w', 60_000);
    await frontier.endWait(jobId, 'a', 'w', SHARDS);
    await frontier.endWait(jobId, 'a', 'w', SHARDS);
    expect(await jobs.getJob(jobId)).toMatchObject({ delayed: 1, hostWaits: 2 });
  });
});

describe('the end of a sharded job', () => {
  it('is decided once when the last pages settle at once, on exact counts', async () => {
    for (let round = 0; round < 4; round++) {
      await newJob();
      const keys = Array.from({ length: 24 }, (_, i) => `last${i}`);
      await frontier.admitAll(keys.map((key) => child(key, 'seed')), 1000);
      await crawl('seed');
      for (const key of keys) await frontier.claim(jobId, key, 'w', 60_000);
      // Every last page settles and then tries to end the job, all at once.
      const won = await Promise.all(
        keys.map(async (key, i) => {
          const outcome = i === 3
            ? { kind: 'failed' as const, failure: { url: key, error: 'HTTP 500' } }
            : { kind: 'done' as const, summary: { url: key } as never };
          expect(await frontier.settle(jobId, key, 'w', outcome, SHARDS)).toBe(true);
          return jobs.beginFinishIfSettled(jobId, finalStatusOf, now);
        }),
      );
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(await jobs.getJob(jobId)).toMatchObject({ status: 'finishing', finalStatus: 'partial', admitted: 25, settled: 25, done: 24, failed: 1 });
      expect(await jobs.beginFinishIfSettled(jobId, finalStatusOf, now)).toBe(false);
    }
  }, 120_000);

  it('is not decided while a URL is unsettled', async () => {
    await newJob();
    await frontier.admitAll([child('a', 'seed')], 1000);
    await crawl('seed');
    expect(await jobs.beginFinishIfSettled(jobId, finalStatusOf, now)).toBe(false);
    expect(await jobs.beginFinish(jobId, 'succeeded', now)).toBe(false);
    await crawl('a');
    expect(await jobs.beginFinish(jobId, 'succeeded', now)).toBe(true);
  });

  it('is refused when an admission and a settle land between reading the job item and its shards', async () => {
    await newJob();
    await frontier.admitAll([child('a', 'seed')], 1000);
    await crawl('seed');
    await frontier.claim(jobId, 'a', 'w', 60_000);
    // The reader sees admitted 2 on the job item; then `a` admits a child and settles before the
    // reader reads the shards, which then show 2 settled: 2 = 2 on two reads that never held at once.
    between = {
      after: 'GetItem',
      run: async () => {
        await frontier.admitAll([child('late', 'a')], 1000);
        await frontier.settle(jobId, 'a', 'w', { kind: 'done', summary: { url: 'http://s/a' } as never }, SHARDS);
      },
    };
    expect(await jobs.beginFinishIfSettled(jobId, finalStatusOf, now)).toBe(false);
    expect(between).toBeNull();
    expect(await jobs.getJob(jobId)).toMatchObject({ status: 'running', admitted: 3, settled: 2 });
    await crawl('late');
    expect(await jobs.beginFinishIfSettled(jobId, finalStatusOf, now)).toBe(true);
  });

  it('is refused when a URL is admitted after the reader saw the job done (a worker whose lease was taken over)', async () => {
    await newJob();
    await crawl('seed');
    between = { after: 'BatchGetItem', run: async () => void (await frontier.admitAll([child('zombie', 'seed')], 1000)) };
    expect(await jobs.beginFinishIfSettled(jobId, finalStatusOf, now)).toBe(false);
    expect(await jobs.getJob(jobId)).toMatchObject({ status: 'running', admitted: 2, settled: 1 });
  });
});

describe('redrive of a sharded job', () => {
  it('takes the failed pages back on the job item, and the run ends once more on exact counts', async () => {
    await newJob();
    await frontier.admitAll(['a', 'b', 'c'].map((key) => child(key, 'seed')), 1000);
    await crawl('seed');
    await crawl('a');
    await crawl('b', true);
    await crawl('c', true);
    expect(await jobs.beginFinishIfSettled(jobId, finalStatusOf, now)).toBe(true);
    expect(await jobs.completeFinish((await jobs.getJob(jobId))!, 'partial', 'jobs/x/manifest.json')).toBe(true);
    expect(await jobs.claimNotification(jobId, now + 1)).toBe(true);
    const job = (await jobs.getJob(jobId))!;
    expect(job).toMatchObject({ status: 'partial', settled: 4, done: 2, failed: 2 });
    const failed = (await frontier.list(jobId)).filter((r) => r.state === 'failed');
    const run = (c: string) => ({ connectionId: c, now: now + 2, deadlineAt: 1e12 });
    expect(await jobs.openRedrive({ ...job, notifiedAt: now }, run('c1'), 5)).toBe('refused');
    const outcomes = await Promise.all([jobs.openRedrive(job, run('c1'), 5), jobs.openRedrive(job, run('c2'), 5)]);
    expect(outcomes.sort()).toEqual(['refused', 'started']);
    expect(await jobs.requeueFailed(jobId, 1, failed)).toBe(true);
    await jobs.endRedrive(jobId, 1);
    expect(await jobs.getJob(jobId)).toMatchObject({ status: 'running', admitted: 4, settled: 2, done: 2, failed: 0 });
    expect(await jobs.beginFinishIfSettled(jobId, finalStatusOf, now)).toBe(false);
    await crawl('b');
    await crawl('c');
    const won = await Promise.all(Array.from({ length: 5 }, () => jobs.beginFinishIfSettled(jobId, finalStatusOf, now + 3)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await jobs.getJob(jobId)).toMatchObject({ status: 'finishing', finalStatus: 'succeeded', settled: 4, done: 4, failed: 0 });
  });
});

describe('the sweeper’s list', () => {
  it('has every unfinished job with its shards summed', async () => {
    await newJob();
    await frontier.admitAll([child('a', 'seed')], 1000);
    await crawl('seed');
    const listed = (await jobs.listUnfinished()).find((j) => j.jobId === jobId);
    expect(listed).toMatchObject({ admitted: 2, settled: 1, done: 1, lastActivityAt: now });
    expect((await jobs.listUnfinished()).every((j) => jobIdOfShardKey(j.jobId) === null)).toBe(true);
  });
});
