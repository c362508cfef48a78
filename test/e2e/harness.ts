// Shared pieces of the end-to-end tests: a local stack, the demo site, and ways to look inside.
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import type { CompletedMessage, CrawlOptions } from '../../client/index.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.js';
import { closeClients, connectClient, doneWithin, type TestClient } from './support/test-client.js';
import { CHROMIUM_BIN_DIR } from '../support/handler-bundles.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * A local stack as the suite runs it: the handlers bundled as for Lambda and one DynamoDB Local
 * shared by the run (test/support/global-setup.ts), unless the test brings its own.
 */
export async function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const bundles = inject('handlerBundles');
  const stack = await startLocalStack({
    port: 0,
    workers: 2,
    batchSize: 3,
    log: process.env.E2E_VERBOSE ? (line: string) => console.log(line) : () => {},
    ...(options.dataDir ? {} : { dynamodbEndpoint: inject('sharedDynamoDbEndpoint') || undefined }),
    // The timings a test does not set are pinned here, not taken from the stack's defaults: those
    // follow the deployed stack's (minutes of visibility timeout), which a test must never wait out.
    // Tests that depend on them derive their own from the machine (support/machine.ts).
    maxReceiveCount: 5,
    ...(options.visibilityTimeoutSeconds === undefined ? { visibilityTimeoutSeconds: 60, workerTimeoutMs: 50_000 } : {}),
    ...(options.finishVisibilityTimeoutSeconds === undefined ? { finishVisibilityTimeoutSeconds: 60, finisherTimeoutMs: 50_000 } : {}),
    ...options,
    handlerFiles: { ...bundles?.handlers, ...options.handlerFiles },
    runtimeFile: bundles?.runtime,
    // A bundle no longer sits beside @sparticuz/chromium's binaries: told where they are, as on Lambda.
    workerEnv: { ...(bundles ? { CHROMIUM_BIN_DIR } : {}), ...options.workerEnv },
    env: {
      NAV_TIMEOUT_MS: '15000',
      SETTLE_IDLE_MS: '400',
      SETTLE_MAX_MS: '4000',
      PROGRESS_INTERVAL_MS: '0',
      // Every test site is one host on 127.0.0.1: at the stack's default of 2 navigations a second
      // the other tests would crawl at that pace. test/e2e/politeness.test.ts sets its own.
      HOST_RATE_CEILING: '1000',
      ...options.env,
    },
  });
  // The typed clients a test left open would otherwise keep reconnecting to the stopped gateway.
  const stop = stack.stop;
  stack.stop = async () => {
    await closeClients(stack.wsUrl);
    await stop.call(stack);
  };
  return stack;
}

export interface ManifestJson {
  jobId: string;
  url: string;
  depth: number;
  status: string;
  pages: { url: string; finalUrl: string; depth: number; parent: string | null; status: number | null; title: string; sha256: string; links: number; key: string }[];
  levels: string[][];
  errors: { url: string; error: string }[];
  /** URLs robots.txt disallows: not fetched, no failure */
  skipped: { url: string; reason: string }[];
}

export interface CrawlRun {
  jobId: string;
  completed: CompletedMessage;
  manifest: ManifestJson;
  /** the typed client that ran the crawl, still open; its `received` has every frame the server sent it */
  client: TestClient;
}

/** Submits a crawl through the typed client, waits for its completion, and fetches the manifest through its URL. */
export async function crawl(stack: LocalStack, request: Record<string, unknown>, timeoutMs = 90_000): Promise<CrawlRun> {
  const client = await connectClient(stack.wsUrl);
  try {
    // Untyped on purpose: tests send options other branches add before the client's types know them.
    const job = await client.crawl(request as CrawlOptions);
    const { completed, manifest } = await doneWithin(client, job, timeoutMs);
    return { jobId: job.jobId, completed, manifest: manifest as unknown as ManifestJson, client };
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** Waits a little after completion, so a second `completed` would have had time to arrive. */
export async function settleAndCountCompletions(run: CrawlRun, waitMs = 1500): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  return run.client.received.filter((m) => m.type === 'completed' && m.jobId === run.jobId).length;
}

export function paths(urls: string[], origin: string): string[] {
  return urls.map((u) => u.replace(origin, '')).sort();
}

export function clientsFor(stack: LocalStack) {
  const region = 'us-east-1';
  return {
    s3: new S3Client({ region, credentials, endpoint: stack.endpoints.s3, forcePathStyle: true }),
    sqs: new SQSClient({ region, credentials, endpoint: stack.endpoints.sqs }),
    dynamo: new DynamoDBClient({ region, credentials, endpoint: stack.endpoints.dynamodb }),
  };
}

export async function pageObjectKeys(stack: LocalStack, jobId: string): Promise<string[]> {
  const { s3 } = clientsFor(stack);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: stack.resources.bucket, Prefix: `jobs/${jobId}/pages/`, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function countItems(stack: LocalStack, table: string): Promise<number> {
  const { dynamo } = clientsFor(stack);
  const result = await dynamo.send(new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true }));
  return result.Count ?? 0;
}

export async function queueDepth(stack: LocalStack, queueUrl: string): Promise<number> {
  const { sqs } = clientsFor(stack);
  const result = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(result.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(result.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

export async function countObjects(stack: LocalStack): Promise<number> {
  const { s3 } = clientsFor(stack);
  const result = await s3.send(new ListObjectsV2Command({ Bucket: stack.resources.bucket }));
  return result.KeyCount ?? 0;
}

export async function readObject<T>(stack: LocalStack, key: string): Promise<T> {
  const { s3 } = clientsFor(stack);
  const result = await s3.send(new GetObjectCommand({ Bucket: stack.resources.bucket, Key: key }));
  return JSON.parse((await result.Body?.transformToString('utf8')) ?? 'null') as T;
}
