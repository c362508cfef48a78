// Reuse by depth, the storage part, against DynamoDB Local and the S3 emulator: cache entries per
// depth read in one batch (expired ones and credentialed crawls left out, a built job as old as its
// oldest page), an answer job created once, a job built upon a cached crawl created with its whole
// frontier or not at all, and a server-side copy of a page's file.
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFrontierStore } from '../../functions/adapters/dynamodb/frontier-store.js';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store.js';
import { CONNECTIONS_KEY, FRONTIER_KEY, JOBS_KEY } from '../../functions/adapters/dynamodb/table-definitions.js';
import { S3ResultStore } from '../../functions/adapters/s3/result-store.js';
import type { FrontierRecord, JobRecord } from '../../functions/core/job.js';
import { startDynamoDb } from '../../local/emulators/dynamodb.js';
import { startSqsS3 } from '../../local/emulators/sqs-s3.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
let dynamo: { endpoint: string; stop(): Promise<void> };
let s3Emulator: { endpoint: string; stop(): Promise<void> };
let jobs: DynamoJobStore;
let frontier: DynamoFrontierStore;
let s3: S3Client;
let results: S3ResultStore;
let now = 1_000;

beforeAll(async () => {
  [dynamo, s3Emulator] = await Promise.all([startDynamoDb({ port: 0 }), startSqsS3()]);
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
  const table = (name: string, keys: { partitionKey: string; sortKey?: string }) =>
    raw.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [keys.partitionKey, ...(keys.sortKey ? [keys.sortKey] : [])].map((n) => ({ AttributeName: n, AttributeType: 'S' as const })),
        KeySchema: [{ AttributeName: keys.partitionKey, KeyType: 'HASH' as const }, ...(keys.sortKey ? [{ AttributeName: keys.sortKey, KeyType: 'RANGE' as const }] : [])],
      }),
    );
  await Promise.all([table('jobs', JOBS_KEY), table('frontier', FRONTIER_KEY), table('connections', CONNECTIONS_KEY)]);
  const db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const tables = { jobs: 'jobs', frontier: 'frontier', connections: 'connections' };
  jobs = new DynamoJobStore(db, tables, { now: () => now });
  frontier = new DynamoFrontierStore(db, tables, { now: () => now });
  s3 = new S3Client({ region: 'us-east-1', endpoint: s3Emulator.endpoint, forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: 'results' }));
  results = new S3ResultStore(s3, 'results');
}, 120_000);

afterAll(async () => {
  await Promise.all([dynamo?.stop(), s3Emulator?.stop()]);
});

function jobFor(id: string, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId: id, url: 'http://s/', depth: 1, maxPages: 10, scope: 'host', include: [], exclude: [], connectionId: `c-${id}`, status: 'running',
    cacheKey: `r#d1`, startedAt: 0, deadlineAt: 1e12, admitted: 1, settled: 0, done: 0, failed: 0, expiresAt: 100, ...extra,
  };
}

function item(jobId: string, key: string, state: FrontierRecord['state']): FrontierRecord {
  return { jobId, urlKey: key, url: `http://s/${key}`, depth: key === 'seed' ? 0 : 1, parent: key === 'seed' ? null : 'http://s/', discoveredBy: null, state, attempts: 0, expiresAt: 100 };
}

/** Runs a job to a final state the way a finisher does. */
async function finish(job: JobRecord, status: 'succeeded' | 'partial', finishedAt: number): Promise<void> {
  expect(await jobs.createJob(job, item(job.jobId, 'seed', 'queued'), 100)).toBe('created');
  expect(await jobs.beginFinish(job.jobId, status, finishedAt, { reason: 'test' })).toBe(true);
  expect(await jobs.completeFinish({ ...job, finishedAt }, status, `jobs/${job.jobId}/manifest.json`)).toBe(true);
}

describe('cache entries by depth', () => {
  it('reads every depth of a reuse key in one batch; a built job is as old as the crawl it reused', async () => {
    await finish(jobFor('d1', { cacheKey: 'reuse#d1', depth: 1 }), 'succeeded', 500);
    await finish(jobFor('d3', { cacheKey: 'reuse#d3', depth: 3, crawledSince: 400 }), 'succeeded', 900);
    await finish(jobFor('d2', { cacheKey: 'reuse#d2', depth: 2 }), 'partial', 600);
    const keys = Array.from({ length: 51 }, (_, d) => `reuse#d${d}`);
    const entries = await jobs.getCacheEntries([...keys, 'legacy-exact']);
    expect(entries.sort((a, b) => a.cacheKey.localeCompare(b.cacheKey))).toEqual([
      { cacheKey: 'reuse#d1', jobId: 'd1', finishedAt: 500, expiresAt: 100 },
      { cacheKey: 'reuse#d3', jobId: 'd3', finishedAt: 400, expiresAt: 100 },
    ]);
    // The exact key of entries older than reuse by depth is still read the old way.
    expect(await jobs.getCacheEntry('reuse#d1')).toMatchObject({ jobId: 'd1' });
  });

  it('leaves out expired entries, and writes none for a crawl that sent headers or cookies', async () => {
    await finish(jobFor('secret', { cacheKey: 'secret#d1', usedCredentials: true }), 'succeeded', 500);
    await finish(jobFor('short', { cacheKey: 'short#d1', expiresAt: 2 }), 'succeeded', 500);
    now = 2_000;
    expect(await jobs.getCacheEntries(['secret#d1', 'short#d1'])).toEqual([]);
    now = 1_000;
    expect(await jobs.getCacheEntries(['short#d1'])).toHaveLength(1);
  });
});

describe('jobs made from a cached crawl', () => {
  it('creates an answer job once, final from the start, holding no slot', async () => {
    const answer = jobFor('answer', { status: 'succeeded', finishedAt: 1, notifiedAt: 1, manifestKey: 'jobs/answer/manifest.json', reusedFrom: 'd3' });
    expect(await jobs.createAnsweredJob(answer)).toBe(true);
    expect(await jobs.createAnsweredJob({ ...answer, done: 99 })).toBe(false);
    expect(await jobs.getJob('answer')).toEqual(answer);
    expect(await jobs.listUnfinished()).not.toContainEqual(expect.objectContaining({ jobId: 'answer' }));
  });

  it('creates a built job with every frontier item (more than a batch), or nothing when its connection is full', async () => {
    const items = [...Array.from({ length: 60 }, (_, i) => item('built', `p${i}`, 'done')), item('built', 'next', 'queued'), item('built', 'cut', 'capped')];
    const built = jobFor('built', { admitted: 62, settled: 61, done: 61, reused: 61, capped: 1 });
    expect(await jobs.createReusingJob(built, item('built', 'seed', 'done'), items, 5)).toBe('created');
    expect(await jobs.getJob('built')).toMatchObject({ reused: 61, admitted: 62, settled: 61 });
    const listed = await frontier.list('built');
    expect(listed).toHaveLength(63);
    expect(listed.filter((r) => r.state === 'queued').map((r) => r.urlKey)).toEqual(['next']);

    const full = jobFor('full', { connectionId: 'c-built' });
    expect(await jobs.createReusingJob(full, item('full', 'seed', 'done'), [item('full', 'p', 'done')], 1)).toBe('too-many-jobs');
    expect(await jobs.getJob('full')).toBeNull();
  });
});

describe('copying a page file', () => {
  it('copies an object server-side to another key, bytes and type kept', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    await results.putObject('jobs/old/outputs/k.screenshot.png', png, 'image/png');
    await results.copyObject('jobs/old/outputs/k.screenshot.png', 'jobs/new/outputs/k.screenshot.png');
    const copy = await s3.send(new GetObjectCommand({ Bucket: 'results', Key: 'jobs/new/outputs/k.screenshot.png' }));
    expect(copy.ContentType).toBe('image/png');
    expect(new Uint8Array(await copy.Body!.transformToByteArray())).toEqual(png);
  });
});
