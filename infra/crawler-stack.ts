// The deployable product: WebSocket API → functions → SQS → crawler (Chromium) → DynamoDB and S3.
import { CfnOutput, CfnResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CrawlQueue } from './constructs/crawl-queue.js';
import { HeartbeatQueue } from './constructs/heartbeat-queue.js';
import { FinishQueue } from './constructs/finish-queue.js';
import { WebhookQueue } from './constructs/webhook-queue.js';
import { CHROMIUM_LAYER_DIR, chromiumLayer, CrawlerFunction } from './constructs/functions.js';
import { Monitoring } from './constructs/monitoring.js';
import { Schedules } from './constructs/schedules.js';
import { Storage } from './constructs/storage.js';
import { CrawlerApi } from './constructs/websocket-api.js';
import type { AcknowledgedResources } from './nag-acknowledgements.js';
import { crawlerEnvironment, deployedLimits, RESULTS_GRACE_DAYS } from './deployed-limits.js';
import { DEFAULT_SETTINGS, type CrawlerSettings } from './settings.js';
import { FUNCTION_ACCESS, type FunctionAccess, type FunctionId } from './function-access.js';
import { grantAccess, type AccessTargets } from './grant-access.js';

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
    const webhookQueues = new WebhookQueue(this, 'Webhook', { visibilityTimeoutSeconds: limits.webhook.visibilityTimeoutSeconds, maxReceiveCount: limits.webhook.maxReceiveCount });
    const stageName = props.stageName ?? 'prod';
    const api = new CrawlerApi(this, 'WebSocket', { stageName, logRetention, accountLoggingRole: settings.apiGatewayLoggingRole });

    const environment: Record<string, string> = {
      JOBS_TABLE: storage.jobs.tableName,
      FRONTIER_TABLE: storage.frontier.tableName,
      CONNECTIONS_TABLE: storage.connections.tableName,
      SECRETS_TABLE: storage.secrets.tableName,
      CRAWL_QUEUE_URL: queues.queue.queueUrl,
      HEARTBEAT_QUEUE_URL: heartbeats.queue.queueUrl,
      // Whoever wins a job's end asks the finisher through this queue (functions/handlers/finish.ts).
      FINISH_QUEUE_URL: finishQueues.queue.queueUrl,
      // A job's end is delivered to its webhook through this queue (functions/handlers/webhook.ts).
      WEBHOOK_QUEUE_URL: webhookQueues.queue.queueUrl,
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
    // The upstream proxies every crawl leaves through: a secret the operator keeps (its list of
    // proxy URLs holds their credentials), read by the crawler (adapters/upstream-proxies.ts).
    const upstreamProxies: ISecret | undefined = settings.upstreamProxiesSecret
      ? settings.upstreamProxiesSecret.startsWith('arn:')
        ? Secret.fromSecretCompleteArn(this, 'UpstreamProxies', settings.upstreamProxiesSecret)
        : Secret.fromSecretNameV2(this, 'UpstreamProxies', settings.upstreamProxiesSecret)
      : undefined;
    const crawler = new CrawlerFunction(this, 'CrawlerFunction', {
      handler: 'worker',
      // Byte caps of `formats: ["archive"]`; the per-job one is a counter in the frontier table
      // (its grants: function-access.ts).
      environment: {
        ...environment,
        ...crawlerEnvironment(settings),
        ...(settings.upstreamProxiesSecret ? { UPSTREAM_PROXIES_SECRET_ARN: settings.upstreamProxiesSecret } : {}),
      },
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

    // Webhook deliveries: a light function off every other's time, one signed POST a message; a
    // failed attempt sends the next (delayed) one, a chain bounded by the retry schedule.
    const webhook = new CrawlerFunction(this, 'WebhookFunction', {
      handler: 'webhook',
      environment,
      logRetention,
      memorySize: limits.webhook.memoryMb,
      timeout: Duration.seconds(limits.webhook.timeoutSeconds),
      // Each failed attempt (or a wait past 900 s) sends the next message (SQS → function → SQS):
      // left at Terminate, Lambda would stop a chain after ~16 hops. It ends with the schedule.
      recursiveLoop: RecursiveLoop.ALLOW,
      description: 'Delivers signed webhooks of job ends, retried with backoff',
    });
    webhook.addEventSource(new SqsEventSource(webhookQueues.queue, { batchSize: limits.webhook.batchSize, reportBatchItemFailures: true }));
    // Schedules (issue #29): every schedule's timer fires the run function, which submits the run
    // as the crawl route submits a crawl; the routes make and delete the timers in the stack's group.
    const scheduleRun = new CrawlerFunction(this, 'ScheduleRunFunction', {
      handler: 'schedule-run', environment, logRetention, timeout: Duration.seconds(limits.crawlRouteTimeoutSeconds), memorySize: limits.routeMemoryMb,
      description: 'Target of crawl schedules: submits a run (since = the last successful one), or skips it while one runs',
    });
    // A firing claims itself once (app/run-schedule.ts): a retry of one that failed after its claim
    // resubmits only a job that never came to exist, so Lambda's own async retries are safe.
    scheduleRun.configureAsyncInvoke({ retryAttempts: 2 });
    const schedules = new Schedules(this, 'Schedules', { target: scheduleRun });
    const scheduleEnvironment = {
      ...environment,
      SCHEDULE_GROUP: schedules.group.scheduleGroupName,
      SCHEDULE_TARGET_ARN: scheduleRun.functionArn,
      SCHEDULER_ROLE_ARN: schedules.role.roleArn,
      SCHEDULE_DLQ_ARN: schedules.deadLetters.queueArn,
    };
    const routeFn = (id: string, handler: ConstructorParameters<typeof CrawlerFunction>[2]['handler'], description: string, env: Record<string, string>) =>
      new CrawlerFunction(this, id, { handler, environment: env, logRetention, description, timeout: Duration.seconds(limits.routeTimeoutSeconds), memorySize: limits.routeMemoryMb });
    const schedule = routeFn('ScheduleFunction', 'schedule', 'Route schedule: stores a recurring crawl and makes its EventBridge schedule', scheduleEnvironment);
    const unschedule = routeFn('UnscheduleFunction', 'unschedule', 'Route unschedule: removes a schedule and its EventBridge schedule', scheduleEnvironment);
    const listing = routeFn('SchedulesFunction', 'schedules', "Route schedules: lists the client's schedules", environment);

    let authorizer: WebSocketLambdaAuthorizer | undefined;
    let tokenSecret: Secret | undefined;
    let authorize: CrawlerFunction | undefined;
    if (settings.auth === 'token') {
      const token = (tokenSecret = new Secret(this, 'ConnectionToken', {
        description: 'Token WebSocket clients present on connect (Authorization: Bearer <this>, or wss://…/prod?token=<this>); a JSON object {"name":"token",…} names each client',
        generateSecretString: { excludePunctuation: true, passwordLength: 40 },
      }));
      authorize = new CrawlerFunction(this, 'AuthorizeFunction', {
        handler: 'authorize',
        environment: { ...environment, AUTH_MODE: 'token', AUTH_TOKEN_SECRET_ARN: token.secretArn },
        logRetention,
        description: 'Authorizer for $connect: checks the connection token',
      });
      // No identity source: API Gateway refuses (401) a connect that lacks any source it names,
      // before the authorizer runs, and a client may present its token either way, `?token=` or
      // `Authorization: Bearer` (the header keeps it out of URLs, and so out of client and shell
      // logs). The authorizer reads both (core/auth.ts presentedToken) and runs on every connect:
      // WebSocket authorizers cache nothing, so this costs no cache.
      authorizer = new WebSocketLambdaAuthorizer('TokenAuthorizer', authorize, { identitySource: [] });
      new CfnOutput(this, 'ConnectionTokenSecretArn', {
        value: token.secretArn,
        description: 'aws secretsmanager get-secret-value --query SecretString --output text --secret-id <this>',
      });
    }
    api.addRoutes({ connect, disconnect, default: fallback, crawl: submit, status, cancel, redrive, schedule, unschedule, schedules: listing }, authorizer);

    // Least privilege: each function's role holds exactly the actions its code calls, on the
    // resources it calls them on (infra/function-access.ts says which, and why).
    const functions: Record<FunctionId, CrawlerFunction | undefined> = {
      ConnectFunction: connect,
      DisconnectFunction: disconnect,
      DefaultFunction: fallback,
      CrawlFunction: submit,
      StatusFunction: status,
      CancelFunction: cancel,
      RedriveFunction: redrive,
      CrawlerFunction: crawler,
      SweepFunction: sweep,
      HeartbeatFunction: heartbeat,
      FinisherFunction: finisher,
      WebhookFunction: webhook,
      AuthorizeFunction: authorize,
      ScheduleFunction: schedule,
      UnscheduleFunction: unschedule,
      SchedulesFunction: listing,
      ScheduleRunFunction: scheduleRun,
    };
    const targets: AccessTargets = {
      jobs: storage.jobs,
      frontier: storage.frontier,
      connections: storage.connections,
      secrets: storage.secrets,
      crawlQueue: queues.queue,
      heartbeatQueue: heartbeats.queue,
      finishQueue: finishQueues.queue,
      webhookQueue: webhookQueues.queue,
      results: storage.results,
      api: api.api,
      stage: api.stage,
      token: tokenSecret,
      ...(upstreamProxies ? { upstreamProxies } : {}),
      schedules: { arn: schedules.schedulesArn(), role: schedules.role },
    };
    for (const [id, f] of Object.entries(functions) as [FunctionId, CrawlerFunction | undefined][]) if (f) grantAccess(f, FUNCTION_ACCESS[id], targets);
    const holding = (has: (access: FunctionAccess) => boolean) =>
      (Object.entries(functions) as [FunctionId, CrawlerFunction | undefined][]).flatMap(([id, f]) => (f && has(FUNCTION_ACCESS[id]) ? [f] : []));
    const notifiers = holding((a) => a.postToConnections === true);

    this.nagResources = {
      functions: Object.values(functions).filter((f): f is CrawlerFunction => f !== undefined),
      notifiers,
      jobObjectUsers: holding((a) => (a.jobObjects?.length ?? 0) > 0),
      finisherObjectUsers: holding((a) => (a.finisherObjects?.length ?? 0) > 0),
      resultsBucket: storage.results,
      webSocketApi: api.api,
      stageName,
      auth: settings.auth,
      tokenSecret,
      apiGatewayLoggingRole: api.loggingRole,
      secretsTable: storage.secrets,
      schedules: { makers: [schedule, unschedule], groupName: schedules.group.scheduleGroupName, deadLetters: schedules.deadLetters },
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
    new CfnOutput(this, 'WebhookDeadLetterQueueUrl', { value: webhookQueues.deadLetters.queueUrl });
    new CfnOutput(this, 'JobsTable', { value: storage.jobs.tableName });
    new CfnOutput(this, 'FrontierTable', { value: storage.frontier.tableName });
    new CfnOutput(this, 'ConnectionsTable', { value: storage.connections.tableName });
    new CfnOutput(this, 'ScheduleGroup', { value: schedules.group.scheduleGroupName });
    new CfnOutput(this, 'ScheduleDeadLetterQueueUrl', { value: schedules.deadLetters.queueUrl });
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
