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
import { HeartbeatQueue } from './constructs/heartbeat-queue.js';
import { FinishQueue } from './constructs/finish-queue.js';
import { CHROMIUM_LAYER_DIR, chromiumLayer, CrawlerFunction } from './constructs/functions.js';
import { Monitoring } from './constructs/monitoring.js';
import { Storage } from './constructs/storage.js';
import { CrawlerApi } from './constructs/websocket-api.js';
import type { AcknowledgedResources } from './nag-acknowledgements.js';
import { crawlerEnvironment, deployedLimits, RESULTS_GRACE_DAYS } from './deployed-limits.js';
import { DEFAULT_SETTINGS, type CrawlerSettings } from './settings.js';

export interface CrawlerStackProps extends StackProps {
  settings?: CrawlerSettings;
  stageName?: string;
}

export class CrawlerStack extends Stack {
  /** the constructs on which accepted cdk-nag findings are acknowledged (see nag-acknowledgements.ts) */
  readonly nagResources: AcknowledgedResources;

  constructor(scope: Construct, id: string, props: CrawlerStackProps = {}) {
    super(scope, id, props);
    const settings = props.settings ?? DEFAULT_SETTINGS;
    const logRetention = settings.logRetentionDays as RetentionDays;

    const storage = new Storage(this, 'Storage', { resultsExpirationDays: settings.resultsRetentionDays + RESULTS_GRACE_DAYS });
    this.retainLogsOfBucketEmptier(logRetention);
    // The same limits the local stack runs by default (infra/deployed-limits.ts).
    const limits = deployedLimits(settings);
    const queues = new CrawlQueue(this, 'Crawl', { visibilityTimeoutSeconds: limits.visibilityTimeoutSeconds, maxReceiveCount: limits.maxReceiveCount });
    const heartbeats = new HeartbeatQueue(this, 'Heartbeat', { functionTimeoutSeconds: limits.heartbeat.timeoutSeconds });
    const finishQueues = new FinishQueue(this, 'Finish', { maxReceiveCount: limits.maxReceiveCount });
    const stageName = props.stageName ?? 'prod';
    const api = new CrawlerApi(this, 'WebSocket', { stageName, logRetention, accountLoggingRole: settings.apiGatewayLoggingRole });

    const environment: Record<string, string> = {
      JOBS_TABLE: storage.jobs.tableName,
      FRONTIER_TABLE: storage.frontier.tableName,
      CONNECTIONS_TABLE: storage.connections.tableName,
      CRAWL_QUEUE_URL: queues.queue.queueUrl,
      HEARTBEAT_QUEUE_URL: heartbeats.queue.queueUrl,
      // Whoever wins a job's end asks the finisher through this queue (functions/handlers/finish.ts).
      FINISH_QUEUE_URL: finishQueues.queue.queueUrl,
      RESULTS_BUCKET: storage.results.bucketName,
      CONNECTIONS_ENDPOINT: api.stage.callbackUrl,
      ...limits.environment,
      CHROMIUM_BIN_DIR: CHROMIUM_LAYER_DIR,
    };
    const fn = (id: string, handler: ConstructorParameters<typeof CrawlerFunction>[2]['handler'], description: string) =>
      new CrawlerFunction(this, id, { handler, environment, logRetention, description, timeout: Duration.seconds(limits.routeTimeoutSeconds), memorySize: limits.routeMemoryMb });

    const connect = fn('ConnectFunction', 'connect', 'WebSocket $connect: records the connection');
    const disconnect = fn('DisconnectFunction', 'disconnect', 'WebSocket $disconnect: forgets the connection');
    const fallback = fn('DefaultFunction', 'default', 'WebSocket $default: explains unroutable messages');
    // Reuse by depth (maxAge) may walk and copy up to a thousand cached pages in this route: more
    // time than the other routes, still under API Gateway's 29 s integration timeout.
    const submit = new CrawlerFunction(this, 'CrawlFunction', {
      handler: 'crawl', environment, logRetention, timeout: Duration.seconds(limits.crawlRouteTimeoutSeconds), memorySize: limits.routeMemoryMb,
      description: 'Route crawl: validates and starts a job',
    });
    const status = fn('StatusFunction', 'status', 'Route status: reports a job');
    const cancel = fn('CancelFunction', 'cancel', 'Route cancel: ends a job as cancelled');
    const redrive = fn('RedriveFunction', 'redrive', 'Route redrive: crawls again the failed URLs of a finished job');
    const sweep = new CrawlerFunction(this, 'SweepFunction', {
      handler: 'sweep', environment, logRetention, timeout: Duration.seconds(limits.sweep.timeoutSeconds), description: 'Ends jobs past their time limit or stalled',
    });
    const crawler = new CrawlerFunction(this, 'CrawlerFunction', {
      handler: 'worker',
      // Byte caps of `formats: ["archive"]`; the per-job one is a counter in the frontier table,
      // which the crawler reads and writes already (grantReadWriteData).
      environment: { ...environment, ...crawlerEnvironment(settings) },
      logRetention,
      memorySize: limits.crawler.memoryMb,
      timeout: Duration.seconds(limits.crawler.timeoutSeconds),
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
        batchSize: limits.crawler.batchSize,
        maxConcurrency: limits.crawler.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    // While a job runs its client hears from it at least every minute (functions/app/heartbeat.ts).
    const heartbeat = new CrawlerFunction(this, 'HeartbeatFunction', {
      handler: 'heartbeat',
      environment,
      logRetention,
      memorySize: limits.heartbeat.memoryMb,
      timeout: Duration.seconds(limits.heartbeat.timeoutSeconds),
      // Each heartbeat sends the next one (SQS → function → SQS): left at Terminate, Lambda would
      // stop a job's heartbeat after ~16. The loop ends when the job is final.
      recursiveLoop: RecursiveLoop.ALLOW,
      description: 'Heartbeat of running jobs: progress at least every minute',
    });
    heartbeat.addEventSource(new SqsEventSource(heartbeats.queue, { batchSize: limits.heartbeat.batchSize, reportBatchItemFailures: true }));
    // The schedule runs the sweeper again every sweep interval: an async retry of a failed run would only
    // overlap the next one.
    new Rule(this, 'SweepSchedule', { schedule: Schedule.rate(Duration.seconds(limits.sweep.everySeconds)), targets: [new LambdaFunction(sweep, { retryAttempts: 0 })] });
    sweep.configureAsyncInvoke({ retryAttempts: 0 });

    // A job's end (manifest, pages.jsonl, WACZ) in a function of its own: the longest timeout,
    // checkpointed so a finisher that dies is resumed, one request at a time.
    const finisher = new CrawlerFunction(this, 'FinisherFunction', {
      handler: 'finish',
      environment,
      logRetention,
      memorySize: limits.finisher.memoryMb,
      timeout: Duration.seconds(limits.finisher.timeoutSeconds),
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
    //   it for the manifest. status reads only the job item. The redrive route only reopens the
    //   job (the job item and a slot of its connection); the finisher's function lists the
    //   frontier, puts failed URLs back and queues them, and builds a job upon a cached crawl
    //   (frontier items written, pages copied) off the crawl route.
    // - results: read to presign manifest URLs (submit's cache hits, status) and to reuse a stored
    //   page on a retry (crawler); written by whoever ends a job (manifest) and by the crawler
    //   (pages), and by submit when it reuses a cached crawl (an answer's manifest and exports;
    //   pages and their files copied into a job built upon it: CopyObject is a read of the source
    //   and a put of the copy). Objects live under jobs/; nothing deletes them but the lifecycle rule.
    // - ManageConnections: every function that answers or notifies a client ($connect and
    //   $disconnect never do; the authorizer runs before a connection exists).
    // - status re-points a running job's notifications to the asking connection, moving its slot:
    //   one transaction of updates (the job item, the new and the old connection), nothing else written.
    // - heartbeat reads a running job and claims its progress slot (a conditional write).
    for (const f of [connect, disconnect, submit, crawler, cancel, redrive, sweep, finisher]) storage.connections.grantReadWriteData(f);
    for (const f of [submit, crawler, cancel, redrive, sweep, heartbeat, finisher]) storage.jobs.grantReadWriteData(f);
    // - finisher: its checkpoint and lease are items of the jobs table; its archive's index parts
    //   are objects under finisher/ (expired by the lifecycle rule, like every result).
    // - finish queue: whoever may win a job's end asks the finisher through it.
    storage.jobs.grantReadData(status);
    for (const table of [storage.jobs, storage.connections]) table.grant(status, 'dynamodb:UpdateItem');
    for (const f of [submit, crawler, finisher]) storage.frontier.grantReadWriteData(f);
    for (const f of [cancel, sweep]) storage.frontier.grantReadData(f);
    for (const f of [submit, crawler, finisher]) queues.queue.grantSendMessages(f);
    for (const f of [submit, redrive, heartbeat]) heartbeats.queue.grantSendMessages(f);
    for (const f of [submit, crawler, cancel, redrive, sweep, finisher]) finishQueues.queue.grantSendMessages(f);
    const bucketWriters = [submit, crawler, cancel, sweep, finisher];
    const bucketReaders = [crawler, submit, status, cancel, sweep, finisher];
    for (const f of bucketWriters) storage.results.grantPut(f, 'jobs/*');
    for (const f of bucketReaders) storage.results.grantRead(f, 'jobs/*');
    storage.results.grantPut(finisher, 'finisher/*');
    storage.results.grantRead(finisher, 'finisher/*');
    const notifiers = [fallback, submit, status, cancel, redrive, crawler, sweep, heartbeat, finisher];
    for (const f of notifiers) api.stage.grantManagementApiAccess(f);

    this.nagResources = {
      functions: [connect, disconnect, fallback, submit, status, cancel, redrive, crawler, sweep, heartbeat, finisher, ...(authorize ? [authorize] : [])],
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
      finisherTimeoutSeconds: limits.finisher.timeoutSeconds,
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
