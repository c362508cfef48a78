// Wires configuration to adapters once per execution environment; warm invocations reuse it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { ApiGatewayNotifier } from '../adapters/apigw/client-notifier.js';
import { ResumableWaczWriter, type ResumableWaczOptions } from '../adapters/archive/resumable-wacz.js';
import { createAwsClients, type AwsClients } from '../adapters/aws-clients.js';
import { EmfJobMetrics } from '../adapters/cloudwatch/job-metrics.js';
import { readConfig, type Config } from '../adapters/config.js';
import { DynamoConnectionStore } from '../adapters/dynamodb/connection-store.js';
import { DynamoFinishCheckpoints } from '../adapters/dynamodb/finish-checkpoints.js';
import { DynamoFrontierStore } from '../adapters/dynamodb/frontier-store.js';
import { DynamoJobStore } from '../adapters/dynamodb/job-store.js';
import { S3ResultStore } from '../adapters/s3/result-store.js';
import { TempFileRunStore } from '../adapters/spill/temp-file-runs.js';
import { SqsCrawlQueue } from '../adapters/sqs/crawl-queue.js';
import { meterDynamo, meterS3 } from '../adapters/usage/sdk-meters.js';
import { SqsHeartbeatQueue } from '../adapters/sqs/heartbeat-queue.js';
import { SqsFinishRequests } from '../adapters/sqs/finish-queue.js';
import { SqsWebhookQueue } from '../adapters/sqs/webhook-queue.js';
import { DynamoWebhookStore } from '../adapters/dynamodb/webhook-store.js';
import { ownEndpointsOf } from '../adapters/browser/egress-policy.js';
import { localStackGuard, publicOnlyGuard, type RequestGuard } from '../adapters/browser/request-guard.js';
import type { Webhooks } from '../core/webhook.js';
import { expiresAt, type AppDeps } from '../app/deps.js';
import type { ArchiveAssembler } from '../core/ports.js';
import { systemClock } from '../core/ports.js';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crawler' });

let cached: { config: Config; deps: AppDeps; clients: AwsClients } | undefined;

export function appRuntime(): { config: Config; deps: AppDeps; clients: AwsClients } {
  if (cached) return cached;
  const config = readConfig();
  const clients = createAwsClients(config);
  // Requests made for a job (inside a usage scope) are counted to it; others go out unchanged.
  meterDynamo(clients.dynamo, { emulated: config.endpoints.dynamodb !== undefined });
  meterS3(clients.s3);
  const deps: AppDeps = {
    jobs: new DynamoJobStore(clients.dynamo, config.tables),
    frontier: new DynamoFrontierStore(clients.dynamo, config.tables, systemClock),
    connections: new DynamoConnectionStore(clients.dynamo, config.tables.connections),
    queue: new SqsCrawlQueue(clients.sqs, config.queueUrl),
    ...(config.heartbeatQueueUrl ? { heartbeats: new SqsHeartbeatQueue(clients.sqs, config.heartbeatQueueUrl) } : {}),
    results: new S3ResultStore(clients.s3, config.bucket),
    notifier: new ApiGatewayNotifier(clients.connections),
    clock: systemClock,
    limits: config.limits,
    log: logger,
    metrics: new EmfJobMetrics(process.env.POWERTOOLS_SERVICE_NAME ?? 'crawler'),
    // The finisher's sort of a big job's frontier spills to /tmp (app/manifest-writer.ts).
    sortRuns: () => TempFileRunStore.create('manifest-runs-'),
    ...(config.finisher.queueUrl ? { finishRequests: new SqsFinishRequests(clients.sqs, config.finisher.queueUrl) } : {}),
  };
  deps.archives = waczAssembler(config, clients, deps);
  const webhooks = webhooksOf(config, clients);
  if (webhooks) deps.webhooks = webhooks;
  cached = { config, deps, clients };
  return cached;
}

/**
 * The egress guard of this environment, as the crawler's: public addresses only on AWS; locally
 * loopback and private ones too, but not link-local, metadata nor the stack's own services.
 */
export function egressGuard(config: Config): RequestGuard {
  return config.allowPrivateTargets
    ? localStackGuard(ownEndpointsOf([config.endpoints.dynamodb, config.endpoints.sqs, config.endpoints.s3, config.connectionsEndpoint]))
    : publicOnlyGuard();
}

/** Webhook deliveries (app/webhook-delivery.ts), when the stack has their queue and the secrets table. */
function webhooksOf(config: Config, clients: AwsClients): Webhooks | undefined {
  if (!config.webhooks || !config.tables.secrets) return undefined;
  const guard = egressGuard(config);
  return {
    store: new DynamoWebhookStore(clients.dynamo, { jobs: config.tables.jobs, secrets: config.tables.secrets }),
    queue: new SqsWebhookQueue(clients.sqs, config.webhooks.queueUrl),
    retrySeconds: config.webhooks.retrySeconds,
    checkUrl: guard,
  };
}

/** The job's checkpoint and finish lease (adapters/dynamodb/finish-checkpoints.ts). */
export function finishCheckpoints(config: Config, clients: AwsClients, deps: AppDeps): DynamoFinishCheckpoints {
  return new DynamoFinishCheckpoints(clients.dynamo, config.tables.jobs, () => expiresAt(deps.clock, deps.limits));
}

/** The WACZ, written as a checkpointed multipart upload (adapters/archive/resumable-wacz.ts). */
export function waczAssembler(config: Config, clients: AwsClients, deps: AppDeps, hooks: Pick<ResumableWaczOptions, 'afterPart'> = {}): ArchiveAssembler {
  return {
    async assemble(job, pages) {
      const writer = new ResumableWaczWriter(clients.s3, config.bucket, finishCheckpoints(config, clients, deps), {
        partSize: config.finisher.partBytes,
        readsInFlight: config.finisher.readsInFlight,
        log: (message, detail) => logger.info(message, detail),
        ...hooks,
      });
      const written = await writer.write({
        jobId: job.jobId,
        created: new Date(job.finishedAt ?? deps.clock.now()),
        pages: pages.map((p) => ({ url: p.url, title: p.title, warcKey: p.warcKey })),
      });
      logger.info('archive written', {
        jobId: job.jobId,
        key: written.key,
        bytes: written.bytes,
        captures: written.captures,
        missing: written.missing.length,
        resumedAtPage: written.resumedAtPage,
        skipped: written.skipped,
      });
    },
  };
}

/** Identifies this execution environment in leases and logs. */
export const environmentId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
