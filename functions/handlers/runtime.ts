// Wires configuration to adapters once per execution environment; warm invocations reuse it.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { ApiGatewayNotifier } from '../adapters/apigw/client-notifier.js';
import { S3WaczWriter } from '../adapters/archive/wacz-writer.js';
import { createAwsClients, type AwsClients } from '../adapters/aws-clients.js';
import { EmfJobMetrics } from '../adapters/cloudwatch/job-metrics.js';
import { readConfig, type Config } from '../adapters/config.js';
import { DynamoConnectionStore } from '../adapters/dynamodb/connection-store.js';
import { DynamoFrontierStore } from '../adapters/dynamodb/frontier-store.js';
import { DynamoJobStore } from '../adapters/dynamodb/job-store.js';
import { S3ResultStore } from '../adapters/s3/result-store.js';
import { TempFileRunStore } from '../adapters/spill/temp-file-runs.js';
import { SqsCrawlQueue } from '../adapters/sqs/crawl-queue.js';
import { meterDynamo, meterS3 } from '../adapters/usage/sdk-meters.js';
import { SqsHeartbeatQueue } from '../adapters/sqs/heartbeat-queue.js';
import type { AppDeps } from '../app/deps.js';
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
    archives: {
      async assemble(job, pages) {
        const written = await new S3WaczWriter(clients.s3, config.bucket, systemClock).write({
          jobId: job.jobId,
          warcKeys: pages.map((p) => p.warcKey),
          pages: pages.map((p) => ({ url: p.url, title: p.title })),
        });
        logger.info('archive written', { jobId: job.jobId, key: written.key, bytes: written.bytes, captures: written.captures, missing: written.missing.length });
      },
    },
  };
  cached = { config, deps, clients };
  return cached;
}

/** Identifies this execution environment in leases and logs. */
export const environmentId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
