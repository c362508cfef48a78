// Webhook deliveries in the synthesized template (functions/app/webhook-delivery.ts): their own
// queue with a DLQ, a light function fed by it that may send its own next attempt, the queue's URL
// given to the functions that queue a job's end (the finisher; the crawl route for cache answers).
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedLimits } from '../../infra/deployed-limits.js';
import { DEFAULT_SETTINGS } from '../../infra/settings.js';
import { DEFAULT_WEBHOOK_RETRY_SECONDS, MAX_HOP_SECONDS, retryWindowSeconds } from '../../functions/core/webhook.js';
import { synth, type Synthesized } from './synth.js';

let s: Synthesized;
beforeAll(() => {
  s = synth();
});
const fn = (name: string) => s.resource(s.id(name)).Properties;

describe('webhooks', () => {
  it('are delivered by a light function of their own, fed by a queue with a DLQ', () => {
    const limits = deployedLimits(DEFAULT_SETTINGS).webhook;
    expect(fn('WebhookFunction')).toMatchObject({ MemorySize: 256, Timeout: limits.timeoutSeconds });
    // A failed attempt sends the next one (SQS → webhook → SQS) until the schedule ends.
    expect(fn('WebhookFunction').RecursiveLoop).toBe('Allow');
    const [, mapping] = s.ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => m.Properties.FunctionName.Ref === s.id('WebhookFunction'))!;
    expect(mapping.Properties).toMatchObject({ EventSourceArn: { 'Fn::GetAtt': [s.id('Webhook/Queue'), 'Arn'] }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const queue = s.resource(s.id('Webhook/Queue')).Properties;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(fn('WebhookFunction').Timeout);
    expect(queue.RedrivePolicy).toMatchObject({ deadLetterTargetArn: { 'Fn::GetAtt': [s.id('Webhook/DeadLetters'), 'Arn'] } });
    for (const name of ['CrawlFunction', 'FinisherFunction', 'WebhookFunction']) {
      expect(fn(name).Environment.Variables.WEBHOOK_QUEUE_URL, name).toEqual({ Ref: s.id('Webhook/Queue') });
    }
    // The attempt's timeout is the setting's; the schedule is the code's, not shortened on AWS.
    expect(fn('WebhookFunction').Environment.Variables.WEBHOOK_TIMEOUT_MS).toBe(String(DEFAULT_SETTINGS.webhookTimeoutSeconds * 1000));
    expect(fn('WebhookFunction').Environment.Variables.WEBHOOK_RETRY_SECONDS).toBeUndefined();
    // An attempt's timeout fits in the function's, with room for the state's writes.
    expect(limits.timeoutSeconds).toBeGreaterThan(DEFAULT_SETTINGS.webhookTimeoutSeconds);
  });

  it('retries for at least an hour, in hops SQS can delay', () => {
    expect(retryWindowSeconds(DEFAULT_WEBHOOK_RETRY_SECONDS)).toBeGreaterThanOrEqual(3600);
    expect(MAX_HOP_SECONDS).toBe(900);
  });
});
