// Reuse by depth, the storage part, against DynamoDB Local and the S3 emulator: cache entries per
// depth read in one batch (expired ones and credentialed crawls left out, a built job as old as its
// oldest page), an answer job created once, a job built upon a cached crawl created with its whole
// frontier or not at all, a server-side copy of a page's file; and planning upon a cached crawl
// with the real stores (shortest depths, the links it never followed, copies, maxPages).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../local/provision.js';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFrontierStore } from '../../functions/adapters/dynamodb/frontier-store.js';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store.js';
import { TABLES } from '../../functions/adapters/dynamodb/table-definitions.js';
import { S3ResultStore } from '../../functions/adapters/s3/result-store.js';
import type { AppDeps } from '../../functions/app/deps.js';
import { cutAnswer } from '../../functions/app/reuse-answer.js';
import { buildUpon } from '../../functions/app/reuse-build.js';
import type { FrontierRecord, JobRecord } from '../../functions/core/job.js';
import { pageObjectKey, urlKeyOf } from '../../functions/core/keys.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';
import type { CrawlRequest } from '../../functions/core/messages.js';
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
  await Promise.all([createTable(raw, 'jobs', TABLES.jobs), createTable(raw, 'frontier', TABLES.frontier), createTable(raw, 'connections', TABLES.connections)]);
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
  it('builds a planning job once: every frontier item (more than a batch), its counters, then its mark moved on', async () => {
    const pending = { jobId: 'd1', finishedAt: 5, state: 'planning' as const };
    expect(await jobs.createJob(jobFor('built', { reusePending: pending }), item('built', 'seed', 'queued'), 5)).toBe('created');
    const items = [item('built', 'seed', 'done'), ...Array.from({ length: 60 }, (_, i) => item('built', `p${i}`, 'done')), item('built', 'next', 'queued'), item('built', 'cut', 'capped')];
    const built = jobFor('built', { admitted: 62, settled: 61, done: 61, reused: 61, reusedFrom: 'd1', crawledSince: 5, capped: 1 });
    expect(await jobs.commitReuse(built, items)).toBe(true);
    expect(await jobs.getJob('built')).toMatchObject({ reused: 61, admitted: 62, settled: 61, done: 61, capped: 1, reusedFrom: 'd1', crawledSince: 5, reusePending: { ...pending, state: 'built' } });
    // A repeat (a duplicate message) is refused: the counters are set once.
    expect(await jobs.commitReuse({ ...built, admitted: 99 }, [])).toBe(false);
    const listed = await frontier.list('built');
    expect(listed).toHaveLength(63);
    expect(listed.filter((r) => r.state === 'queued').map((r) => r.urlKey)).toEqual(['next']);
    expect(await jobs.advanceReuse('built', 'planning', 'seeds')).toBe(false);
    expect(await jobs.advanceReuse('built', 'built', null)).toBe(true);
    expect(await jobs.advanceReuse('built', 'built', null)).toBe(false);
    expect((await jobs.getJob('built'))!.reusePending).toBeUndefined();
  });

  it('gives a planning job up to its seeds once, and builds it no more', async () => {
    expect(await jobs.createJob(jobFor('given-up', { reusePending: { jobId: 'd1', finishedAt: 5, state: 'planning' } }), item('given-up', 'seed', 'queued'), 5)).toBe('created');
    expect(await jobs.advanceReuse('given-up', 'planning', 'seeds')).toBe(true);
    expect(await jobs.commitReuse(jobFor('given-up', { admitted: 2, settled: 1, done: 1, reused: 1, reusedFrom: 'd1', crawledSince: 5 }), [])).toBe(false);
    expect(await jobs.getJob('given-up')).toMatchObject({ admitted: 1, settled: 0, reusePending: { state: 'seeds' } });
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

describe('planning upon a cached crawl (real stores)', () => {
  // A crawl of depth 3 from two seeds, where m was first found at depth 3 (s1 → a → b → m) though
  // s2 links to it: m's link to n was never followed. /old redirected to /new (an alias).
  const o = 'http://s';
  const SOURCE = 'src-two-seeds';
  const LINKS: Record<string, string[]> = {
    '/s1': ['/a', '/old'],
    '/s2': ['/m'],
    '/a': ['/b', '/new'],
    '/old': [],
    '/b': ['/m', '/c'],
    '/m': ['/n'],
    '/c': ['/e'],
  };
  const RECORDED: Record<string, [number, string | null]> = {
    '/s1': [0, null], '/s2': [0, null], '/a': [1, '/s1'], '/old': [1, '/s1'], '/b': [2, '/a'], '/m': [3, '/b'], '/c': [3, '/b'],
  };
  const source = jobFor(SOURCE, { url: `${o}/s1`, seeds: [`${o}/s1`, `${o}/s2`], depth: 3, status: 'succeeded', formats: ['html', 'screenshot'] });
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const deps = () => ({ jobs, frontier, results, clock: { now: () => now }, limits: DEFAULT_LIMITS, log }) as unknown as AppDeps;
  const template = (jobId: string, depth: number, maxPages: number): JobRecord => ({ ...source, jobId, depth, maxPages, status: 'running', seeds: source.seeds, expiresAt: 200 });

  beforeAll(async () => {
    for (const [path, [depth, parent]] of Object.entries(RECORDED)) {
      const url = `${o}${path}`;
      const urlKey = urlKeyOf(url);
      const key = pageObjectKey(SOURCE, urlKey);
      const shot = `jobs/${SOURCE}/outputs/${urlKey}.screenshot.png`;
      await results.putObject(shot, new Uint8Array([0x89, 0x50, 0x4e, 0x47]), 'image/png');
      const page = {
        requestedUrl: url, finalUrl: path === '/old' ? `${o}/new` : url, ...(path === '/old' ? { documentUrl: `${o}/new` } : {}), status: 200, contentType: 'text/html',
        title: path, html: '<p>x</p>', links: LINKS[path]!.map((l) => `${o}${l}`), redirectChain: path === '/old' ? [url] : [],
        timings: { navigationMs: 1, settleMs: 1, extractMs: 1, totalMs: 3 },
      };
      await results.putPage(key, { jobId: SOURCE, url, depth, parent: parent && `${o}${parent}`, page, renderedAt: 'then', sha256: 'h', outputs: { screenshot: { files: { screenshot: shot } } } });
      await frontier.putAlias({
        jobId: SOURCE, urlKey, url, depth, parent: parent && `${o}${parent}`, discoveredBy: parent && urlKeyOf(`${o}${parent}`), state: 'done', attempts: 1, expiresAt: 100,
        summary: { url, finalUrl: page.finalUrl, depth, parent: parent && `${o}${parent}`, status: 200, title: path, sha256: 'h', links: page.links.length, key, outputs: { screenshot: shot } },
      });
    }
    await frontier.putAlias({ jobId: SOURCE, urlKey: urlKeyOf(`${o}/new`), url: `${o}/new`, depth: 1, parent: `${o}/s1`, discoveredBy: urlKeyOf(`${o}/old`), state: 'alias', aliasOf: `${o}/old`, attempts: 0, expiresAt: 100 });
  });

  it('builds upon it: every page at its shortest depth, copied; the frontier continues outside it, capped at maxPages', async () => {
    const built = (await buildUpon(source, { jobId: SOURCE, depth: 3, finishedAt: 500 }, template('built-4', 4, 8), deps()))!;
    expect(built.job).toMatchObject({ reused: 7, admitted: 8, settled: 7, done: 7, capped: 1, reusedFrom: SOURCE, crawledSince: 500 });
    expect(built.seed).toMatchObject({ url: `${o}/s1`, state: 'done', jobId: 'built-4' });
    const byPath = new Map([built.seed, ...built.items].map((i) => [i.url.replace(o, ''), i]));
    expect(Object.fromEntries([...byPath].filter(([, i]) => i.state === 'done').map(([p, i]) => [p, i.depth]))).toEqual({
      '/s1': 0, '/s2': 0, '/a': 1, '/old': 1, '/m': 1, '/b': 2, '/c': 3,
    });
    expect(byPath.get('/m')).toMatchObject({ parent: `${o}/s2`, summary: { depth: 1, parent: `${o}/s2` } });
    // m's link was never followed by the cached crawl: n comes next, at depth 2; e, past maxPages, is counted.
    expect(byPath.get('/n')).toMatchObject({ state: 'queued', depth: 2, parent: `${o}/m`, discoveredBy: urlKeyOf(`${o}/m`) });
    expect(byPath.get('/e')).toMatchObject({ state: 'capped', depth: 4 });
    expect(byPath.get('/new')).toMatchObject({ state: 'alias', jobId: 'built-4', aliasOf: `${o}/old` });
    expect(built.messages).toEqual([{ jobId: 'built-4', url: `${o}/n`, depth: 2 }]);
    // Records and files are the new job's.
    const m = byPath.get('/m')!;
    expect(m.summary?.key).toBe(pageObjectKey('built-4', m.urlKey));
    expect(m.summary?.outputs?.screenshot).toBe(`jobs/built-4/outputs/${m.urlKey}.screenshot.png`);
    expect(await results.getPage(m.summary!.key)).toMatchObject({ jobId: 'built-4', depth: 1, parent: `${o}/s2`, outputs: { screenshot: { files: { screenshot: m.summary?.outputs?.screenshot } } } });
    const shot = await s3.send(new GetObjectCommand({ Bucket: 'results', Key: m.summary!.outputs!.screenshot }));
    expect(shot.ContentType).toBe('image/png');
  });

  it('does not build upon more pages than the request may have', async () => {
    expect(await buildUpon(source, { jobId: SOURCE, depth: 3, finishedAt: 500 }, template('small', 4, 6), deps())).toBeNull();
  });

  it('cuts an answer for a smaller depth: the pages within it at their shortest depth, pointing at the cached records, or none when the crawl missed one', async () => {
    const entry = { jobId: SOURCE, depth: 3, finishedAt: 500 };
    const one = (await cutAnswer(source, entry, template('answer-1', 1, 100), deps()))!;
    expect(one.job).toMatchObject({ jobId: 'answer-1', status: 'running', admitted: 5, settled: 5, done: 5, failed: 0, reused: 5, reusedFrom: SOURCE, crawledSince: 500, expiresAt: 100 });
    expect(one.messages).toEqual([]);
    const pages = [one.seed, ...one.items].filter((item) => item.state === 'done');
    expect(pages.map((p) => `${p.url.replace(o, '')}@${p.depth}`).sort()).toEqual(['/a@1', '/m@1', '/old@1', '/s1@0', '/s2@0']);
    // Nothing copied: each page is the cached job's record, at its depth in the answer.
    expect(pages.every((p) => p.jobId === 'answer-1' && p.summary!.key.startsWith(`jobs/${SOURCE}/`) && p.summary!.depth === p.depth)).toBe(true);
    // Depth 2 would need n (m's link), which the cached crawl never admitted.
    expect(await cutAnswer(source, entry, template('answer-2', 2, 100), deps())).toBeNull();
  });
});
