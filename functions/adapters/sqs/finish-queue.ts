// The finisher's queue: one message `{jobId}` asks the finisher (functions/handlers/finish.ts) to
// end that job; `{kind, jobId, …}` asks its function for a route's heavy work (a redrive's
// requeue, a reused crawl's build). Messages carry ids only; the function reads the state itself.
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FinishRequests, FinisherWork } from '../../core/ports.js';

export class SqsFinishRequests implements FinishRequests {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async request(jobId: string): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify({ jobId }) }));
  }

  async requestWork(work: FinisherWork): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(work) }));
  }
}
