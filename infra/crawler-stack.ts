// The deployable product: WebSocket API → functions → SQS → crawler (Chromium) → DynamoDB and S3.
import { CfnOutput, CfnResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CrawlQueue } from './constructs/crawl-queue.js';
import { FinishQueue } from './constructs/finish-queue.js';
import { FINISHER_MEMORY_MB, FINISHER_TIMEOUT_SECONDS } from './finisher-settings.js';
import { CHROMIUM_LAYER_DIR, chromiumLayer, CrawlerFunction } from './constructs/functions.js';
import { Monitoring } from './constructs/monitoring.js';
import { Storage } from './constructs/storage.js';
import { CrawlerApi } from './constructs/websocket-api.js';
import type { AcknowledgedResources } from './nag-acknowledgements.js';
import { DEFAULT_SETTINGS, navigationTimeoutOf, type CrawlerSettings } from './settings.js';

export interface CrawlerStackProps extends StackProps {
  settings?: CrawlerSettings;
  stageName?: string;
}

/** Slack between the crawler's timeout and its lease, so a slow but live worker keeps its URL. */
const LEASE_MARGIN_SECONDS = 30;
const SWEEP_EVERY = Duration.minutes(5);
/**
 * S3 keeps results this long past resultsRetentionDays, which is when the records pointing at them
 * (job, frontier and result-cache items) expire: a manifest URL handed out just before its record
 * expires lives this long, and must not point at an object the lifecycle rule already deleted.
 */
const RESULTS_GRACE_DAYS = 1;
const MANIFEST_URL_TTL_SECONDS = RESULTS_GRACE_DAYS * 24 * 3600;

export class CrawlerStack extends Stack {
  /** the constructs on which accepted cdk-nag findings are acknowledged (see nag-acknowledgements.ts) */
  readonly nagResources: AcknowledgedResources;

  constructor(scope: Construct, id: string, props: CrawlerStackProps = {}) {
    super(scope, id, props);
    const settings = props.settings ?? DEFAULT_SETTINGS;
    const logRetention = settings.logRetentionDays as RetentionDays;

    const storage = new Storage(this, 'Storage', { resultsExpirationDays: settings.resultsRetentionDays + RESULTS_GRACE_DAYS });
    this.retainLogsOfBucketEmptier(logRetention);
    const queues = new CrawlQueue(this, 'Crawl', { crawlerTimeoutSeconds: settings.crawlerTimeoutSeconds, maxReceiveCount: settings.maxReceiveCount });
    const finishQueues = new FinishQueue(this, 'Finish', { maxReceiveCount: settings.maxReceiveCount });
    const stageName = props.stageName ?? 'prod';
    const api = new CrawlerApi(this, 'WebSocket', { stageName, logRetention, accountLoggingRole: settings.apiGatewayLoggingRole });

    const visibilitySeconds = queues.visibilityTimeoutSeconds;
    const leaseSeconds = settings.crawlerTimeoutSeconds + LEASE_MARGIN_SECONDS;
    if (leaseSeconds > visibilitySeconds) {
      throw new Error(`the lease (${leaseSeconds} s) must end before a message becomes visible again (${visibilitySeconds} s)`);
    }
    const environment: Record<string, string> = {
      JOBS_TABLE: storage.jobs.tableName,
      FRONTIER_TABLE: storage.frontier.tableName,
      CONNECTIONS_TABLE: storage.connections.tableName,
      CRAWL_QUEUE_URL: queues.queue.queueUrl,
      // Whoever wins a job's end asks the finisher through this queue (functions/handlers/finish.ts).
      FINISH_QUEUE_URL: finishQueues.queue.queueUrl,
      RESULTS_BUCKET: storage.results.bucketName,
      CONNECTIONS_ENDPOINT: api.stage.callbackUrl,
      MAX_DEPTH: String(settings.maxDepth),
      MAX_PAGES: String(settings.maxPages),
      DEFAULT_MAX_PAGES: String(settings.defaultMaxPages),
      MAX_ATTEMPTS: String(settings.maxAttempts),
      // A claim outlives the invocation that made it (so a live worker keeps it) and expires before
      // the message is visible again (so the redelivery can take over a dead worker's URL).
      LEASE_MS: String(leaseSeconds * 1000),
      NAV_TIMEOUT_MS: String(navigationTimeoutOf(settings) * 1000),
      // Job, frontier and cache items expire RESULTS_GRACE_DAYS before the S3 objects they point
      // at (counted from the job's creation, before any of its objects), so a live record and the
      // manifest URL it hands out never point at an object the lifecycle rule has deleted.
      RECORD_TTL_DAYS: String(settings.resultsRetentionDays),
      MANIFEST_URL_TTL_SECONDS: String(MANIFEST_URL_TTL_SECONDS),
      JOB_TIME_LIMIT_SECONDS: String(settings.jobTimeLimitSeconds),
      // Quiet for longer than every retry of a message could take: its messages were lost.
      STALL_TIMEOUT_MS: String(visibilitySeconds * (settings.maxReceiveCount + 1) * 1000),
      MAX_JOBS_PER_CONNECTION: String(settings.maxJobsPerConnection),
      // Every function: the crawler's gate spaces navigations by it, the crawl route checks hostRate against it.
      HOST_RATE_CEILING: String(settings.hostRateCeiling),
      // Fixed per job when it is created: a change applies to the jobs started after it.
      COUNTER_SHARDS: String(settings.counterShards),
      ...(settings.userAgent ? { USER_AGENT: settings.userAgent } : {}),
      CHROMIUM_BIN_DIR: CHROMIUM_LAYER_DIR,
      POWERTOOLS_LOG_LEVEL: settings.logLevel,
    };
    const fn = (id: string, handler: ConstructorParameters<typeof CrawlerFunction>[2]['handler'], description: string) =>
      new CrawlerFunction(this, id, { handler, environment, logRetention, description });

    const connect = fn('ConnectFunction', 'connect', 'WebSocket $connect: records the connection');
    const disconnect = fn('DisconnectFunction', 'disconnect', 'WebSocket $disconnect: forgets the connection');
    const fallback = fn('DefaultFunction', 'default', 'WebSocket $default: explains unroutable messages');
    // Reuse by depth (maxAge) may walk and copy up to a thousand cached pages in this route: more
    // time than the other routes, still under API Gateway's 29 s integration timeout.
    const submit = new CrawlerFunction(this, 'CrawlFunction', {
      handler: 'crawl', environment, logRetention, timeout: Duration.seconds(28), description: 'Route crawl: validates and starts a job',
    });
    const status = fn('StatusFunction', 'status', 'Route status: reports a job');
    const cancel = fn('CancelFunction', 'cancel', 'Route cancel: ends a job as cancelled');
    const redrive = fn('RedriveFunction', 'redrive', 'Route redrive: crawls again the failed URLs of a finished job');
    const sweep = new CrawlerFunction(this, 'SweepFunction', {
      handler: 'sweep', environment, logRetention, timeout: Duration.minutes(2), description: 'Ends jobs past their time limit or stalled',
    });
    const crawler = new CrawlerFunction(this, 'CrawlerFunction', {
      handler: 'worker',
      environment: {
        ...environment,
        // Byte caps of `formats: ["archive"]`; the per-job one is a counter in the frontier table,
        // which the crawler reads and writes already (grantReadWriteData).
        ARCHIVE_MAX_PAGE_BYTES: String(settings.archiveMaxPageMb * 1024 * 1024),
        ARCHIVE_MAX_JOB_BYTES: String(settings.archiveMaxJobMb * 1024 * 1024),
      },
      logRetention,
      memorySize: settings.crawlerMemoryMb,
      timeout: Duration.seconds(settings.crawlerTimeoutSeconds),
      layers: [chromiumLayer(this)],
      // The crawler feeds its own queue by design (each level of links is one more SQS → crawler →
      // SQS hop, and the SDK forwards the trace header Lambda counts them with): left at Terminate,
      // Lambda drops the chain after ~16 hops and pages deeper than that are never crawled. The
      // loop is bounded by maxDepth, maxPages, the job time limit and crawlerMaxConcurrency.
      recursiveLoop: RecursiveLoop.ALLOW,
      description: 'Renders crawl queue URLs in headless Chromium',
    });
    crawler.addEventSource(
      new SqsEventSource(queues.queue, {
        batchSize: settings.crawlerBatchSize,
        maxConcurrency: settings.crawlerMaxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    // The schedule runs the sweeper again in SWEEP_EVERY: an async retry of a failed run would only
    // overlap the next one.
    new Rule(this, 'SweepSchedule', { schedule: Schedule.rate(SWEEP_EVERY), targets: [new LambdaFunction(sweep, { retryAttempts: 0 })] });
    sweep.configureAsyncInvoke({ retryAttempts: 0 });

    // A job's end (manifest, pages.jsonl, WACZ) in a function of its own: the longest timeout,
    // checkpointed so a finisher that dies is resumed, one request at a time.
    const finisher = new CrawlerFunction(this, 'FinisherFunction', {
      handler: 'finish',
      environment,
      logRetention,
      memorySize: FINISHER_MEMORY_MB,
      timeout: Duration.seconds(FINISHER_TIMEOUT_SECONDS),
      description: 'Ends jobs: manifest, exports and web archive, resumable',
    });
    finisher.addEventSource(new SqsEventSource(finishQueues.queue, { batchSize: 1, reportBatchItemFailures: true }));

    let authorizer: WebSocketLambdaAuthorizer | undefined;
    let tokenSecret: Secret | undefined;
    let authorize: CrawlerFunction | undefined;
    if (settings.auth === 'token') {
      const token = (tokenSecret = new Secret(this, 'ConnectionToken', {
        description: 'Token WebSocket clients present on connect: wss://…/prod?token=<this>',
        generateSecretString: { excludePunctuation: true, passwordLength: 40 },
      }));
      authorize = new CrawlerFunction(this, 'AuthorizeFunction', {
        handler: 'authorize',
        environment: { ...environment, AUTH_MODE: 'token', AUTH_TOKEN_SECRET_ARN: token.secretArn },
        logRetention,
        description: 'Authorizer for $connect: checks the connection token',
      });
      token.grantRead(authorize);
      authorizer = new WebSocketLambdaAuthorizer('TokenAuthorizer', authorize, { identitySource: ['route.request.querystring.token'] });
      new CfnOutput(this, 'ConnectionTokenSecretArn', {
        value: token.secretArn,
        description: 'aws secretsmanager get-secret-value --query SecretString --output text --secret-id <this>',
      });
    }
    api.addRoutes({ connect, disconnect, default: fallback, crawl: submit, status, cancel, redrive }, authorizer);

    // Least privilege, only through grants: each function gets what its code touches.
    // - connections: $connect/$disconnect add and remove the item; a job takes a slot of its
    //   connection when created (submit) and frees it when it ends (crawler, cancel, sweep).
    // - jobs: status only reads; submit creates, the others move a job through its states.
    // - frontier: submit writes the seed, the crawler claims/admits/settles; cancel and sweep list
    //   it for the manifest. status reads only the job item. redrive lists it and puts failed
    //   URLs back in the queue (items, counters and a slot of its connection in one transaction).
    // - results: read to presign manifest URLs (submit's cache hits, status) and to reuse a stored
    //   page on a retry (crawler); written by whoever ends a job (manifest) and by the crawler
    //   (pages), and by submit when it reuses a cached crawl (an answer's manifest and exports;
    //   pages and their files copied into a job built upon it: CopyObject is a read of the source
    //   and a put of the copy). Objects live under jobs/; nothing deletes them but the lifecycle rule.
    // - ManageConnections: every function that answers or notifies a client ($connect and
    //   $disconnect never do; the authorizer runs before a connection exists).
    // - finisher: its checkpoint and lease are items of the jobs table; its archive's index parts
    //   are objects under finisher/ (expired by the lifecycle rule, like every result).
    // - finish queue: whoever may win a job's end asks the finisher through it.
    for (const f of [connect, disconnect, submit, crawler, cancel, redrive, sweep, finisher]) storage.connections.grantReadWriteData(f);
    for (const f of [submit, crawler, cancel, redrive, sweep, finisher]) storage.jobs.grantReadWriteData(f);
    storage.jobs.grantReadData(status);
    for (const f of [submit, crawler, redrive]) storage.frontier.grantReadWriteData(f);
    for (const f of [cancel, sweep, finisher]) storage.frontier.grantReadData(f);
    for (const f of [submit, crawler, redrive]) queues.queue.grantSendMessages(f);
    for (const f of [submit, crawler, cancel, redrive, sweep]) finishQueues.queue.grantSendMessages(f);
    const bucketWriters = [submit, crawler, cancel, redrive, sweep, finisher];
    const bucketReaders = [crawler, submit, status, cancel, redrive, sweep, finisher];
    for (const f of bucketWriters) storage.results.grantPut(f, 'jobs/*');
    for (const f of bucketReaders) storage.results.grantRead(f, 'jobs/*');
    storage.results.grantPut(finisher, 'finisher/*');
    storage.results.grantRead(finisher, 'finisher/*');
    const notifiers = [fallback, submit, status, cancel, redrive, crawler, sweep, finisher];
    for (const f of notifiers) api.stage.grantManagementApiAccess(f);

    this.nagResources = {
      functions: [connect, disconnect, fallback, submit, status, cancel, redrive, crawler, sweep, finisher, ...(authorize ? [authorize] : [])],
      notifiers,
      bucketReaders,
      bucketWriters,
      resultsBucket: storage.results,
      webSocketApi: api.api,
      stageName,
      auth: settings.auth,
      tokenSecret,
      apiGatewayLoggingRole: api.loggingRole,
      jobsTable: storage.jobs,
      finisher,
    };

    const monitoring = new Monitoring(this, 'Monitoring', {
      queue: queues.queue,
      deadLetters: queues.deadLetters,
      crawler,
      finisher,
      finishDeadLetters: finishQueues.deadLetters,
      finisherTimeoutSeconds: FINISHER_TIMEOUT_SECONDS,
      alarmTopicArn: settings.alarmTopicArn || undefined,
    });

    new CfnOutput(this, 'WebSocketUrl', { value: api.stage.url, description: 'wscat -c <this>' });
    new CfnOutput(this, 'ResultsBucket', { value: storage.results.bucketName });
    new CfnOutput(this, 'CrawlQueueName', { value: queues.queue.queueName });
    new CfnOutput(this, 'CrawlQueueUrl', { value: queues.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueName', { value: queues.deadLetters.queueName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: queues.deadLetters.queueUrl });
    new CfnOutput(this, 'FinishQueueUrl', { value: finishQueues.queue.queueUrl });
    new CfnOutput(this, 'FinishDeadLetterQueueUrl', { value: finishQueues.deadLetters.queueUrl });
    new CfnOutput(this, 'JobsTable', { value: storage.jobs.tableName });
    new CfnOutput(this, 'FrontierTable', { value: storage.frontier.tableName });
    new CfnOutput(this, 'ConnectionsTable', { value: storage.connections.tableName });
    new CfnOutput(this, 'Dashboard', { value: monitoring.dashboard.dashboardName });
  }

  /**
   * CDK's own bucket-emptying function (autoDeleteObjects) would log to a group Lambda creates
   * without a retention; point it at one of ours. Its role's basic execution policy covers it.
   */
  private retainLogsOfBucketEmptier(retention: RetentionDays): void {
    const provider = this.node.tryFindChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
    const handler = provider?.node.tryFindChild('Handler');
    if (!(handler instanceof CfnResource)) throw new Error('the bucket-emptying provider of CDK was not found; its log retention cannot be set');
    const logs = new LogGroup(this, 'BucketEmptierLogs', { retention, removalPolicy: RemovalPolicy.DESTROY });
    handler.addPropertyOverride('LoggingConfig', { LogGroup: logs.logGroupName });
  }
}
