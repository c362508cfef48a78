// The finisher's queue: one message `{jobId}` asks the finisher (functions/handlers/finish.ts) to
// end that job. Messages carry the id only; the finisher reads the job's state itself.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FinishRequests } from '../../core/ports.js';

export class SqsFinishRequests implements FinishRequests {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async request(jobId: string): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify({ jobId }) }));
  }
}
