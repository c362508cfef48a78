// The use cases wired to the real adapters, as functions/handlers/runtime.ts wires them, against
// DynamoDB Local, fauxqs (SQS + S3), the local WebSocket gateway (@connections) and real Chromium.
// Each test provisions its own tables, queue and bucket, so the sweeper sees only that test's jobs.
// The clock is the system clock plus a skew a test may advance (leases, grace periods).
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayNotifier } from '../../../functions/adapters/apigw/client-notifier.js';
import { createAwsClients, type AwsClients } from '../../../functions/adapters/aws-clients.js';
import { PuppeteerRenderer } from '../../../functions/adapters/browser/renderer.js';
import { readConfig } from '../../../functions/adapters/config.js';
import { DynamoConnectionStore } from '../../../functions/adapters/dynamodb/connection-store.js';
import { DynamoFrontierStore } from '../../../functions/adapters/dynamodb/frontier-store.js';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store.js';
import { HttpRobotsPolicy } from '../../../functions/adapters/http/robots-policy.js';
import { S3ResultStore } from '../../../functions/adapters/s3/result-store.js';
import { SqsCrawlQueue } from '../../../functions/adapters/sqs/crawl-queue.js';
import { crawlPage } from '../../../functions/app/crawl-page.js';
import type { WorkerDeps } from '../../../functions/app/deps.js';
import { isFinal, type FinalStatus, type JobRecord } from '../../../functions/core/job.js';
import { DEFAULT_LIMITS, type Limits } from '../../../functions/core/limits.js';
import { parseCrawlRequest, type CrawlRequest } from '../../../functions/core/messages.js';
import { noFaults, type Clock, type CrawlMessage, type Logger } from '../../../functions/core/ports.js';
import { startDynamoDb, type RunningEmulator } from '../../../local/emulators/dynamodb.js';
import { startSqsS3 } from '../../../local/emulators/sqs-s3.js';
import { startGateway, type Gateway } from '../../../local/gateway.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, provision, type Resources } from '../../../local/provision.js';
// A bare socket: these scenes submit jobs through the handler's functions, and the socket only hears what they push.
import { RawSocket } from '../../e2e/support/raw-socket.js';

export const TEST_LIMITS: Limits = {
  ...DEFAULT_LIMITS,
  maxAttempts: 3,
  leaseMs: 60_000,
  navigationTimeoutMs: 15_000,
  settleIdleMs: 300,
  settleMaxMs: 3_000,
  progressIntervalMs: 3_600_000,
  maxJobsPerConnection: 5,
};

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra: Record<string, unknown>;
}

/** A small site: `/start` links to three leaves; robots.txt says what `robots` holds at the time. */
export interface Site {
  origin: string;
  seed: string;
  leaves: string[];
  robots: string;
  stop(): Promise<void>;
}

async function startSite(): Promise<Site> {
  const site = { robots: 'User-agent: *\nAllow: /\n' } as Site;
  const server: Server = createServer((req, res) => {
    if (req.url === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(site.robots);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    if (req.url === '/start') res.end('<title>start</title><a href="/a">a</a> <a href="/b">b</a> <a href="/c">c</a>');
    else res.end(`<title>${req.url}</title><p>a leaf</p>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  site.seed = `${site.origin}/start`;
  site.leaves = ['/a', '/b', '/c'].map((path) => `${site.origin}${path}`);
  site.stop = () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
  return site;
}

export interface Scene {
  resources: Resources;
  clients: AwsClients;
  clock: Clock & { skewMs: number };
  limits: Limits;
  log: LogEntry[];
  finished: FinalStatus[];
  /** the use cases' dependencies on the real adapters; replace any port for one test */
  deps(overrides?: Partial<WorkerDeps>): WorkerDeps;
  /** a WebSocket client on the gateway, its connection recorded as `$connect` does */
  connect(): Promise<{ client: RawSocket; connectionId: string }>;
  crawlRequest(fields: Record<string, unknown>): CrawlRequest;
  getJob(jobId: string): Promise<JobRecord | null>;
  activeJobs(connectionId: string): Promise<number>;
  /**
   * Feeds the queue's messages to crawlPage, as the event source does: a message that throws comes
   * back at once (as after its visibility timeout). Stops when the job is final, or when the queue
   * stays empty for a few receives; returns what each delivery did.
   */
  drain(jobId: string, deps: WorkerDeps): Promise<{ url: string; outcome: string }[]>;
}

export interface World {
  site: Site;
  renderer: PuppeteerRenderer;
  scene(limits?: Partial<Limits>): Promise<Scene>;
  stop(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  // The SDK clients are built as on Lambda (createAwsClients): credentials come from the environment.
  process.env['AWS_ACCESS_KEY_ID'] ??= LOCAL_CREDENTIALS.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] ??= LOCAL_CREDENTIALS.secretAccessKey;
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => {});
  };
  try {
    const [dynamo, sqsS3]: RunningEmulator[] = await Promise.all([startDynamoDb(), startSqsS3()]);
    stoppers.push(() => dynamo!.stop(), () => sqsS3!.stop());
    const connected: string[] = [];
    const gateway: Gateway = await startGateway({
      port: 0,
      log: () => {},
      routes: {
        $connect: {
          async invoke(event) {
            connected.push((event as { requestContext: { connectionId: string } }).requestContext.connectionId);
            return { statusCode: 200 };
          },
          async close() {},
        },
      },
    });
    stoppers.push(() => gateway.stop());
    const site = await startSite();
    stoppers.push(() => site.stop());
    const renderer = new PuppeteerRenderer({ log: quietLogger([]) });
    stoppers.push(() => renderer.close());
    const endpoints = { dynamodb: dynamo!.endpoint, sqs: sqsS3!.endpoint, s3: sqsS3!.endpoint };

    const scene = async (limitOverrides: Partial<Limits> = {}): Promise<Scene> => {
      const resources = await provision({ endpoints, prefix: `lw-${randomBytes(3).toString('hex')}`, visibilityTimeoutSeconds: 30, maxReceiveCount: 10 });
      const config = readConfig({
        JOBS_TABLE: resources.jobsTable,
        FRONTIER_TABLE: resources.frontierTable,
        CONNECTIONS_TABLE: resources.connectionsTable,
        SECRETS_TABLE: resources.secretsTable,
        CRAWL_QUEUE_URL: resources.queueUrl,
        RESULTS_BUCKET: resources.bucket,
        CONNECTIONS_ENDPOINT: gateway.connectionsEndpoint,
        AWS_REGION: LOCAL_REGION,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        AWS_ENDPOINT_URL_SQS: endpoints.sqs,
        AWS_ENDPOINT_URL_S3: endpoints.s3,
      });
      const clients = createAwsClients(config);
      stoppers.push(async () => {
        for (const client of [clients.dynamo, clients.sqs, clients.s3, clients.connections]) client.destroy();
      });
      const clock = { skewMs: 0, now: () => Date.now() + clock.skewMs };
      const limits = { ...TEST_LIMITS, ...limitOverrides };
      const log: LogEntry[] = [];
      const finished: FinalStatus[] = [];
      const jobs = new DynamoJobStore(clients.dynamo, config.tables);
      const connections = new DynamoConnectionStore(clients.dynamo, config.tables.connections);
      const base: WorkerDeps = {
        jobs,
        frontier: new DynamoFrontierStore(clients.dynamo, config.tables, clock),
        connections,
        queue: new SqsCrawlQueue(clients.sqs, config.queueUrl),
        results: new S3ResultStore(clients.s3, config.bucket),
        notifier: new ApiGatewayNotifier(clients.connections),
        clock,
        limits,
        log: quietLogger(log),
        metrics: { jobFinished: (status) => finished.push(status) },
        renderer,
        robots: new HttpRobotsPolicy({ userAgent: config.robotsUserAgent, log: quietLogger(log) }),
        faults: noFaults,
        workerId: `test-worker-${randomBytes(3).toString('hex')}`,
      };
      const getJob = (jobId: string) => jobs.getJob(jobId);
      return {
        resources,
        clients,
        clock,
        limits,
        log,
        finished,
        deps: (overrides = {}) => ({ ...base, ...overrides }),
        async connect() {
          const client = await RawSocket.connect(gateway.url);
          const connectionId = connected.at(-1)!;
          await connections.open(connectionId, clock.now());
          stoppers.push(() => client.close());
          return { client, connectionId };
        },
        crawlRequest: (fields) => parseCrawlRequest(JSON.stringify({ action: 'crawl', ...fields }), limits),
        getJob,
        async activeJobs(connectionId) {
          const result = await clients.dynamo.send(new GetCommand({ TableName: config.tables.connections, Key: { connectionId }, ConsistentRead: true }));
          return Number(result.Item?.['activeJobs'] ?? 0);
        },
        async drain(jobId, deps) {
          const deliveries: { url: string; outcome: string }[] = [];
          for (let empty = 0; empty < 3 && deliveries.length < 100; ) {
            const job = await getJob(jobId);
            if (job && isFinal(job.status)) break;
            const { Messages = [] } = await clients.sqs.send(
              new ReceiveMessageCommand({ QueueUrl: resources.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
            );
            empty = Messages.length === 0 ? empty + 1 : 0;
            for (const message of Messages) {
              const body = JSON.parse(message.Body ?? '{}') as CrawlMessage;
              try {
                deliveries.push({ url: body.url, outcome: await crawlPage(body, deps) });
                await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: resources.queueUrl, ReceiptHandle: message.ReceiptHandle }));
              } catch (error) {
                deliveries.push({ url: body.url, outcome: `threw ${(error as Error).name}` });
                await clients.sqs.send(
                  new ChangeMessageVisibilityCommand({ QueueUrl: resources.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }),
                );
              }
            }
          }
          return deliveries;
        },
      };
    };
    return { site, renderer, scene, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function quietLogger(into: LogEntry[]): Logger {
  const entry = (level: LogEntry['level']) => (message: string, ...extra: Record<string, unknown>[]) => {
    into.push({ level, message, extra: Object.assign({}, ...extra) as Record<string, unknown> });
  };
  return { debug: entry('debug'), info: entry('info'), warn: entry('warn'), error: entry('error') };
}

/** Receives what is on the queue now without taking it (it comes back at once). */
export async function peekQueue(scene: Scene): Promise<CrawlMessage[]> {
  const seen: CrawlMessage[] = [];
  const { Messages = [] } = await scene.clients.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: scene.resources.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 0 }),
  );
  for (const message of Messages) seen.push(JSON.parse(message.Body ?? '{}') as CrawlMessage);
  return seen;
}
