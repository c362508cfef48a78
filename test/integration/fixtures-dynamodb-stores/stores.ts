// The job, frontier and connection stores on DynamoDB Local, for the tests of their conditional
// writes and transactions (dynamodb-stores.test.ts, frontier-admission.test.ts). A test file calls
// useDynamoStores() once: its hooks start an emulator with the three tables, make the stores, and
// before each test create a new running job (`jobId`) with its seed. The bindings below are what
// those hooks set; vitest gives each test file its own copy of this module.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { DynamoConnectionStore } from '../../../functions/adapters/dynamodb/connection-store.js';
import { DynamoFrontierStore } from '../../../functions/adapters/dynamodb/frontier-store.js';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store.js';
import { TABLES } from '../../../functions/adapters/dynamodb/table-definitions.js';
import type { FrontierRecord, JobRecord } from '../../../functions/core/job.js';
import { startDynamoDb } from '../../../local/emulators/dynamodb.js';
import { createTable } from '../../../local/provision.js';

export let db: DynamoDBDocumentClient;
export let jobs: DynamoJobStore;
export let frontier: DynamoFrontierStore;
export let connections: DynamoConnectionStore;
/** what the stores' clock reads: 1,000 at the start of each test (setNow moves it) */
export let now = 1_000;
/** the job each test starts with: running, depth 2, maxPages 4, its seed admitted */
export let jobId = '';

let emulator: { endpoint: string; stop(): Promise<void> } | undefined;
let jobCount = 0;

export function setNow(value: number): void {
  now = value;
}

export function useDynamoStores(): void {
  beforeAll(async () => {
    emulator = await startDynamoDb({ port: 0 });
    const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await Promise.all([createTable(raw, 'jobs', TABLES.jobs), createTable(raw, 'frontier', TABLES.frontier), createTable(raw, 'connections', TABLES.connections)]);
    db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    const tables = { jobs: 'jobs', frontier: 'frontier', connections: 'connections' };
    jobs = new DynamoJobStore(db, tables, { now: () => now });
    frontier = new DynamoFrontierStore(db, tables, { now: () => now });
    connections = new DynamoConnectionStore(db, 'connections');
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  beforeEach(async () => {
    jobId = `job-${++jobCount}`;
    now = 1_000;
    const job: JobRecord = { ...jobFor(jobId, `c-${jobId}`), depth: 2 };
    await jobs.createJob(job, seed(), 100);
  });
}

/** One child admitted on its own. */
export async function admit(one: FrontierRecord, maxPages: number) {
  const [outcome] = await frontier.admitAll([one], maxPages);
  return outcome;
}

export function child(key: string, discoveredBy: string): FrontierRecord {
  return { jobId, urlKey: key, url: `http://s/${key}`, depth: 1, parent: 'http://s/', discoveredBy, state: 'queued', attempts: 0, expiresAt: 9 };
}

export function seed(): FrontierRecord {
  return { ...child('seed', ''), url: 'http://s/', depth: 0, parent: null, discoveredBy: null };
}

export function jobFor(id: string, connectionId: string): JobRecord {
  return {
    jobId: id, url: 'http://s/', depth: 1, maxPages: 4, scope: 'host', include: [], exclude: [], connectionId, status: 'running',
    cacheKey: 'k', startedAt: 0, deadlineAt: 1e12, admitted: 1, settled: 0, done: 0, failed: 0, expiresAt: 9,
  };
}
