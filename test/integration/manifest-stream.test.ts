// The finisher's manifest on the emulators: thousands of frontier items read a Query page at a
// time from DynamoDB Local, sorted through gzip runs on disk, streamed to the S3 emulator as
// multipart uploads. The result is the in-memory builder's manifest, byte for byte, and what the
// sort held at once is bounded by its run and page sizes, not by the job.
import { existsSync } from 'node:fs';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFrontierStore } from '../../functions/adapters/dynamodb/frontier-store.js';
import { S3ResultStore } from '../../functions/adapters/s3/result-store.js';
import { TempFileRunStore } from '../../functions/adapters/spill/temp-file-runs.js';
import { writeManifest } from '../../functions/app/manifest-writer.js';
import type { FrontierRecord } from '../../functions/core/job.js';
import { buildManifest } from '../../functions/core/manifest.js';
import type { HostStats } from '../../functions/core/host-stats.js';
import { startDynamoDb, type RunningEmulator } from '../../local/emulators/dynamodb.js';
import { startSqsS3 } from '../../local/emulators/sqs-s3.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, provision, type Resources } from '../../local/provision.js';
import { syntheticFrontier, syntheticJob } from '../support/synthetic-frontier.js';

const ITEMS = 12_000;
const SORT = { runSize: 500, fanIn: 4, pageSize: 250 };

let dynamoEmulator: RunningEmulator;
let s3Emulator: RunningEmulator;
let resources: Resources;
let db: DynamoDBDocumentClient;
let s3: S3Client;
let frontier: DynamoFrontierStore;
let results: S3ResultStore;
const jobId = 'big-job';

async function putAll(records: FrontierRecord[]): Promise<void> {
  const chunks: FrontierRecord[][] = [];
  for (let i = 0; i < records.length; i += 25) chunks.push(records.slice(i, i + 25));
  // A few batches at a time: DynamoDB Local on a busy machine answers, just slowly.
  for (let i = 0; i < chunks.length; i += 8) {
    await Promise.all(
      chunks.slice(i, i + 8).map(async (chunk) => {
        let requests: BatchWriteCommandOutput['UnprocessedItems'] = { [resources.frontierTable]: chunk.map((Item) => ({ PutRequest: { Item } })) };
        while (requests && Object.keys(requests).length > 0) {
          const out: BatchWriteCommandOutput = await db.send(new BatchWriteCommand({ RequestItems: requests }));
          requests = out.UnprocessedItems;
        }
      }),
    );
  }
}

async function objectText(key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: resources.bucket, Key: key }));
  return out.Body!.transformToString('utf8');
}

beforeAll(async () => {
  [dynamoEmulator, s3Emulator] = await Promise.all([startDynamoDb({ port: 0 }), startSqsS3()]);
  resources = await provision({
    endpoints: { dynamodb: dynamoEmulator.endpoint, sqs: s3Emulator.endpoint, s3: s3Emulator.endpoint },
    prefix: 'manifest',
    visibilityTimeoutSeconds: 30,
    maxReceiveCount: 3,
  });
  db = DynamoDBDocumentClient.from(new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: dynamoEmulator.endpoint }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  s3 = new S3Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: s3Emulator.endpoint, forcePathStyle: true });
  frontier = new DynamoFrontierStore(db, { frontier: resources.frontierTable, jobs: resources.jobsTable }, { now: () => 0 });
  results = new S3ResultStore(s3, resources.bucket);
  // Long titles make the manifest larger than one 5 MiB part, so the upload is a multipart one.
  const records = syntheticFrontier(jobId, ITEMS, 42).map((r) => (r.summary ? { ...r, summary: { ...r.summary, title: `${r.summary.title} ${'t'.repeat(400)}` } } : r));
  await putAll(records);
});

afterAll(async () => {
  db?.destroy();
  s3?.destroy();
  await Promise.all([dynamoEmulator?.stop(), s3Emulator?.stop()]);
});

describe('streamed manifest of a big job', () => {
  it('equals the in-memory manifest, read page by page and sorted in bounded runs on disk', async () => {
    const job = syntheticJob(jobId, { seeds: ['http://site.test/'], hostWaits: 3 });
    const key = `jobs/${jobId}/manifest.json`;
    const stores: TempFileRunStore[] = [];
    const exported: string[] = [];
    const stats = await writeManifest(
      job,
      'partial',
      1_700_000_200_000,
      key,
      { frontier, results, sortRuns: async () => stores[stores.push(await TempFileRunStore.create('manifest-test-')) - 1]! },
      async (pages) => {
        for await (const page of pages()) exported.push(page.url);
      },
      SORT,
    );
    const written = await objectText(key);
    // `hosts` is counted on the streamed read (manifest-writer.ts): one host, every page a navigation of it.
    const hosts = (JSON.parse(written) as { hosts?: HostStats[] }).hosts;
    const expected = buildManifest(job, await frontier.list(jobId), 'partial', 1_700_000_200_000, hosts);
    expect(expected.pages.length).toBeGreaterThan(ITEMS / 2);
    expect(hosts).toEqual([expect.objectContaining({ host: 'site.test', throttled: 0, blocked: 0 })]);
    expect(written).toBe(JSON.stringify(expected));
    expect(written.length).toBeGreaterThan(5 * 1024 * 1024);
    expect(exported).toEqual(expected.pages.map((p) => p.url));

    // Bounded: never more than a run and a Query page of entries at once (12,000 items, 500 a run).
    expect(stats.maxHeld).toBeLessThanOrEqual(SORT.runSize + SORT.pageSize);
    // ~20 runs merged 4 at a time: an intermediate level of merges happened on disk.
    expect(stats.runs).toBeGreaterThan(Math.ceil((ITEMS * 0.94) / SORT.runSize));
    expect(stores).toHaveLength(1);
    expect(existsSync(stores[0]!.directory)).toBe(false);

    const lines = (await objectText(`jobs/${jobId}/manifest.jsonl`)).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'job', jobId, status: 'partial', capped: 7, hostWaits: 3, seeds: ['http://site.test/'] });
    expect(lines.filter((l) => l.type === 'page')).toHaveLength(expected.pages.length);
    expect(lines.filter((l) => l.type === 'error' || l.type === 'warning')).toHaveLength(expected.errors.length);
    expect(lines.filter((l) => l.type === 'skipped')).toHaveLength(expected.skipped.length);
  });

  it('can be written again after a writer died halfway: no manifest until one completes, then the same bytes', async () => {
    const job = syntheticJob(jobId);
    const key = `jobs/${jobId}/again/manifest.json`;
    class DiesMidManifest extends S3ResultStore {
      override async putText(objectKey: string, chunks: AsyncIterable<string>, contentType: string): Promise<void> {
        let sent = 0;
        const dying = (async function* () {
          for await (const chunk of chunks) {
            if (++sent > 3_000) throw new Error('finisher died');
            yield chunk;
          }
        })();
        return super.putText(objectKey, dying, contentType);
      }
    }
    const stores: TempFileRunStore[] = [];
    const sortRuns = async () => stores[stores.push(await TempFileRunStore.create('manifest-test-')) - 1]!;
    await expect(writeManifest(job, 'cancelled', 9, key, { frontier, results: new DiesMidManifest(s3, resources.bucket), sortRuns }, undefined, SORT)).rejects.toThrow(
      'finisher died',
    );
    await expect(s3.send(new HeadObjectCommand({ Bucket: resources.bucket, Key: key }))).rejects.toMatchObject({ name: 'NotFound' });
    expect(existsSync(stores[0]!.directory)).toBe(false);

    await writeManifest(job, 'cancelled', 9, key, { frontier, results, sortRuns }, undefined, SORT);
    const again = await objectText(key);
    expect(again).toBe(JSON.stringify(buildManifest(job, await frontier.list(jobId), 'cancelled', 9, (JSON.parse(again) as { hosts?: HostStats[] }).hosts)));
  });
});
