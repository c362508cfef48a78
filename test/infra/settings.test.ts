// Settings from CDK context: each reaches the template, bad values stop the synth with a message
// that names the key, and every key is documented in the README's deploy section.
import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../infra/settings.js';
import { projectRoot, synth } from './synth.js';

describe('settings from context', () => {
  it('size the crawler, its queue and its event source', () => {
    const s = synth({ crawlerBatchSize: 7, crawlerMaxConcurrency: 3, crawlerMemoryMb: 3008, crawlerTimeoutSeconds: 120, maxReceiveCount: 8 });
    const crawler = s.resource(s.id('CrawlerFunction')).Properties;
    expect(crawler).toMatchObject({ MemorySize: 3008, Timeout: 120 });
    // The lease follows the timeout (+30 s) and the navigation timeout stays at 30 s.
    expect(crawler.Environment.Variables).toMatchObject({ LEASE_MS: '150000', NAV_TIMEOUT_MS: '30000' });
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 7, ScalingConfig: { MaximumConcurrency: 3 } });
    expect(s.resource(s.id('Crawl/Queue')).Properties).toMatchObject({ VisibilityTimeout: 720, RedrivePolicy: { maxReceiveCount: 8 } });
  });

  it('take strings as `-c key=value` gives them', () => {
    const s = synth({ crawlerMemoryMb: '3008', maxDepth: '2', apiGatewayLoggingRole: 'false', logLevel: 'debug' });
    expect(s.resource(s.id('CrawlerFunction')).Properties).toMatchObject({
      MemorySize: 3008,
      Environment: { Variables: expect.objectContaining({ MAX_DEPTH: '2', POWERTOOLS_LOG_LEVEL: 'DEBUG' }) },
    });
    s.template.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('pass the client caps and timings to every function', () => {
    const s = synth({ maxDepth: 3, maxPages: 500, defaultMaxPages: 50, maxAttempts: 2, jobTimeLimitSeconds: 600, maxJobsPerConnection: 2, navigationTimeoutSeconds: 20 });
    for (const [, fn] of s.ofType('AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment?.Variables?.JOBS_TABLE)) {
      expect(fn.Properties.Environment.Variables).toMatchObject({
        MAX_DEPTH: '3',
        MAX_PAGES: '500',
        DEFAULT_MAX_PAGES: '50',
        MAX_ATTEMPTS: '2',
        JOB_TIME_LIMIT_SECONDS: '600',
        MAX_JOBS_PER_CONNECTION: '2',
        NAV_TIMEOUT_MS: '20000',
      });
    }
  });

  it('set log and result retention (result records expire a day before their objects, the life of a manifest URL)', () => {
    const s = synth({ logRetentionDays: 7, resultsRetentionDays: 3 });
    const groups = s.ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(10);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(7);
    expect(s.resource(s.id('Storage/Results')).Properties.LifecycleConfiguration.Rules[0]).toMatchObject({ ExpirationInDays: 4 });
    expect(s.resource(s.id('CrawlFunction')).Properties.Environment.Variables.RECORD_TTL_DAYS).toBe('3');
  });

  it('turn authentication off with auth=none: no authorizer, no secret, no authorizer function', () => {
    const s = synth({ auth: 'none' });
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$connect', AuthorizationType: 'NONE' });
    expect(Object.keys(s.template.findOutputs('*'))).not.toContain('ConnectionTokenSecretArn');
    expect(s.ofType('AWS::Lambda::Function').map(([, f]) => f.Properties.Description)).not.toContain('Authorizer for $connect: checks the connection token');
  });

  it('send both alarms, and their recovery, to an existing SNS topic', () => {
    const topic = 'arn:aws:sns:eu-west-1:123456789012:on-call';
    const s = synth({ alarmTopicArn: topic });
    for (const path of ['Monitoring/DeadLetters', 'Monitoring/CrawlerErrors']) {
      expect(s.resource(s.id(path)).Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
    }
    s.template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('leave the account logging setting alone with apiGatewayLoggingRole=false', () => {
    const s = synth({ apiGatewayLoggingRole: false });
    s.template.resourceCountIs('AWS::ApiGateway::Account', 0);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }) });
  });

  it.each([
    [{ crawlerBatchSize: 50 }, /crawlerBatchSize must be between 1 and 10, got 50/],
    [{ crawlerMaxConcurrency: 1 }, /crawlerMaxConcurrency must be between 2 and 1000/],
    [{ crawlerMemoryMb: 'lots' }, /crawlerMemoryMb must be an integer, got "lots"/],
    [{ crawlerTimeoutSeconds: 1000 }, /crawlerTimeoutSeconds must be between 30 and 900/],
    [{ maxReceiveCount: 3, maxAttempts: 3 }, /maxReceiveCount must exceed maxAttempts/],
    [{ maxPages: 100, defaultMaxPages: 200 }, /defaultMaxPages must not exceed maxPages/],
    [{ logRetentionDays: 10 }, /logRetentionDays must be one of 1, 3, 5, 7, 14, 30/],
    [{ navigationTimeoutSeconds: 60 }, /navigationTimeoutSeconds must be at most half of crawlerTimeoutSeconds/],
    [{ auth: 'maybe' }, /context auth must be "token" or "none"/],
    [{ logLevel: 'LOUD' }, /context logLevel must be "DEBUG" or "INFO" or "WARN" or "ERROR"/],
    [{ alarmTopicArn: 'my-topic' }, /alarmTopicArn must be an SNS topic ARN/],
    [{ apiGatewayLoggingRole: 'yes' }, /apiGatewayLoggingRole must be "true" or "false"/],
    [{ accountConcurrency: 10 }, /context accountConcurrency 10: crawlerMaxConcurrency 10 leaves 0 .* -c crawlerMaxConcurrency=5/],
    [{ accountConcurrency: -1 }, /accountConcurrency must be between 0 and 1000000/],
  ])('refuse %o', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
});

describe("the README's deploy section", () => {
  const whole = readFileSync(`${projectRoot}README.md`, 'utf8');
  const from = whole.indexOf('## Deploying on AWS');
  const readme = whole.slice(from, whole.indexOf('\n## ', from + 1));

  it.each(Object.keys(DEFAULT_SETTINGS))('documents the context key %s with its default', (key) => {
    const row = readme.split('\n').find((line) => line.startsWith('|') && line.includes(`\`${key}\``));
    expect(row, `a table row for ${key}`).toBeDefined();
    const value = DEFAULT_SETTINGS[key as keyof typeof DEFAULT_SETTINGS];
    const shown = value === '' ? '—' : typeof value === 'number' ? String(value) : `${value}`;
    expect(row!.replace(/[\s,`_]/g, '')).toContain(shown.replace(/[\s,`_]/g, ''));
  });

  it('covers bootstrap, deploy, a wscat session, the console, destroy and cost', () => {
    for (const needle of ['npx cdk bootstrap', 'npx cdk deploy', 'wscat -c', 'npx cdk destroy', 'Dashboard', 'DLQ', 'per 1,000 pages']) {
      expect(readme).toContain(needle);
    }
  });
});
