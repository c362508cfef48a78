// The finisher's part of the template: its function, queue and DLQ, the sweeper that asks it (its
// schedule, its index), the alarms that watch them (the rest of the stack: stack.test.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { synth, type Synthesized } from './synth.js';

let s: Synthesized;
beforeAll(() => {
  s = synth();
});

const fn = (name: string) => s.resource(s.id(name)).Properties;

describe('finisher', () => {
  it('has at least 1 GiB and 600 s (900 s: the most Lambda allows) and the finish queue in its environment', () => {
    const finisher = fn('FinisherFunction');
    expect(finisher.MemorySize).toBeGreaterThanOrEqual(1024);
    expect(finisher.Timeout).toBeGreaterThanOrEqual(600);
    expect(finisher.Timeout).toBe(900);
    for (const name of ['CrawlerFunction', 'SweepFunction', 'CancelFunction', 'CrawlFunction', 'RedriveFunction', 'FinisherFunction'] as const) {
      expect(fn(name).Environment.Variables.FINISH_QUEUE_URL, name).toEqual({ Ref: s.id('Finish/Queue') });
    }
    expect(finisher.Environment.Variables.FINISHER_FAULTS).toBeUndefined();
  });

  it('is fed one request at a time by its own queue, with partial batch failures', () => {
    const [, mapping] = s.ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => m.Properties.FunctionName.Ref === s.id('FinisherFunction'))!;
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [s.id('Finish/Queue'), 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('has a queue whose visibility outlasts the finisher (and its lease margin), with a DLQ', () => {
    const queue = s.resource(s.id('Finish/Queue')).Properties;
    expect(queue.VisibilityTimeout).toBeGreaterThan(fn('FinisherFunction').Timeout + 5);
    expect(queue).toMatchObject({
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [s.id('Finish/DeadLetters'), 'Arn'] }, maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
    expect(s.resource(s.id('Finish/DeadLetters')).Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('finds open jobs through a sparse keys-only index of the jobs table', () => {
    expect(s.resource(s.id('Storage/Jobs')).Properties.GlobalSecondaryIndexes).toEqual([
      { IndexName: 'unfinished', KeySchema: [{ AttributeName: 'unfinished', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
    ]);
  });
});

describe('sweeper', () => {
  it('runs the sweeper every 5 minutes', () => {
    const [, rule] = s.single('AWS::Events::Rule');
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [s.id('SweepFunction'), 'Arn'] } })]);
    expect(fn('SweepFunction').Timeout).toBe(120);
  });

  it('never retries a sweep asynchronously: the next scheduled run would overlap the retry', () => {
    const [, rule] = s.single('AWS::Events::Rule');
    expect(rule.Properties.Targets[0].RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
    const [, config] = s.ofType('AWS::Lambda::EventInvokeConfig').find(([, c]) => c.Properties.FunctionName.Ref === s.id('SweepFunction'))!;
    expect(config.Properties.MaximumRetryAttempts).toBe(0);
  });
});

describe('finisher alarms', () => {
  const alarm = (path: string) => s.resource(s.id(path)).Properties;

  it('alarms on finisher errors, a finisher near its timeout, crawler throttles and messages left in either DLQ', () => {
    const base = { Threshold: expect.any(Number), TreatMissingData: 'notBreaching' };
    expect(alarm('Monitoring/FinisherErrors')).toMatchObject({ ...base, MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.id('FinisherFunction') } }], Threshold: 1 });
    expect(alarm('Monitoring/FinisherDuration')).toMatchObject({
      ...base,
      MetricName: 'Duration',
      Statistic: 'Maximum',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.id('FinisherFunction') } }],
      Threshold: 0.8 * fn('FinisherFunction').Timeout * 1000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarm('Monitoring/CrawlerThrottles')).toMatchObject({ ...base, MetricName: 'Throttles', Dimensions: [{ Name: 'FunctionName', Value: { Ref: s.id('CrawlerFunction') } }], Threshold: 1 });
    for (const [path, queue] of [['Monitoring/CrawlDeadLetterAge', 'Crawl/DeadLetters'], ['Monitoring/FinishDeadLetterAge', 'Finish/DeadLetters']] as const) {
      expect(alarm(path)).toMatchObject({
        ...base,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [s.id(queue), 'QueueName'] } }],
      });
    }
  });
});
