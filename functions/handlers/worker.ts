// The crawl worker: SQS batches in, one browser tab per message, partial batch failures out.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { PuppeteerRenderer } from '../adapters/browser/renderer.js';
import { localStackGuard, publicOnlyGuard } from '../adapters/browser/request-guard.js';
import { ownEndpointsOf } from '../adapters/browser/egress-policy.js';
import { DynamoArchiveByteBudget } from '../adapters/archive/dynamo-archive-byte-budget.js';
import { DynamoPayloadDigests } from '../adapters/archive/dynamo-payload-digests.js';
import { faultInjector } from '../adapters/faults.js';
import { stackUpstreamProxies } from '../adapters/upstream-proxies.js';
import { createProductRegistry } from '../adapters/products/registry.js';
import { withContentHash } from '../adapters/products/content-hash.js';
import { HttpRobotsPolicy } from '../adapters/http/robots-policy.js';
import { DynamoHostRateGate } from '../adapters/dynamodb/host-rate-gate.js';
import { HttpSitemapSource } from '../adapters/http/sitemap-source.js';
import { HttpConditionalFetcher } from '../adapters/http/conditional-fetch.js';
import { crawlPage } from '../app/crawl-page.js';
import { HttpPageRenderer } from '../adapters/http/http-renderer.js';
import { DynamoRenderLearning } from '../adapters/dynamodb/render-learning.js';
import { expiresAt, type WorkerDeps } from '../app/deps.js';
import { UrlBusyError } from '../core/errors.js';
import { functionMemoryMb, flushInvocationUsage } from '../adapters/usage/usage-flush.js';
import { InvocationTally, withUsageScope } from '../adapters/usage/usage-meter.js';
import { retryAfterSeconds } from '../core/retry-backoff.js';
import { SqsCrawlQueue } from '../adapters/sqs/crawl-queue.js';
import { appRuntime, environmentId, logger } from './runtime.js';
import { messageOf } from './sqs-message.js';

const CrawlMessageSchema = z.object({
  jobId: z.string().min(1),
  url: z.string().url(),
  depth: z.number().int().min(0),
  /** a paced child's turn in its host's backlog (app/pace-children.ts) */
  hostTicketAt: z.number().optional(),
});

let workerDeps: WorkerDeps | undefined;

function getWorkerDeps(): WorkerDeps {
  if (workerDeps) return workerDeps;
  const { config, deps, clients } = appRuntime();
  // Payload digests of the job's archive expire with the job's other items.
  const archiveDigests = {
    claim: (jobId: string, digest: string, uri: string, date: string, owner: string) =>
      new DynamoPayloadDigests(clients.dynamo, config.tables.frontier, expiresAt(deps.clock, deps.limits)).claim(jobId, digest, uri, date, owner),
  };
  // The job's archive byte cap, one counter per job shared by every environment.
  const archiveBudget = {
    reserve: (jobId: string, owner: string, wanted: number) =>
      new DynamoArchiveByteBudget(clients.dynamo, config.tables.frontier, config.archive.maxJobBytes, expiresAt(deps.clock, deps.limits)).reserve(jobId, owner, wanted),
  };
  // Outside the local runtime the browser, and the robots.txt fetch, may reach public addresses
  // only (SSRF protection). The local runtime reaches its test sites on loopback and private
  // networks, but still not link-local/metadata addresses nor the stack's own services.
  const guard = config.allowPrivateTargets
    ? localStackGuard(ownEndpointsOf([config.endpoints.dynamodb, config.endpoints.sqs, config.endpoints.s3, config.connectionsEndpoint]))
    : publicOnlyGuard();
  // The stack's upstream proxies, for the browser's pages and the crawler's own fetches alike.
  const upstreams = stackUpstreamProxies(config);
  const robots = new HttpRobotsPolicy({
    userAgent: config.robotsUserAgent,
    header: config.userAgent,
    transientCacheMs: config.robotsTransientCacheMs,
    log: logger,
    guard,
    upstreams,
  });
  const products = createProductRegistry({
    archiveDigests,
    archiveBudget,
    archiveMaxPageBytes: config.archive.maxPageBytes,
    log: logger,
    ...(config.extract ? { extractMaxHtmlBytes: config.extract.maxHtmlBytes } : {}),
  });
  const built: WorkerDeps = {
    ...deps,
    // One browser per execution environment, kept warm across invocations.
    // Each HTML page's main-text hash is added to what the browser saw (core/changes.ts).
    renderer: withContentHash(new PuppeteerRenderer({
      chromePath: config.chromePath,
      chromiumBinDir: config.chromiumBinDir,
      log: logger,
      guard,
      products,
      userAgent: config.userAgent,
      // the stack's upstream proxies, when it names some (a crawl's own `proxy` comes with its page)
      upstreams,
    })),
    // Pages without a browser (render: "http", auto's learned types), through the same guard.
    httpRenderer: new HttpPageRenderer({ guard, userAgent: config.userAgent, log: logger, products, upstreams }),
    renderLearning: new DynamoRenderLearning(clients.dynamo, config.tables.jobs),
    robots,
    sitemaps: new HttpSitemapSource({ robots, userAgent: config.userAgent, log: logger, guard, upstreams }),
    // A `since` crawl's conditional requests, through the same guard (app/conditional-fetch.ts).
    conditional: new HttpConditionalFetcher({ userAgent: config.userAgent, guard, upstreams }),
    // Navigations per host, counted for the whole stack in the jobs table (core/host-rate.ts).
    hostRate: new DynamoHostRateGate(clients.dynamo, config.tables.jobs, deps.clock),
    faults: faultInjector(config.faults, logger, config.faultsStateDir),
    workerId: environmentId,
  };
  workerDeps = built;
  return built;
}

const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord, tally: InvocationTally): Promise<void> {
  const deps = getWorkerDeps();
  const message = messageOf(record, CrawlMessageSchema);
  if (!message) {
    // Retrying cannot fix a malformed message; dropping it is the only way it stops coming back.
    logger.error('malformed crawl message dropped', { messageId: record.messageId, body: record.body.slice(0, 500) });
    return;
  }
  // What this record uses is the job's (adapters/usage/usage-meter.ts).
  tally.received(message.jobId);
  try {
    const sentAt = Number(record.attributes.SentTimestamp);
    const delivery = { queueWaitMs: Number.isFinite(sentAt) ? Math.max(0, Date.now() - sentAt) : undefined };
    const outcome = await withUsageScope(message.jobId, tally, () => crawlPage(message, deps, delivery));
    logger.debug('message handled', { messageId: record.messageId, outcome });
  } catch (error) {
    // The message comes back after a backoff (core/retry-backoff.ts), not after the queue's whole
    // visibility timeout: its visibility is changed now, then it is reported as a batch item failure.
    const receiveCount = Number(record.attributes.ApproximateReceiveCount);
    const delaySeconds = retryAfterSeconds(error, Number.isFinite(receiveCount) ? receiveCount : 1, Date.now(), Math.random);
    const retryLater = await retryQueue()
      .changeVisibility(record.receiptHandle, delaySeconds)
      .then(
        () => true,
        // Not fatal: the message still comes back, after the visibility timeout.
        (visibilityError: unknown) => {
          logger.warn('could not set the retry delay; the message comes back after the visibility timeout', { url: message.url, error: String(visibilityError) });
          return false;
        },
      );
    const retry = { url: message.url, ...(retryLater ? { retryInSeconds: delaySeconds } : {}) };
    if (error instanceof UrlBusyError) logger.info('URL busy; message will come back', retry);
    else logger.warn('message failed; it will be retried', { ...retry, receiveCount, error: error instanceof Error ? error.message : String(error) });
    throw error;
  }
}

let queueForRetries: SqsCrawlQueue | undefined;

/** The crawl queue, for the visibility of the messages this environment received. */
function retryQueue(): SqsCrawlQueue {
  const { config, clients } = appRuntime();
  return (queueForRetries ??= new SqsCrawlQueue(clients.sqs, config.queueUrl));
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const { config, clients } = appRuntime();
  const tally = new InvocationTally(Date.now(), functionMemoryMb(config.limits.crawlerMemoryMb));
  try {
    return await processPartialResponse(event, (record: SQSRecord) => handleRecord(record, tally), processor, { context, throwOnFullBatchFailure: false });
  } finally {
    // What the settles and releases did not carry: one update per job of the batch.
    await flushInvocationUsage(tally, clients.dynamo, config.tables.jobs, logger);
  }
};
