// The whole product on one machine: emulators, resources, the WebSocket gateway with one execution
// environment per API function, the crawl queue's event source feeding crawler environments, and
// the finish queue's feeding finisher environments.
// Handlers are the same files that run on Lambda; only their environment differs.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CrawlerSettings } from '../infra/settings.js';
import { startDynamoDb } from './emulators/dynamodb.js';
import { startSqsS3 } from './emulators/sqs-s3.js';
import { startSchedulerEmulator, type SchedulerEmulator } from './emulators/scheduler.js';
import { startEventSource } from './event-source.js';
import { localConsole } from './console/local-console.js';
import { startGateway } from './gateway.js';
import { childProcessInvoker, sharedEnvironment, type Invoker } from './invoker.js';
import { localLimits } from './stack-limits.js';
import { deprovisionTables, LOCAL_CREDENTIALS, LOCAL_REGION, provision, type Resources } from './provision.js';

// Every limit defaults to the deployed stack's (infra/deployed-limits.ts, from infra/settings.ts):
// visibility timeout, function timeouts, lease, receive count, host ceiling, time limit, the
// sweeper's schedule. The options below shorten them for a test; nothing shortens them by default.
// What the local stack cannot be is the deployed concurrency: each crawler environment here is a
// process with its own Chromium, so `workers` follows the machine (2 by default, not 10).
export interface LocalStackOptions {
  /** gateway port; 0 = any free port */
  port?: number;
  /** crawler execution environments (each a process with its own Chromium) */
  workers?: number;
  /** the deployment's settings (infra/settings.ts); default: DEFAULT_SETTINGS, as `cdk deploy` with no context */
  settings?: CrawlerSettings;
  batchSize?: number;
  /** a test's shorter visibility timeout; default: the deployed one (six times the crawler's timeout) */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  /** crawler invocation timeout; must stay below the visibility timeout, as on AWS */
  workerTimeoutMs?: number;
  /**
   * `per-function` (default): every API function has its own execution environment, as on AWS.
   * `shared`: the API functions and the sweeper share one environment (one Node process instead of
   * up to nine), for a light stack (the bench's memory); the crawler keeps its own environments.
   */
  apiEnvironments?: 'per-function' | 'shared';
  /** how often the sweeper runs; 0 = never */
  sweepIntervalMs?: number;
  /** require this token on connect (query `token` or `Authorization: Bearer`); default: open */
  authToken?: string;
  /** extra environment for every function */
  env?: Record<string, string>;
  /** extra environment for the crawler only (e.g. CRAWLER_FAULTS) */
  workerEnv?: Record<string, string>;
  /** finisher execution environments (functions/handlers/finish.ts), each fed one message at a time; default 2 */
  finishers?: number;
  /** the finisher's invocation timeout; default the deployed one (infra/finisher-settings.ts) */
  finisherTimeoutMs?: number;
  /** the finish queue's visibility timeout; must stay above finisherTimeoutMs; default the deployed one */
  finishVisibilityTimeoutSeconds?: number;
  /** extra environment for the finisher only (e.g. FINISHER_FAULTS, FINISHER_PART_BYTES) */
  finisherEnv?: Record<string, string>;
  /**
   * a test's shorter webhook retry schedule (seconds between attempts) and attempt timeout;
   * default: the deployed ones (core/webhook.ts, infra/settings.ts webhookTimeoutSeconds)
   */
  webhookRetrySeconds?: readonly number[];
  webhookTimeoutMs?: number;
  duplicateDelivery?: boolean;
  /** run these handler files instead of functions/handlers/*.ts (e.g. the bundles cdk synth made) */
  handlerFiles?: Partial<Record<string, string>>;
  dataDir?: string;
  /** with `handlerFiles` that are bundles: the runtime built as JavaScript, run without tsx (local/invoker.ts) */
  runtimeFile?: string;
  /** use this running DynamoDB (the test suite's shared one) instead of starting one; the stack's tables are deleted when it stops */
  dynamodbEndpoint?: string;
  /**
   * Test only: how long one minute of a schedule's rate lasts in the local scheduler
   * (local/emulators/scheduler.ts); default a real minute. The minimum interval is the deployed
   * one unless `settings` lowers it (scheduleMinIntervalMinutes).
   */
  scheduleMinuteMs?: number;
  log?: (line: string) => void;
}

export interface LocalStack {
  wsUrl: string;
  /** the local console: the gateway's port over plain HTTP */
  consoleUrl: string;
  connectionsEndpoint: string;
  /** the gateway's open connections (local/gateway.ts): a test closes one through `@connections` */
  connectionIds(): string[];
  env: Record<string, string>;
  resources: Resources;
  endpoints: { dynamodb: string; sqs: string; s3: string };
  /** crawler invocations running right now */
  inFlight(): number;
  /** every crawler invocation so far: cold (new environment) or warm, and its duration */
  crawlerInvocations(): { cold: boolean; ms: number; ok: boolean }[];
  /** every finisher invocation so far */
  finisherInvocations(): { cold: boolean; ms: number; ok: boolean }[];
  /** the local EventBridge Scheduler: the schedules' timers and their firings */
  scheduler: Pick<SchedulerEmulator, 'names' | 'firings'>;
  /** starts every crawler environment (an empty batch each), as provisioned concurrency would: the bench's warm-up */
  warmCrawlers(): Promise<void>;
  stop(): Promise<void>;
}

const sourceHandler = (name: string) => fileURLToPath(new URL(`../functions/handlers/${name}.ts`, import.meta.url));

const API_ROUTES: Record<string, string> = {
  $connect: 'connect',
  $disconnect: 'disconnect',
  $default: 'default',
  crawl: 'crawl',
  status: 'status',
  cancel: 'cancel',
  redrive: 'redrive',
  schedule: 'schedule',
  unschedule: 'unschedule',
  schedules: 'schedules',
};

/** what the local schedule settings name: no AWS resource stands behind them, the emulator takes any */
const LOCAL_SCHEDULER = {
  SCHEDULE_GROUP: 'local-crawl-schedules',
  SCHEDULE_TARGET_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:schedule-run',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/local-scheduler',
  SCHEDULE_DLQ_ARN: 'arn:aws:sqs:us-east-1:000000000000:local-schedule-dead-letters',
};

function timestamped(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 23)} ${line}`);
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? timestamped;
  const handler = (name: string) => options.handlerFiles?.[name] ?? sourceHandler(name);
  const limits = localLimits(options);
  const { deployed, visibilityTimeoutSeconds, workerTimeoutMs, maxReceiveCount } = limits;
  const finishVisibilityTimeoutSeconds = options.finishVisibilityTimeoutSeconds ?? deployed.finisher.visibilityTimeoutSeconds;
  const finisherTimeoutMs = options.finisherTimeoutMs ?? Math.min(deployed.finisher.timeoutSeconds * 1000, finishVisibilityTimeoutSeconds * 1000 - 1000);
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch((e) => log(`[stack] stop step failed: ${(e as Error).message}`));
  };
  try {
    const [dynamo, sqsS3] = await Promise.all([
      options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint, stop: async () => {} } : startDynamoDb({ dataDir: options.dataDir }),
      startSqsS3(),
    ]);
    stoppers.push(() => dynamo.stop(), () => sqsS3.stop());
    const endpoints = { dynamodb: dynamo.endpoint, sqs: sqsS3.endpoint, s3: sqsS3.endpoint };
    const resources = await provision({
      endpoints,
      prefix: `local-${randomBytes(4).toString('hex')}`,
      visibilityTimeoutSeconds,
      maxReceiveCount,
      finishVisibilityTimeoutSeconds,
    });
    // A shared DynamoDB outlives the stack: its tables go with it (stop steps run last-in first-out,
    // so after every function that could still write).
    if (options.dynamodbEndpoint) stoppers.splice(1, 0, () => deprovisionTables(endpoints, resources));
    log(`[stack] DynamoDB Local ${dynamo.endpoint}, SQS+S3 ${sqsS3.endpoint}`);

    // The gateway's URL is part of the functions' environment, so routes are bound after it listens.
    const routes: Record<string, Invoker> = {};
    const authorizer: { current?: Invoker } = {};
    const webConsole = localConsole(endpoints, resources, log);
    stoppers.push(async () => webConsole.close());
    const gateway = await startGateway({
      port: options.port ?? 8080,
      routes,
      log,
      http: webConsole.handler,
      authorizer: options.authToken ? { invoke: (e) => authorizer.current!.invoke(e), close: async () => {} } : undefined,
    });
    stoppers.push(() => gateway.stop());
    // Schedules' timers: fired into the schedule-run function, bound below once it exists.
    const scheduleTarget: { current?: Invoker } = {};
    const scheduler = await startSchedulerEmulator({
      fire: (input) => scheduleTarget.current!.invoke(input as never),
      minuteMs: options.scheduleMinuteMs,
      log,
    });
    const env: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint,
      ...LOCAL_SCHEDULER,
      JOBS_TABLE: resources.jobsTable,
      FRONTIER_TABLE: resources.frontierTable,
      CONNECTIONS_TABLE: resources.connectionsTable,
      SECRETS_TABLE: resources.secretsTable,
      CRAWL_QUEUE_URL: resources.queueUrl,
      HEARTBEAT_QUEUE_URL: resources.heartbeatQueueUrl,
      FINISH_QUEUE_URL: resources.finishQueueUrl,
      WEBHOOK_QUEUE_URL: resources.webhookQueueUrl,
      RESULTS_BUCKET: resources.bucket,
      CONNECTIONS_ENDPOINT: gateway.connectionsEndpoint,
      ALLOW_PRIVATE_TARGETS: 'true',
      ...limits.environment,
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? limits.environment.POWERTOOLS_LOG_LEVEL ?? 'INFO',
      // Local runs may use Node 20 (see README); Lambda runs a current runtime.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...(options.authToken ? { AUTH_MODE: 'token', AUTH_TOKEN: options.authToken } : {}),
      ...(options.webhookRetrySeconds ? { WEBHOOK_RETRY_SECONDS: options.webhookRetrySeconds.join(',') } : {}),
      ...(options.webhookTimeoutMs !== undefined ? { WEBHOOK_TIMEOUT_MS: String(options.webhookTimeoutMs) } : {}),
      ...options.env,
    };
    const apiInvokers: Invoker[] = [];
    const { runtimeFile } = options;
    const shared = options.apiEnvironments === 'shared' ? sharedEnvironment({ name: 'api', env, log, runtimeFile }) : undefined;
    // Lambda tells a function its memory size; the usage accounting prices a function's time by it.
    const apiEnv = { ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployed.routeMemoryMb) };
    const functionInvoker = (name: string, timeoutMs: number): Invoker => {
      const invoker = shared?.invokerFor(name, handler(name), timeoutMs) ?? childProcessInvoker({ name, handlerPath: handler(name), env: apiEnv, timeoutMs, log, runtimeFile });
      apiInvokers.push(invoker);
      return invoker;
    };
    for (const [routeKey, file] of Object.entries(API_ROUTES)) {
      routes[routeKey] = functionInvoker(file, limits.routeTimeoutMs(file));
    }
    if (options.authToken) authorizer.current = functionInvoker('authorize', limits.routeTimeoutMs('authorize'));
    // A schedule's run submits as the crawl route does: its timeout.
    scheduleTarget.current = functionInvoker('schedule-run', limits.routeTimeoutMs('crawl'));
    stoppers.push(async () => {
      await Promise.all([...apiInvokers.map((i) => i.close()), shared?.close()]);
    });
    // Stopped before the functions' environments close (stop steps run last-in first-out): no firing after.
    stoppers.push(() => scheduler.stop());

    // Injected faults fire once across all crawler environments (see functions/adapters/faults.ts).
    const faultsState = mkdtempSync(join(tmpdir(), 'crawler-faults-'));
    stoppers.push(async () => rmSync(faultsState, { recursive: true, force: true }));
    const events = startEventSource({
      sqsEndpoint: endpoints.sqs,
      queueUrl: resources.queueUrl,
      queueArn: resources.queueArn,
      batchSize: limits.batchSize,
      concurrency: options.workers ?? 2,
      duplicateDelivery: options.duplicateDelivery,
      log,
      createInvoker: (index) =>
        childProcessInvoker({
          name: `worker-${index}`,
          handlerPath: handler('worker'),
          env: { ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployed.crawler.memoryMb), CRAWLER_FAULTS_STATE: faultsState, ...options.workerEnv },
          timeoutMs: workerTimeoutMs,
          log,
          runtimeFile,
        }),
    });
    stoppers.push(() => events.stop());

    // A light function fed by its own queue, one environment, as on AWS: closed with the API
    // functions (its environment may be their shared one), not by the poller.
    const lightConsumer = (name: 'heartbeat' | 'webhook', queue: { url: string; arn: string }, limits: { timeoutSeconds: number; batchSize: number }) => {
      const invoker = functionInvoker(name, limits.timeoutSeconds * 1000);
      const source = startEventSource({
        sqsEndpoint: endpoints.sqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        batchSize: limits.batchSize,
        concurrency: 1,
        log,
        createInvoker: () => ({ ...invoker, invoke: (e) => invoker.invoke(e), close: async () => {} }),
      });
      stoppers.push(() => source.stop());
    };
    // Running jobs' heartbeats (app/heartbeat.ts) and webhook deliveries (app/webhook-delivery.ts).
    lightConsumer('heartbeat', { url: resources.heartbeatQueueUrl, arn: resources.heartbeatQueueArn }, deployed.heartbeat);
    lightConsumer('webhook', { url: resources.webhookQueueUrl, arn: resources.webhookQueueArn }, deployed.webhook);

    // The finisher: its own queue and environments, one message an invocation, as on AWS.
    const finishEvents = startEventSource({
      sqsEndpoint: endpoints.sqs,
      queueUrl: resources.finishQueueUrl,
      queueArn: resources.finishQueueArn,
      batchSize: 1,
      concurrency: options.finishers ?? 2,
      log,
      createInvoker: (index) =>
        childProcessInvoker({
          name: `finisher-${index}`,
          handlerPath: handler('finish'),
          env: { ...env, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(deployed.finisher.memoryMb), CRAWLER_FAULTS_STATE: faultsState, ...options.finisherEnv },
          timeoutMs: finisherTimeoutMs,
          log,
          runtimeFile,
        }),
    });
    stoppers.push(() => finishEvents.stop());

    const { sweepIntervalMs } = limits;
    if (sweepIntervalMs > 0) {
      const sweeper = functionInvoker('sweep', limits.sweepTimeoutMs);
      let sweeping = Promise.resolve();
      const timer = setInterval(() => {
        sweeping = sweeper
          .invoke({ source: 'local.schedule' })
          .then(() => undefined)
          .catch((e) => log(`[sweep] failed: ${(e as Error).message}`));
      }, sweepIntervalMs);
      stoppers.push(async () => {
        clearInterval(timer);
        await sweeping; // the environment closes with the API functions' (the stop step after this one)
      });
    }

    return {
      wsUrl: gateway.url,
      consoleUrl: gateway.httpUrl,
      connectionsEndpoint: gateway.connectionsEndpoint,
      connectionIds: () => gateway.connectionIds(),
      env,
      resources,
      endpoints,
      inFlight: () => events.inFlight(),
      scheduler: { names: () => scheduler.names(), firings: () => scheduler.firings() },
      crawlerInvocations: () => events.invocations(),
      finisherInvocations: () => finishEvents.invocations(),
      warmCrawlers: () => events.warm(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
