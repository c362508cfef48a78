// The heartbeat queue: `{jobId, beat}` messages, each delayed by the heartbeat interval (app/heartbeat.ts).
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_QUEUE_DELAY_SECONDS } from '../../core/host-rate.js';
import type { HeartbeatQueue } from '../../core/ports.js';

export class SqsHeartbeatQueue implements HeartbeatQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async schedule(jobId: string, delaySeconds: number, beat?: string): Promise<void> {
    const DelaySeconds = Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify({ jobId, beat }), DelaySeconds }));
  }
}
