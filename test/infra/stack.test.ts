// The synthesized template, property by property, with the default settings. Resources are found
// by construct path and cross-checked by reference (this route → that function, this alarm → that
// queue), not counted.
import { beforeAll, describe, expect, it } from 'vitest';
import { CONNECTIONS_KEY, FRONTIER_KEY, JOBS_KEY, SECRETS_KEY, TTL_ATTRIBUTE, UNFINISHED_INDEX } from '../../functions/adapters/dynamodb/table-definitions.js';
import { flatten, FUNCTIONS, ROUTES, synth, type Synthesized } from './synth.js';

let s: Synthesized;
beforeAll(() => {
  s = synth();
});

const fn = (name: keyof typeof FUNCTIONS) => s.resource(s.id(name)).Properties;

describe('WebSocket API', () => {
  it('is a WebSocket API routing on the action field', () => {
    expect(s.resource(s.id('WebSocket/Api')).Properties).toMatchObject({
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it.each(Object.entries(ROUTES))('routes %s to a Lambda proxy integration of %s, which API Gateway may invoke', (routeKey, fnName) => {
    const apiId = s.id('WebSocket/Api');
    const fnId = s.id(fnName);
    const routes = s.ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.RouteKey === routeKey);
    expect(routes).toHaveLength(1);
    const [, route] = routes[0]!;
    expect(route.Properties.ApiId).toEqual({ Ref: apiId });
    const integrationId = flatten(route.Properties.Target).match(/^integrations\/<(\w+)>$/)?.[1];
    expect(integrationId).toBeDefined();
    const integration = s.resource(integrationId!);
    expect(integration.Type).toBe('AWS::ApiGatewayV2::Integration');
    expect(integration.Properties.ApiId).toEqual({ Ref: apiId });
    expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
    expect(flatten(integration.Properties.IntegrationUri)).toMatch(new RegExp(`:lambda:path/2015-03-31/functions/<${fnId}\\.Arn>/invocations$`));
    const permissions = s
      .ofType('AWS::Lambda::Permission')
      .filter(([, p]) => flatten(p.Properties.FunctionName) === `<${fnId}.Arn>` && p.Properties.Principal === 'apigateway.amazonaws.com');
    expect(permissions.map(([, p]) => flatten(p.Properties.SourceArn))).toContain(
      `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/*${routeKey}`,
    );
  });

  it('has exactly those routes', () => {
    const keys = s.ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey as string);
    expect(keys.sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('deploys a stage with access logs (to a log group with a retention), execution errors logged and throttling', () => {
    const stage = s.resource(s.id('WebSocket/Stage'));
    expect(stage.Properties).toMatchObject({
      ApiId: { Ref: s.id('WebSocket/Api') },
      StageName: 'prod',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [s.id('WebSocket/AccessLogs'), 'Arn'] } },
      DefaultRouteSettings: { LoggingLevel: 'ERROR', DataTraceEnabled: false, ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format as string) as Record<string, string>;
    expect(format).toMatchObject({ connectionId: '$context.connectionId', routeKey: '$context.routeKey', status: '$context.status' });
    expect(s.resource(s.id('WebSocket/AccessLogs')).Properties.RetentionInDays).toBe(30);
  });

  it("sets API Gateway's account logging role before the stage is created, and keeps the role on destroy", () => {
    const [accountId, account] = s.single('AWS::ApiGateway::Account');
    const roleId = s.id('WebSocket/ApiGatewayLoggingRole');
    expect(account.Properties.CloudWatchRoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    expect(s.resource(s.id('WebSocket/Stage')).DependsOn).toContain(accountId);
    // AWS::ApiGateway::Account fails in an account that never had an API Gateway resource unless it
    // depends on one: the API comes first, then the setting (after its role), then the stage.
    expect(account.DependsOn).toContain(s.id('WebSocket/Api'));
    const role = s.resource(roleId);
    expect(role.DeletionPolicy).toBe('Retain');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    ]);
    expect(flatten(role.Properties.ManagedPolicyArns)).toMatch(/policy\/service-role\/AmazonAPIGatewayPushToCloudWatchLogs$/);
  });

  it('takes a token authorizer on $connect only, reading a generated secret', () => {
    const routes = s.ofType('AWS::ApiGatewayV2::Route');
    const [, connect] = routes.find(([, r]) => r.Properties.RouteKey === '$connect')!;
    const [authorizerId, authorizer] = s.single('AWS::ApiGatewayV2::Authorizer');
    expect(connect.Properties).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizerId } });
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'REQUEST' });
    // No identity source: API Gateway would refuse a connect lacking one before the authorizer runs,
    // and a client presents its token in the query or as `Authorization: Bearer`.
    expect(authorizer.Properties.IdentitySource ?? []).toEqual([]);
    expect(flatten(authorizer.Properties.AuthorizerUri)).toContain(`<${s.id('AuthorizeFunction')}.Arn>`);
    for (const [, route] of routes.filter(([, r]) => r.Properties.RouteKey !== '$connect')) {
      expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
    }
    expect(s.resource(s.id('ConnectionToken')).Properties.GenerateSecretString).toMatchObject({ PasswordLength: 40, ExcludePunctuation: true });
    expect(fn('AuthorizeFunction').Environment.Variables).toMatchObject({ AUTH_MODE: 'token', AUTH_TOKEN_SECRET_ARN: { Ref: s.id('ConnectionToken') } });
  });
});

describe('functions', () => {
  it.each(Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[])('%s: Node.js 24 on x86_64, handler index.handler, its own log group with a retention', (name) => {
    const props = fn(name);
    expect(props).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['x86_64'], Handler: 'index.handler' });
    const logGroupId = s.id(`${name}Logs`);
    expect(props.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    expect(s.resource(logGroupId).Properties.RetentionInDays).toBe(30);
  });

  it('are every Lambda function of the stack but CDK’s own bucket-emptying provider, and none runs Node 20', () => {
    const ours = new Set(Object.keys(FUNCTIONS).map((name) => s.id(name)));
    const others = s.ofType('AWS::Lambda::Function').filter(([id]) => !ours.has(id));
    expect(others.map(([id]) => id)).toEqual([expect.stringMatching(/^CustomS3AutoDeleteObjectsCustomResourceProviderHandler/)]);
    for (const [, f] of s.ofType('AWS::Lambda::Function')) expect(f.Properties.Runtime).not.toMatch(/^nodejs(1\d|20)\.x$/);
  });

  it('leave no log group without a retention, CDK’s bucket-emptying provider included', () => {
    const emptier = s.ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('CustomS3AutoDeleteObjectsCustomResourceProviderHandler'))?.[1];
    expect(emptier?.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: s.id('BucketEmptierLogs') } });
    for (const [, f] of s.ofType('AWS::Lambda::Function')) expect(f.Properties.LoggingConfig?.LogGroup).toBeDefined();
    for (const [id, group] of s.ofType('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays, id).toBe(30);
  });

  it('all get the tables, queue, bucket and callback URL of this stack', () => {
    const expected = {
      JOBS_TABLE: { Ref: s.id('Storage/Jobs') },
      FRONTIER_TABLE: { Ref: s.id('Storage/Frontier') },
      CONNECTIONS_TABLE: { Ref: s.id('Storage/Connections') },
      CRAWL_QUEUE_URL: { Ref: s.id('Crawl/Queue') },
      RESULTS_BUCKET: { Ref: s.id('Storage/Results') },
      POWERTOOLS_SERVICE_NAME: 'crawler',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    };
    for (const name of Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[]) {
      const variables = fn(name).Environment.Variables;
      expect(variables).toMatchObject(expected);
      expect(flatten(variables.CONNECTIONS_ENDPOINT)).toBe(`https://<${s.id('WebSocket/Api')}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/prod`);
    }
  });

  it('carry the caps and timings, the lease tied to the crawler timeout', () => {
    expect(fn('CrawlFunction').Environment.Variables).toMatchObject({
      MAX_DEPTH: '5',
      MAX_PAGES: '10000',
      DEFAULT_MAX_PAGES: '200',
      MAX_ATTEMPTS: '3',
      LEASE_MS: '120000',
      NAV_TIMEOUT_MS: '30000',
      RECORD_TTL_DAYS: '30',
      MANIFEST_URL_TTL_SECONDS: '86400',
      JOB_TIME_LIMIT_SECONDS: '3600',
      MAX_JOBS_PER_CONNECTION: '5',
    });
  });

  it('never set local-only switches or emulator endpoints on AWS', () => {
    for (const [, f] of s.ofType('AWS::Lambda::Function')) {
      const names = Object.keys(f.Properties.Environment?.Variables ?? {});
      for (const forbidden of ['ALLOW_PRIVATE_TARGETS', 'CRAWLER_FAULTS', 'CHROME_PATH', 'AUTH_TOKEN']) expect(names).not.toContain(forbidden);
      expect(names.filter((n) => n.startsWith('AWS_ENDPOINT_URL'))).toEqual([]);
    }
  });

  it('give the route handlers a small footprint', () => {
    for (const name of ['ConnectFunction', 'DisconnectFunction', 'DefaultFunction', 'StatusFunction', 'CancelFunction', 'RedriveFunction'] as const) {
      expect(fn(name)).toMatchObject({ MemorySize: 256, Timeout: 15 });
    }
    // Reuse by depth walks and copies cached pages in the crawl route: longer, below API Gateway's 29 s.
    expect(fn('CrawlFunction')).toMatchObject({ MemorySize: 256, Timeout: 28 });
  });
});

describe('crawler', () => {
  it('has memory for Chromium, a timeout, and Chromium as an x86_64 layer for the same runtime', () => {
    const crawler = fn('CrawlerFunction');
    expect(crawler).toMatchObject({ MemorySize: 2048, Timeout: 90, Layers: [{ Ref: s.id('ChromiumLayer') }] });
    expect(crawler.Environment.Variables.CHROMIUM_BIN_DIR).toBe('/opt');
    expect(s.resource(s.id('ChromiumLayer')).Properties).toMatchObject({
      CompatibleArchitectures: ['x86_64'],
      CompatibleRuntimes: [crawler.Runtime],
    });
  });

  it("is allowed to run in its SQS → crawler → SQS chain: Lambda's recursive-loop detection would stop a crawl ~16 levels deep; no other function is but the heartbeat and the webhook's (a delivery's attempts and hops chain up to ~14 messages)", () => {
    expect(fn('CrawlerFunction').RecursiveLoop).toBe('Allow');
    for (const name of Object.keys(FUNCTIONS).filter((n) => !['CrawlerFunction', 'HeartbeatFunction', 'WebhookFunction'].includes(n)) as (keyof typeof FUNCTIONS)[]) {
      expect(fn(name).RecursiveLoop, name).toBeUndefined();
    }
  });

  it('is fed by the crawl queue in batches, with partial batch failures and a concurrency cap', () => {
    const [, mapping] = s.ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => m.Properties.FunctionName.Ref === s.id('CrawlerFunction'))!;
    expect(mapping.Properties).toEqual({
      FunctionName: { Ref: s.id('CrawlerFunction') },
      EventSourceArn: { 'Fn::GetAtt': [s.id('Crawl/Queue'), 'Arn'] },
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('holds a lease longer than its timeout and shorter than the visibility timeout', () => {
    const timeoutMs = fn('CrawlerFunction').Timeout * 1000;
    const leaseMs = Number(fn('CrawlerFunction').Environment.Variables.LEASE_MS);
    const visibilityMs = s.resource(s.id('Crawl/Queue')).Properties.VisibilityTimeout * 1000;
    expect(leaseMs).toBeGreaterThan(timeoutMs);
    expect(leaseMs).toBeLessThanOrEqual(visibilityMs);
  });

});

describe('crawl queue', () => {
  it('has a visibility timeout of six crawler timeouts and dead-letters after 5 receives', () => {
    const queue = s.resource(s.id('Crawl/Queue')).Properties;
    expect(queue).toMatchObject({
      VisibilityTimeout: 6 * fn('CrawlerFunction').Timeout,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [s.id('Crawl/DeadLetters'), 'Arn'] }, maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 4 * 24 * 3600,
    });
  });

  it('keeps dead letters longer than the queue keeps messages', () => {
    const dlq = s.resource(s.id('Crawl/DeadLetters')).Properties;
    expect(dlq).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    expect(dlq.RedrivePolicy).toBeUndefined();
  });

  it.each(['Crawl/Queue', 'Crawl/DeadLetters'])('%s refuses plain-HTTP access', (path) => {
    const policies = s.ofType('AWS::SQS::QueuePolicy').filter(([, p]) => flatten(p.Properties.Queues) === `<${s.id(path)}>`);
    expect(policies).toHaveLength(1);
    expect(policies[0]![1].Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});

describe('tables', () => {
  it.each([
    ['Storage/Jobs', JOBS_KEY.partitionKey, undefined, [UNFINISHED_INDEX.partitionKey]],
    ['Storage/Frontier', FRONTIER_KEY.partitionKey, FRONTIER_KEY.sortKey, []],
    ['Storage/Connections', CONNECTIONS_KEY.partitionKey, undefined, []],
    ['Storage/Secrets', SECRETS_KEY.partitionKey, undefined, []],
  ] as const)('%s: on demand, TTL on expiresAt, point-in-time recovery (not for secrets), encrypted, string keys as the code declares them', (path, pk, sk, indexKeys) => {
    const table = s.resource(s.id(path)).Properties;
    expect(table).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      // a client's credentials must not stay restorable for 35 days after their job ended
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: path !== 'Storage/Secrets' },
      SSESpecification: { SSEEnabled: true },
    });
    expect(TTL_ATTRIBUTE).toBe('expiresAt');
    expect(table.KeySchema).toEqual([{ AttributeName: pk, KeyType: 'HASH' }, ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' }] : [])]);
    expect(table.AttributeDefinitions).toEqual([pk, ...(sk ? [sk] : []), ...indexKeys].map((name) => ({ AttributeName: name, AttributeType: 'S' })));
    expect(table.ProvisionedThroughput).toBeUndefined();
  });
});

describe('results bucket', () => {
  it('is encrypted, blocks public access, takes no ACLs, logs access and expires results a day after the records pointing at them', () => {
    expect(s.resource(s.id('Storage/Results')).Properties).toEqual({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: { Ref: s.id('Storage/AccessLogs') }, LogFilePrefix: 'results/' },
      LifecycleConfiguration: {
        // resultsRetentionDays (30) + 1: a manifest URL handed out just before its record expires
        // stays valid for its whole day.
        Rules: [{ Id: 'expire-results', ExpirationInDays: 31, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }],
      },
      Tags: [{ Key: 'aws-cdk:auto-delete-objects', Value: 'true' }],
    });
  });

  it.each(['Storage/Results', 'Storage/AccessLogs'])('%s: its policy denies requests without TLS and allows no anonymous principal', (path) => {
    const policies = s.ofType('AWS::S3::BucketPolicy').filter(([, p]) => flatten(p.Properties.Bucket) === `<${s.id(path)}>`);
    expect(policies).toHaveLength(1);
    const statements = policies[0]![1].Properties.PolicyDocument.Statement as Record<string, any>[];
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    for (const statement of statements.filter((st) => st.Effect === 'Allow')) {
      expect(JSON.stringify(statement.Principal)).not.toMatch(/"\*"/);
    }
  });

  it('sends its access logs to a private, encrypted bucket without ACLs that expires them', () => {
    expect(s.resource(s.id('Storage/AccessLogs')).Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 90, Status: 'Enabled' })] },
    });
    // S3's log delivery may write only the results bucket's logs, only into results/.
    const [, policy] = s.ofType('AWS::S3::BucketPolicy').find(([, p]) => flatten(p.Properties.Bucket) === `<${s.id('Storage/AccessLogs')}>`)!;
    const delivery = (policy.Properties.PolicyDocument.Statement as Record<string, any>[]).filter((st) => st.Principal?.Service === 'logging.s3.amazonaws.com');
    expect(delivery).toHaveLength(1);
    expect(delivery[0]).toMatchObject({ Effect: 'Allow', Action: 's3:PutObject', Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [s.id('Storage/Results'), 'Arn'] } } } });
    expect(flatten(delivery[0]!.Resource)).toBe(`<${s.id('Storage/AccessLogs')}.Arn>/results/*`);
  });
});

describe('operations', () => {
  const alarm = (path: string) => s.resource(s.id(path)).Properties;

  it('alarms as soon as one message is in the DLQ', () => {
    expect(alarm('Monitoring/DeadLetters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [s.id('Crawl/DeadLetters'), 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms on crawler errors', () => {
    expect(alarm('Monitoring/CrawlerErrors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.id('CrawlerFunction') } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm('Monitoring/CrawlerErrors').AlarmActions).toBeUndefined();
  });

  it('has a dashboard with queue depth, oldest message age, DLQ depth, crawler errors and duration, completed jobs', () => {
    const body = JSON.parse(flatten(s.resource(s.id('Monitoring/Dashboard')).Properties.DashboardBody)) as {
      widgets: { properties: { title: string; metrics: unknown[][] } }[];
    };
    const metricsOf = (title: string) => {
      const widget = body.widgets.find((w) => w.properties.title.startsWith(title));
      expect(widget, title).toBeDefined();
      return widget!.properties.metrics.map((m) => m.filter((part) => typeof part === 'string').join(' '));
    };
    const queue = `<${s.id('Crawl/Queue')}.QueueName>`;
    const crawler = `<${s.id('CrawlerFunction')}>`;
    expect(metricsOf('Crawl queue depth')).toContain(`AWS/SQS ApproximateNumberOfMessagesVisible QueueName ${queue}`);
    expect(metricsOf('Age of oldest message')).toEqual([`AWS/SQS ApproximateAgeOfOldestMessage QueueName ${queue}`]);
    expect(metricsOf('Dead-letter queue depth')).toEqual([`AWS/SQS ApproximateNumberOfMessagesVisible QueueName <${s.id('Crawl/DeadLetters')}.QueueName>`]);
    expect(metricsOf('Crawler errors')).toContain(`AWS/Lambda Errors FunctionName ${crawler}`);
    expect(metricsOf('Crawler duration')).toContain(`AWS/Lambda Duration FunctionName ${crawler}`);
    expect(metricsOf('Completed jobs')).toEqual(['Crawler JobsCompleted service crawler']);
  });

  it('counts completed jobs from embedded-metric lines, not from a log filter a log level could silence', () => {
    expect(s.ofType('AWS::Logs::MetricFilter')).toEqual([]);
    for (const fn of ['CrawlerFunction', 'CancelFunction', 'SweepFunction']) {
      expect(s.resource(s.id(fn)).Properties.Environment.Variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'crawler' });
    }
  });
});

describe('outputs', () => {
  it('give the wss:// URL, the bucket, the queues, the tables and the dashboard', () => {
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const value = (name: string) => flatten(outputs[name]?.Value);
    expect(value('WebSocketUrl')).toBe(`wss://<${s.id('WebSocket/Api')}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/prod`);
    expect(value('ResultsBucket')).toBe(`<${s.id('Storage/Results')}>`);
    expect(value('CrawlQueueName')).toBe(`<${s.id('Crawl/Queue')}.QueueName>`);
    expect(value('CrawlQueueUrl')).toBe(`<${s.id('Crawl/Queue')}>`);
    expect(value('DeadLetterQueueName')).toBe(`<${s.id('Crawl/DeadLetters')}.QueueName>`);
    expect(value('JobsTable')).toBe(`<${s.id('Storage/Jobs')}>`);
    expect(value('FrontierTable')).toBe(`<${s.id('Storage/Frontier')}>`);
    expect(value('ConnectionsTable')).toBe(`<${s.id('Storage/Connections')}>`);
    expect(value('Dashboard')).toBe(`<${s.id('Monitoring/Dashboard')}>`);
    expect(value('ConnectionTokenSecretArn')).toBe(`<${s.id('ConnectionToken')}>`);
  });
});
