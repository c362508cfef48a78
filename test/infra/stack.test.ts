// The synthesized template, property by property. Bundling is skipped here (these tests are about
// the template); stack-synth.test.ts runs the real bundled synth once.
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { FRONTIER_KEY, JOBS_KEY, CONNECTIONS_KEY } from '../../functions/adapters/dynamodb/table-definitions.js';

function synth(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
  const { stack } = buildApp(app);
  return Template.fromStack(stack);
}

let template: Template;
beforeAll(() => {
  template = synth();
});

type Resource = { Type: string; Properties: Record<string, any> };
const resources = (type: string): [string, Resource][] =>
  Object.entries(template.findResources(type)) as [string, Resource][];

function functionId(description: string): string {
  const found = resources('AWS::Lambda::Function').find(([, r]) => r.Properties.Description === description);
  if (!found) throw new Error(`no function described "${description}"`);
  return found[0];
}

/** Every IAM action granted to a function's role, with the resources of each statement. */
function grantsOf(fnId: string): { actions: string[]; resource: unknown }[] {
  const fn = template.findResources('AWS::Lambda::Function')[fnId] as Resource;
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return resources('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
    .map((s: { Action: string | string[]; Resource: unknown }) => ({ actions: [s.Action].flat(), resource: s.Resource }));
}
const actionsOf = (fnId: string) => grantsOf(fnId).flatMap((g) => g.actions);

describe('WebSocket API', () => {
  it('routes on the action field', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' });
  });

  it('has the six routes, each a Lambda proxy integration', () => {
    const keys = resources('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey).sort();
    expect(keys).toEqual(['$connect', '$default', '$disconnect', 'cancel', 'crawl', 'status']);
    const integrations = resources('AWS::ApiGatewayV2::Integration');
    expect(integrations).toHaveLength(6);
    for (const [, integration] of integrations) expect(integration.Properties.IntegrationType).toBe('AWS_PROXY');
  });

  it('deploys a stage with access logs and throttling', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: 'prod',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('connectionId') },
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
    });
  });
});

describe('functions', () => {
  it('run on a current Node.js runtime, x86_64, with a log group that has a retention', () => {
    const functions = resources('AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment?.Variables?.JOBS_TABLE);
    expect(functions.length).toBe(9);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['x86_64']);
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    }
    const groups = resources('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(9);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('give the crawler Chromium as a layer, memory and a timeout', () => {
    const crawler = functionId('Renders crawl queue URLs in headless Chromium');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Renders crawl queue URLs in headless Chromium',
      MemorySize: 2048,
      Timeout: 90,
      Layers: [Match.objectLike({ Ref: Match.stringLikeRegexp('ChromiumLayer') })],
      Environment: { Variables: Match.objectLike({ CHROMIUM_BIN_DIR: '/opt', LEASE_MS: '120000', MAX_ATTEMPTS: '3' }) },
    });
    template.hasResourceProperties('AWS::Lambda::LayerVersion', { CompatibleArchitectures: ['x86_64'], CompatibleRuntimes: ['nodejs24.x'] });
    expect(crawler).toBeTruthy();
  });

  it('never set local-only switches on AWS', () => {
    for (const [, fn] of resources('AWS::Lambda::Function')) {
      const variables = fn.Properties.Environment?.Variables ?? {};
      expect(variables.ALLOW_PRIVATE_TARGETS).toBeUndefined();
      expect(variables.CRAWLER_FAULTS).toBeUndefined();
      expect(variables.AWS_ENDPOINT_URL_DYNAMODB).toBeUndefined();
    }
  });

  it('point the Management API client at this stage', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Route crawl: validates and starts a job',
      Environment: {
        Variables: Match.objectLike({
          CONNECTIONS_ENDPOINT: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^https://$'), Match.stringLikeRegexp('\\.execute-api\\.')])] },
        }),
      },
    });
  });
});

describe('crawl queue', () => {
  it('dead-letters after a bounded number of receives, with a visibility timeout above the crawler timeout', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 540,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
    template.resourceCountIs('AWS::SQS::Queue', 2);
  });

  it('feeds the crawler in batches, with partial failures and a concurrency cap', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
      FunctionName: { Ref: functionId('Renders crawl queue URLs in headless Chromium') },
    });
  });

  it('refuses plain-HTTP access to both queues', () => {
    const policies = resources('AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(2);
    for (const [, policy] of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});

describe('tables', () => {
  it.each([
    ['Jobs', JOBS_KEY.partitionKey, undefined],
    ['Frontier', FRONTIER_KEY.partitionKey, FRONTIER_KEY.sortKey],
    ['Connections', CONNECTIONS_KEY.partitionKey, undefined],
  ])('%s: on demand, TTL, point-in-time recovery, keys as the code uses them', (name, pk, sk) => {
    const [, table] = resources('AWS::DynamoDB::Table').find(([id]) => id.includes(name)) ?? [];
    expect(table?.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: [{ AttributeName: pk, KeyType: 'HASH' }, ...(sk ? [{ AttributeName: sk, KeyType: 'RANGE' }] : [])],
    });
  });
});

describe('results bucket', () => {
  it('is encrypted, private, owner-enforced, logged and expires results', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'results/' },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })] },
    });
  });

  it('denies requests without TLS', () => {
    for (const [, policy] of resources('AWS::S3::BucketPolicy')) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });
});

describe('least privilege', () => {
  const describe_ = {
    default: 'WebSocket $default: explains unroutable messages',
    connect: 'WebSocket $connect: records the connection',
    status: 'Route status: reports a job',
    crawl: 'Route crawl: validates and starts a job',
    crawler: 'Renders crawl queue URLs in headless Chromium',
  };

  it('gives $default nothing but ManageConnections, scoped to this API and stage', () => {
    const grants = grantsOf(functionId(describe_.default));
    expect(grants.flatMap((g) => g.actions)).toEqual(['execute-api:ManageConnections']);
    expect(JSON.stringify(grants[0]?.resource)).toMatch(/\/prod\/\*\/@connections\/\*/);
  });

  it('gives $connect only its table, and no queue, bucket or socket rights', () => {
    const actions = actionsOf(functionId(describe_.connect));
    expect(actions.every((a) => a.startsWith('dynamodb:'))).toBe(true);
    expect(actions).toContain('dynamodb:PutItem');
  });

  it('lets status read but never write', () => {
    const actions = actionsOf(functionId(describe_.status));
    expect(actions.some((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toBe(false);
    expect(actions.some((a) => /^s3:Put/.test(a))).toBe(false);
    expect(actions).toContain('execute-api:ManageConnections');
  });

  it('lets the submit route queue URLs but not write results', () => {
    const actions = actionsOf(functionId(describe_.crawl));
    expect(actions).toContain('sqs:SendMessage');
    expect(actions.some((a) => /^s3:Put/.test(a))).toBe(false);
  });

  it('never grants deleting results or wildcard services', () => {
    for (const [id, fn] of resources('AWS::Lambda::Function')) {
      if (!fn.Properties.Environment?.Variables?.JOBS_TABLE) continue;
      const actions = actionsOf(id);
      expect(actions.filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
      expect(actions.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
    }
  });

  it('lets the crawler read and write its records, queue children and notify', () => {
    const actions = actionsOf(functionId(describe_.crawler));
    for (const action of ['dynamodb:UpdateItem', 'dynamodb:PutItem', 'sqs:SendMessage', 's3:PutObject', 'execute-api:ManageConnections']) {
      expect(actions).toContain(action);
    }
  });
});

describe('operations', () => {
  it('alarms on a non-empty DLQ and on crawler errors', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 1 });
  });

  it('has a dashboard with queue depth, oldest message age, DLQ, crawler errors and duration, completed jobs', () => {
    const [, dashboard] = resources('AWS::CloudWatch::Dashboard')[0] ?? [];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const title of ['Crawl queue depth', 'Age of oldest message', 'Dead-letter queue depth', 'Crawler errors', 'Crawler duration', 'Completed jobs']) {
      expect(body).toContain(title);
    }
    template.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '{ $.message = "job finished" }' });
  });

  it('runs the sweeper on a schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
  });

  it('outputs the WebSocket URL, the bucket, the queues and the tables', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    for (const name of ['WebSocketUrl', 'ResultsBucket', 'CrawlQueueUrl', 'DeadLetterQueueUrl', 'JobsTable', 'FrontierTable', 'ConnectionsTable']) {
      expect(outputs).toContain(name);
    }
    template.hasOutput('WebSocketUrl', { Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^wss://$')])] } });
  });
});

describe('authentication on $connect', () => {
  it('is on by default: a token authorizer on $connect reading a generated secret', () => {
    const [, connect] = resources('AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === '$connect') ?? [];
    expect(connect?.Properties.AuthorizationType).toBe('CUSTOM');
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 40 }) });
    const authorize = functionId('Authorizer for $connect: checks the connection token');
    const actions = actionsOf(authorize);
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(actions.some((a) => a.startsWith('dynamodb:') || a.startsWith('s3:'))).toBe(false);
    for (const [, route] of resources('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.RouteKey !== '$connect')) {
      expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
    }
    expect(Object.keys(template.findOutputs('*'))).toContain('ConnectionTokenSecretArn');
  });

  it('can be turned off with context auth=none', () => {
    const open = synth({ auth: 'none' });
    open.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    open.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});

describe('settings from context', () => {
  it('take batch size, concurrency, memory and timeout from context', () => {
    const custom = synth({ crawlerBatchSize: 7, crawlerMaxConcurrency: 3, crawlerMemoryMb: 3008, crawlerTimeoutSeconds: 120, maxDepth: 3 });
    custom.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 7, ScalingConfig: { MaximumConcurrency: 3 } });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 3008,
      Timeout: 120,
      Environment: { Variables: Match.objectLike({ MAX_DEPTH: '3', LEASE_MS: '150000' }) },
    });
    custom.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 720 });
  });

  it.each([
    [{ crawlerBatchSize: 50 }, /crawlerBatchSize must be between 1 and 10/],
    [{ crawlerMemoryMb: 'lots' }, /crawlerMemoryMb must be a non-negative integer/],
    [{ maxReceiveCount: 3, maxAttempts: 3 }, /maxReceiveCount must exceed maxAttempts/],
    [{ auth: 'maybe' }, /context auth must be "token" or "none"/],
  ])('refuses bad context %o', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
});

describe('cdk-nag', () => {
  it.each(['token', 'none'])('finds nothing unacknowledged in the AwsSolutions pack (auth=%s)', (auth) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], auth }, builtinCloudFormationValidation: false });
    buildApp(app);
    // Findings make synth fail; acknowledged ones carry their written reason.
    expect(() => app.synth()).not.toThrow();
  });

  it('would fail the synth without the acknowledgements (the check is live)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
    buildApp(app, { acknowledge: false });
    expect(() => app.synth()).toThrow(/AwsSolutions/);
  });
});
