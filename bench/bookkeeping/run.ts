// `npm run bench:bookkeeping -- [--urls 100000] [--fan-out 4] [--back-links 2] [--workers 16]
//                                [--store-pages] [--finisher-only] [--counter-shards 4] [--out bench/results]`
// The bookkeeping load test: one job of N URLs admitted, claimed, settled and finished by the
// crawler's real code (functions/app/crawl-page.ts, finish-job.ts and the DynamoDB adapters) on
// DynamoDB Local, with no browser: pages are "rendered" by LoadTestStandInRenderer, a load-test
// double that answers at once with the links of a generated graph. `--workers` messages are
// handled at once from an in-memory queue (in place of SQS). Reports URLs/s of bookkeeping,
// DynamoDB requests by operation and writes per URL (request-counter.ts), how long the finish
// takes, and one finisher's time and peak memory (writeManifest run again alone on the finished
// job, heap sampled over a collected heap), beside the in-memory manifest builder of before.
// `--finisher-only` skips the crawl: N settled pages are written straight into the frontier and
// only the finisher is measured (finisher-only.ts), for sizes the crawl takes too long to reach.
// Writes bookkeeping-N.json (bookkeeping-finisher-N.json) to --out.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import v8 from 'node:v8';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoConnectionStore } from '../../functions/adapters/dynamodb/connection-store.js';
import { DynamoFrontierStore } from '../../functions/adapters/dynamodb/frontier-store.js';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store.js';
import { S3ResultStore } from '../../functions/adapters/s3/result-store.js';
import { TempFileRunStore } from '../../functions/adapters/spill/temp-file-runs.js';
import { writeManifest } from '../../functions/app/manifest-writer.js';
import { crawlPage } from '../../functions/app/crawl-page.js';
import type { WorkerDeps } from '../../functions/app/deps.js';
import { UrlBusyError } from '../../functions/core/errors.js';
import type { FinalStatus, JobCounters, JobRecord } from '../../functions/core/job.js';
import { urlKeyOf } from '../../functions/core/keys.js';
import { DEFAULT_COUNTER_SHARDS } from '../../functions/core/counter-shards.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';
import { buildManifest } from '../../functions/core/manifest.js';
import { noFaults, systemClock } from '../../functions/core/ports.js';
import { startDynamoDb } from '../../local/emulators/dynamodb.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, provision } from '../../local/provision.js';
import { depthOf, pageUrl, type LinkGraph } from './link-graph.js';
import { InMemoryCrawlQueue, noMetrics, pageRecordsDropped, quietLog, RecordingNotifier } from './load-test-doubles.js';
import { countRequests } from './request-counter.js';
import { LoadTestStandInRenderer } from './stand-in-renderer.js';
import { writeSettledJob } from './finisher-only.js';

const { values } = parseArgs({
  options: {
    urls: { type: 'string', default: '10000' },
    'fan-out': { type: 'string', default: '4' },
    'back-links': { type: 'string', default: '2' },
    workers: { type: 'string', default: '16' },
    'store-pages': { type: 'boolean', default: false },
    /** no crawl: a settled frontier of --urls pages written directly, then the finisher alone */
    'finisher-only': { type: 'boolean', default: false },
    /** skip the in-memory builder of before (e.g. under a heap limit it would not fit in) */
    'no-comparison': { type: 'boolean', default: false },
    /** counter shard items of the job, as a new job of the stack gets them (0: counted on the job item, as jobs made before shards) */
    'counter-shards': { type: 'string', default: String(DEFAULT_COUNTER_SHARDS) },
    out: { type: 'string', default: 'bench/results' },
  },
});

const MB = 1024 * 1024;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
const heapNow = () => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, used: m.heapUsed, rss: m.rss };
};

/**
 * A collected heap to measure from: Buffers' memory (`external`) is given back only after their
 * objects are collected and swept, so collect, let the sweep run, collect again.
 */
async function collected(): Promise<void> {
  global.gc?.();
  await new Promise((resolve) => setTimeout(resolve, 500));
  global.gc?.();
}

/** Samples memory every 20 ms; `window` gives the peak and the value at its start. */
function memorySampler() {
  let peak = { heap: 0, used: 0, rss: 0 };
  let start = { heap: 0, used: 0, rss: 0 };
  let on = false;
  const timer = setInterval(() => {
    if (!on) return;
    const now = heapNow();
    peak = { heap: Math.max(peak.heap, now.heap), used: Math.max(peak.used, now.used), rss: Math.max(peak.rss, now.rss) };
  }, 20);
  return {
    begin() {
      global.gc?.();
      start = heapNow();
      peak = { ...start };
      on = true;
    },
    end() {
      on = false;
      const now = heapNow();
      peak = { heap: Math.max(peak.heap, now.heap), used: Math.max(peak.used, now.used), rss: Math.max(peak.rss, now.rss) };
      return {
        startHeapMb: mb(start.heap),
        peakHeapMb: mb(peak.heap),
        /** peak − start of the JS heap plus Buffers (external) */
        heapGrowthMb: mb(peak.heap - start.heap),
        /** peak − start of the JS heap alone */
        jsHeapGrowthMb: mb(peak.used - start.used),
        startRssMb: mb(start.rss),
        peakRssMb: mb(peak.rss),
      };
    },
    stop: () => clearInterval(timer),
  };
}

async function startS3Process(): Promise<{ endpoint: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bookkeeping/s3-emulator-process.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('ENDPOINT '));
      if (line) resolve(line.slice(9).trim());
    });
    child.once('exit', (code) => reject(new Error(`S3 emulator exited with ${code}`)));
  });
  return { endpoint, stop: () => child.kill('SIGTERM') };
}

/** writeManifest alone, from a collected heap: one finisher's time, memory and sort figures. */
async function measureFinisher(job: JobRecord, status: FinalStatus, key: string, deps: WorkerDeps) {
  await collected();
  const sampler = memorySampler();
  sampler.begin();
  const started = performance.now();
  const sort = await writeManifest(job, status, job.finishedAt!, key, deps);
  const figures = { seconds: Math.round((performance.now() - started) / 10) / 100, ...sampler.end(), sortMaxHeldEntries: sort.maxHeld, sortRuns: sort.runs };
  sampler.stop();
  return figures;
}

/** For comparison: what the in-memory builder of before held to build the same manifest. */
async function measureInMemoryBuilder(job: JobRecord, status: FinalStatus, deps: WorkerDeps) {
  await collected();
  const before = heapNow();
  let peak = before.heap;
  let peakUsed = before.used;
  const timer = setInterval(() => {
    const now = heapNow();
    peak = Math.max(peak, now.heap);
    peakUsed = Math.max(peakUsed, now.used);
  }, 20);
  const started = performance.now();
  const records = await deps.frontier.list(job.jobId);
  const text = JSON.stringify(buildManifest(job, records, status, job.finishedAt!));
  const end = heapNow();
  peak = Math.max(peak, end.heap);
  peakUsed = Math.max(peakUsed, end.used);
  clearInterval(timer);
  return {
    seconds: Math.round((performance.now() - started) / 10) / 100,
    heapGrowthMb: mb(peak - before.heap),
    jsHeapGrowthMb: mb(peakUsed - before.used),
    manifestMb: mb(text.length),
    items: records.length,
  };
}

async function main(): Promise<void> {
  const graph: LinkGraph = { origin: 'http://graph.test', pages: Number(values.urls), fanOut: Number(values['fan-out']), backLinks: Number(values['back-links']) };
  const workers = Number(values.workers);
  console.log(`bookkeeping: ${graph.pages} URLs, ${graph.fanOut} children + ${graph.backLinks} back-links a page, depth ${depthOf(graph)}, ${workers} at once`);

  const [dynamo, s3Emulator] = await Promise.all([startDynamoDb({ port: 0 }), startS3Process()]);
  const sampler = memorySampler();
  try {
    const resources = await provision({
      endpoints: { dynamodb: dynamo.endpoint, sqs: s3Emulator.endpoint, s3: s3Emulator.endpoint },
      prefix: 'bookkeeping',
      visibilityTimeoutSeconds: 30,
      maxReceiveCount: 3,
    });
    const raw = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: dynamo.endpoint, maxAttempts: 8 });
    const requests = countRequests(raw);
    const db = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
    const s3 = new S3Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: s3Emulator.endpoint, forcePathStyle: true });
    const tables = { jobs: resources.jobsTable, frontier: resources.frontierTable, connections: resources.connectionsTable };

    // When the finish begins and ends, seen from the job store the finisher calls.
    const finish = { startedAt: 0, endedAt: 0, memory: null as ReturnType<ReturnType<typeof memorySampler>['end']> | null, requestsBefore: 0 };
    class TimedJobStore extends DynamoJobStore {
      // The finisher begins through beginFinishIfSettled (the end checked over the counter shards);
      // beginFinish without force goes through it too.
      override async beginFinishIfSettled(jobId: string, statusOf: (counts: JobCounters) => FinalStatus, finishedAt: number): Promise<boolean> {
        const won = await super.beginFinishIfSettled(jobId, statusOf, finishedAt);
        if (won) {
          finish.startedAt = performance.now();
          sampler.begin();
        }
        return won;
      }
      override async completeFinish(job: JobRecord, status: FinalStatus, manifestKey: string): Promise<boolean> {
        const first = await super.completeFinish(job, status, manifestKey);
        if (first) {
          finish.memory = sampler.end();
          finish.endedAt = performance.now();
        }
        return first;
      }
    }

    const finishers = { started: 0, running: 0, maxAtOnce: 0 };
    const queue = new InMemoryCrawlQueue();
    const notifier = new RecordingNotifier();
    const renderer = new LoadTestStandInRenderer(graph);
    const results = pageRecordsDropped(new S3ResultStore(s3, resources.bucket), values['store-pages']!);
    const jobs = new TimedJobStore(db, tables, systemClock);
    const deps: WorkerDeps = {
      jobs,
      frontier: new DynamoFrontierStore(db, tables, systemClock),
      connections: new DynamoConnectionStore(db, tables.connections),
      queue,
      results,
      notifier,
      clock: systemClock,
      limits: { ...DEFAULT_LIMITS, maxPages: graph.pages, maxDepth: depthOf(graph) },
      log: quietLog,
      metrics: noMetrics,
      // Counts the finishers that wrote the manifest: every worker that finds the job finishing
      // writes it too (safe to run alongside, see finish-job.ts), so the end may be written twice.
      sortRuns: async () => {
        finishers.started++;
        finishers.maxAtOnce = Math.max(finishers.maxAtOnce, ++finishers.running);
        const store = await TempFileRunStore.create('bookkeeping-manifest-');
        const dispose = store.dispose.bind(store);
        store.dispose = async () => {
          finishers.running--;
          await dispose();
        };
        return store;
      },
      renderer,
      robots: { check: async () => ({ allowed: true }) },
      faults: noFaults,
      workerId: 'bookkeeping-load-test',
    };

    const now = Date.now();
    const seed = pageUrl(graph, 0);
    const job: JobRecord = {
      jobId: `bookkeeping-${graph.pages}-${now}`,
      url: seed,
      depth: depthOf(graph),
      maxPages: graph.pages,
      scope: 'host',
      include: [],
      exclude: [],
      ignoreRobots: true,
      connectionId: 'bookkeeping-connection',
      status: 'running',
      cacheKey: `bookkeeping-${now}`,
      startedAt: now,
      deadlineAt: now + 24 * 3600_000,
      admitted: 1,
      settled: 0,
      done: 0,
      failed: 0,
      ...(Number(values['counter-shards']) > 0 ? { counterShards: Number(values['counter-shards']) } : {}),
      expiresAt: Math.floor(now / 1000) + 86_400,
    };
    if (values['finisher-only']) {
      const loadStarted = performance.now();
      const settled = await writeSettledJob(db, tables, graph, job);
      const loadSeconds = Math.round((performance.now() - loadStarted) / 100) / 10;
      const finisherAlone = await measureFinisher(settled, 'succeeded', `jobs/${job.jobId}/manifest.json`, deps);
      const report = {
        at: new Date().toISOString(),
        machine: { cores: cpus().length, node: process.version },
        options: { urls: graph.pages, finisherOnly: true },
        settledFrontierWrittenInSeconds: loadSeconds,
        finisherAlone,
        heapLimitMb: Math.round(v8.getHeapStatistics().heap_size_limit / MB),
        ...(values['no-comparison'] ? {} : { inMemoryBuilderForComparison: await measureInMemoryBuilder(settled, 'succeeded', deps) }),
      };
      mkdirSync(values.out!, { recursive: true });
      const file = join(values.out!, `bookkeeping-finisher-${graph.pages}.json`);
      writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      console.log(JSON.stringify(report, null, 2));
      console.log(`written: ${file}`);
      db.destroy();
      s3.destroy();
      return;
    }
    await deps.connections.open(job.connectionId, now);
    const created = await jobs.createJob(
      job,
      { jobId: job.jobId, urlKey: urlKeyOf(seed), url: seed, depth: 0, parent: null, discoveredBy: null, state: 'queued', attempts: 0, expiresAt: job.expiresAt },
      5,
    );
    if (created !== 'created') throw new Error(`job not created: ${created}`);
    await queue.send([{ jobId: job.jobId, url: seed, depth: 0 }]);
    requests.reset();

    // Workers take messages as a crawler environment's batch would, each handled by crawlPage.
    const started = performance.now();
    let handled = 0;
    let busy = 0;
    const outcomes: Record<string, number> = {};
    let lastReport = started;
    const worker = async () => {
      while (notifier.completed.length === 0) {
        const message = queue.take();
        if (!message) {
          await queue.waitForMessage(50);
          continue;
        }
        try {
          const outcome = await crawlPage(message, deps);
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        } catch (error) {
          // A URL another worker holds comes back later, as SQS would redeliver it.
          if (!(error instanceof UrlBusyError)) throw error;
          busy++;
          setTimeout(() => void queue.send([message]), 200);
        }
        handled++;
        if (performance.now() - lastReport > 15_000) {
          lastReport = performance.now();
          const seconds = (lastReport - started) / 1000;
          console.log(`  ${handled} handled in ${seconds.toFixed(0)} s (${(handled / seconds).toFixed(1)}/s), heap ${mb(heapNow().heap)} MB`);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    const wallSeconds = (performance.now() - started) / 1000;
    const completed = notifier.completed[0] as { status: string; pages: number; failed: number };

    // The finisher's manifest writing alone (in the run, finishers that raced share this heap).
    const finished = (await jobs.getJob(job.jobId))!;
    const status = completed.status as FinalStatus;
    const finishersInRun = finishers.started;
    const finisherAlone = await measureFinisher(finished, status, `jobs/${job.jobId}/measured/manifest.json`, deps);
    const oldBuilder = await measureInMemoryBuilder(finished, status, deps);

    const counts = requests.counts;
    const urls = completed.pages + completed.failed;
    const perUrl = (n: number) => Math.round((n / urls) * 100) / 100;
    const finishSeconds = Math.round((finish.endedAt - finish.startedAt) / 10) / 100;
    const report = {
      at: new Date().toISOString(),
      machine: { cores: cpus().length, node: process.version },
      options: { urls: graph.pages, fanOut: graph.fanOut, backLinks: graph.backLinks, depth: depthOf(graph), workers, storePages: values['store-pages'], counterShards: Number(values['counter-shards']) },
      job: { status: completed.status, pages: completed.pages, failed: completed.failed, rendered: renderer.rendered, outcomes, busyRetries: busy, progressMessages: notifier.progress },
      wallSeconds: Math.round(wallSeconds * 10) / 10,
      urlsPerSecond: Math.round((urls / wallSeconds) * 10) / 10,
      dynamodb: {
        requestsByOperation: counts.byOperation,
        requestsPerUrl: perUrl(Object.values(counts.byOperation).reduce((a, b) => a + b, 0)),
        writeRequestsPerUrl: perUrl(counts.writeRequests),
        writeItemsPerUrl: perUrl(counts.writeItems),
        writeCapacityUnitsPerUrl: perUrl(counts.writeCapacityUnits),
        readCapacityUnitsPerUrl: perUrl(counts.readCapacityUnits),
      },
      /** in the run: from the winning `running → finishing` to the job made final, with the finishers that raced */
      finish: { seconds: finishSeconds, finishersThatWroteTheManifest: finishersInRun, atOnce: finishers.maxAtOnce, ...finish.memory },
      /** writeManifest run again alone after the job: one finisher's time and memory */
      finisherAlone,
      inMemoryBuilderForComparison: oldBuilder,
    };
    mkdirSync(values.out!, { recursive: true });
    const file = join(values.out!, `bookkeeping-${graph.pages}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify(report, null, 2));
    console.log(`written: ${file}`);
    db.destroy();
    s3.destroy();
  } finally {
    sampler.stop();
    s3Emulator.stop();
    await dynamo.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
