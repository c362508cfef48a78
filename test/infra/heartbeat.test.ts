// The heartbeat of running jobs in the synthesized template (functions/app/heartbeat.ts): its own
// queue and dead letters, a light function fed by it, and who may send to it.
import { beforeAll, describe, expect, it } from 'vitest';
import { synth, type Synthesized } from './synth.js';

let s: Synthesized;
beforeAll(() => {
  s = synth();
});

const fn = (name: string) => s.resource(s.id(name)).Properties;

describe('heartbeat', () => {
  it('is a light function fed by its own queue (with its own dead letters), which the crawl and redrive routes and itself send to', () => {
    expect(fn('HeartbeatFunction')).toMatchObject({ MemorySize: 256, Timeout: 30 });
    // A job's heartbeat sends the next one (SQS → heartbeat → SQS) until the job is final.
    expect(fn('HeartbeatFunction').RecursiveLoop).toBe('Allow');
    const [, mapping] = s.ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => m.Properties.FunctionName.Ref === s.id('HeartbeatFunction'))!;
    expect(mapping.Properties).toMatchObject({ EventSourceArn: { 'Fn::GetAtt': [s.id('Heartbeat/Queue'), 'Arn'] }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const queue = s.resource(s.id('Heartbeat/Queue')).Properties;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(fn('HeartbeatFunction').Timeout);
    expect(queue.RedrivePolicy).toMatchObject({ deadLetterTargetArn: { 'Fn::GetAtt': [s.id('Heartbeat/DeadLetters'), 'Arn'] } });
    for (const name of ['CrawlFunction', 'RedriveFunction', 'HeartbeatFunction'] as const) {
      expect(fn(name).Environment.Variables.HEARTBEAT_QUEUE_URL, name).toEqual({ Ref: s.id('Heartbeat/Queue') });
    }
  });
});

