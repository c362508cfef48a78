// How long the finisher takes to end a big job with an archive, against the local emulators with
// latency added to every S3 request: `npm run bench:finish -- [pages…] [--latency-ms N]`
// (default 20000 100000 pages, 20 ms). For each size it builds, directly through the SDK (no crawl),
// a job in `finishing` with `formats: ["archive"]`, its frontier (one done item a page, with its
// summary) and one small WARC object a page; then runs the finisher's completeJob (manifest and
// WACZ, functions/app/finish-job.ts) in this process through a proxy in front of the S3 emulator
// that waits N ms before each request and counts them. Prints duration, S3 GETs and PUTs, and the
// extrapolation to the finisher's 900 s timeout (linear in pages: the work is one GET per page).
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { WARCRecord, WARCSerializer } from 'warcio';
import { FINISHER_TIMEOUT_SECONDS } from '../infra/finisher-settings.js';
import { startDynamoDb } from '../local/emulators/dynamodb.js';
import { startSqsS3 } from '../local/emulators/sqs-s3.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, provision } from '../local/provision.js';
import { mapInOrder } from '../functions/core/ordered-pool.js';

const args = process.argv.slice(2);
const latencyIndex = args.indexOf('--latency-ms');
const latencyMs = latencyIndex >= 0 ? Number(args[latencyIndex + 1]) : 20;
const sizes = args.filter((a, i) => !a.startsWith('--') && (latencyIndex < 0 || i !== latencyIndex + 1)).map(Number);
const PAGES = sizes.length > 0 ? sizes : [20_000, 100_000];

/** A proxy that waits `latencyMs` before passing each request on, and counts them by method. */
async function latencyProxy(target: string): Promise<{ url: string; counts: Map<string, number>; stop(): Promise<void> }> {
  const to = new URL(target);
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    counts.set(req.method ?? '?', (counts.get(req.method ?? '?') ?? 0) + 1);
    setTimeout(() => {
      const upstream = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    }, latencyMs);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, counts, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Answers every @connections post 410 Gone: the client left; the finisher goes on. */
async function goneConnections(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) =>
    req.resume().on('end', () => res.writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' }).end('{"message":"Gone"}')),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function warcOf(url: string): Promise<Uint8Array> {
  const body = `<!doctype html><title>${url}</title><p>${randomBytes(600).toString('base64')}</p>`;
  const record = WARCRecord.create(
    { url, date: '2026-12-07T00:00:00Z', type: 'response', warcVersion: 'WARC/1.1', httpHeaders: { 'Content-Type': 'text/html' }, statusline: 'HTTP/1.1 200 OK' },
    (async function* () {
      yield new TextEncoder().encode(body);
    })(),
  );
  return WARCSerializer.serialize(record, { gzip: true });
}

async function main(): Promise<void> {
  const [dynamo, sqsS3, connections] = await Promise.all([startDynamoDb({ port: 0 }), startSqsS3(), goneConnections()]);
  const endpoints = { dynamodb: dynamo.endpoint, sqs: sqsS3.endpoint, s3: sqsS3.endpoint };
  const resources = await provision({ endpoints, prefix: 'bench-finish', visibilityTimeoutSeconds: 60, maxReceiveCount: 5 });
  const proxy = await latencyProxy(sqsS3.endpoint);
  // The finisher's runtime, as a Lambda gets it, but its S3 behind the latency proxy.
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: proxy.url,
    JOBS_TABLE: resources.jobsTable,
    FRONTIER_TABLE: resources.frontierTable,
    CONNECTIONS_TABLE: resources.connectionsTable,
    CRAWL_QUEUE_URL: resources.queueUrl,
    RESULTS_BUCKET: resources.bucket,
    CONNECTIONS_ENDPOINT: connections.url,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const { appRuntime } = await import('../functions/handlers/runtime.js');
  const { completeJob } = await import('../functions/app/finish-job.js');
  const { deps } = appRuntime();
  const raw = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.dynamodb });
  const db = DynamoDBDocumentClient.from(raw);
  const s3 = new S3Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: sqsS3.endpoint, forcePathStyle: true });
  const results: string[] = [];
  try {
    for (const pages of PAGES) {
      const jobId = `bench-${pages}`;
      const now = Date.now();
      const setupStarted = Date.now();
      // one WARC object a page, written straight to the emulator (no latency: setup, not measured)
      const keys = Array.from({ length: pages }, (_, i) => `jobs/${jobId}/archive/${String(i).padStart(7, '0')}.warc.gz`);
      for await (const _ of mapInOrder(keys, 64, async (Key) => {
        const url = `http://site.test/${Key.slice(-18, -8)}`;
        await s3.send(new PutObjectCommand({ Bucket: resources.bucket, Key, Body: await warcOf(url) }));
      })) void _;
      const items = keys.map((warcKey, i) => {
        const url = `http://site.test/${warcKey.slice(-18, -8)}`;
        const urlKey = `k${String(i).padStart(8, '0')}`;
        return {
          jobId,
          urlKey,
          url,
          depth: i === 0 ? 0 : 1,
          parent: i === 0 ? null : 'http://site.test/',
          discoveredBy: null,
          state: 'done',
          attempts: 1,
          expiresAt: Math.floor(now / 1000) + 86400,
          summary: { url, finalUrl: url, depth: i === 0 ? 0 : 1, parent: i === 0 ? null : 'http://site.test/', status: 200, title: `Page ${i}`, sha256: 'a'.repeat(64), links: 0, key: `jobs/${jobId}/pages/${urlKey}.json`, outputs: { archive: warcKey } },
        };
      });
      const batches = Array.from({ length: Math.ceil(items.length / 25) }, (_, b) => items.slice(b * 25, b * 25 + 25));
      for await (const _ of mapInOrder(batches, 8, async (batch) => {
        let pending = batch.map((Item) => ({ PutRequest: { Item } }));
        while (pending.length > 0) {
          const answer = await db.send(new BatchWriteCommand({ RequestItems: { [resources.frontierTable]: pending } }));
          pending = (answer.UnprocessedItems?.[resources.frontierTable] ?? []) as typeof pending;
        }
      })) void _;
      await db.send(
        new PutCommand({
          TableName: resources.jobsTable,
          Item: {
            jobId, url: 'http://site.test/', depth: 1, maxPages: pages, scope: 'host', include: [], exclude: [], formats: ['archive'],
            connectionId: 'bench', status: 'finishing', finalStatus: 'succeeded', startedAt: now - 60_000, finishedAt: now, cacheKey: `bench-${pages}`,
            deadlineAt: now + 3_600_000, admitted: pages, settled: pages, done: pages, failed: 0, expiresAt: Math.floor(now / 1000) + 86400,
          },
        }),
      );
      const setupS = (Date.now() - setupStarted) / 1000;
      proxy.counts.clear();
      const job = await deps.jobs.getJob(jobId);
      if (!job) throw new Error('the bench job was not written');
      const started = Date.now();
      await completeJob(job, deps);
      const seconds = (Date.now() - started) / 1000;
      const finished = await deps.jobs.getJob(jobId);
      const gets = proxy.counts.get('GET') ?? 0;
      const puts = (proxy.counts.get('PUT') ?? 0) + (proxy.counts.get('POST') ?? 0);
      const perPageMs = (seconds * 1000) / pages;
      const line =
        `${pages} pages, ${latencyMs} ms per S3 request: completeJob ${seconds.toFixed(1)} s (${perPageMs.toFixed(2)} ms a page), ` +
        `S3 GET ${gets}, PUT/POST ${puts}, status ${finished?.status}; at this rate one ${FINISHER_TIMEOUT_SECONDS} s invocation ends ` +
        `~${Math.floor((FINISHER_TIMEOUT_SECONDS * 1000) / perPageMs).toLocaleString('en-US')} pages (setup ${setupS.toFixed(0)} s, not measured)`;
      console.log(line);
      results.push(line);
    }
  } finally {
    raw.destroy();
    s3.destroy();
    await Promise.all([proxy.stop(), connections.stop()]);
    await Promise.all([dynamo.stop(), sqsS3.stop()]);
  }
  console.log(`\n${new Date().toISOString()}\n${results.join('\n')}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
