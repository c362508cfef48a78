// The webhook queue: one message a delivery attempt (core/webhook.ts WebhookMessage), delayed by
// at most SQS's 900 s; a longer wait between attempts is chained (app/webhook-delivery.ts).
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_HOP_SECONDS, type WebhookMessage, type WebhookQueue } from '../../core/webhook.js';

export class SqsWebhookQueue implements WebhookQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: WebhookMessage, delaySeconds: number): Promise<void> {
    const DelaySeconds = Math.min(MAX_HOP_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds }));
  }
}
