// The crawl queue: one message per URL to render.
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_QUEUE_DELAY_SECONDS } from '../../core/host-rate.js';
import type { CrawlMessage, CrawlQueue } from '../../core/ports.js';

const SQS_BATCH_LIMIT = 10;

export class SqsCrawlQueue implements CrawlQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: CrawlMessage[], delaysSeconds?: readonly number[]): Promise<void> {
    const delayed: Delayed[] = messages.map((message, i) => ({ message, delaySeconds: delaySecondsWithin(delaysSeconds?.[i] ?? 0) }));
    const batches: Delayed[][] = [];
    for (let i = 0; i < delayed.length; i += SQS_BATCH_LIMIT) batches.push(delayed.slice(i, i + SQS_BATCH_LIMIT));
    await Promise.all(batches.map((batch) => this.sendBatch(batch)));
  }

  /** A URL waiting for its host's slot: visible again after `delaySeconds` (SQS allows 0–900). */
  async sendDelayed(message: CrawlMessage, delaySeconds: number): Promise<void> {
    const DelaySeconds = delaySecondsWithin(delaySeconds);
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds }));
  }

  /**
   * A received message, not yet acknowledged, is delivered again after `seconds` (0–43,200) instead
   * of after the queue's visibility timeout: the backoff of a failed page (handlers/worker.ts).
   */
  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: Math.max(0, Math.ceil(seconds)) }));
  }

  private async sendBatch(batch: Delayed[], attempt = 1): Promise<void> {
    const entries = batch.map(({ message, delaySeconds }, index) => ({
      Id: String(index),
      MessageBody: JSON.stringify(message),
      ...(delaySeconds > 0 ? { DelaySeconds: delaySeconds } : {}),
    }));
    const result = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
    const failed = (result.Failed ?? []).map((f) => batch[Number(f.Id)]).filter((m): m is Delayed => m !== undefined);
    if (failed.length === 0) return;
    // A partly failed batch is retried for the failed entries only; giving up throws, so the
    // parent's message is redelivered and resends (duplicates are harmless: the claim dedupes).
    if (attempt >= 3) throw new Error(`SQS refused ${failed.length} message(s): ${result.Failed?.[0]?.Message ?? 'unknown'}`);
    await this.sendBatch(failed, attempt + 1);
  }
}

type Delayed = { message: CrawlMessage; delaySeconds: number };

/** SQS's DelaySeconds: whole seconds, 0–900. */
function delaySecondsWithin(seconds: number): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));
}
