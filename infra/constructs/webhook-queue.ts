// The webhook queue (functions/app/webhook-delivery.ts): one message a delivery attempt, delayed
// (in hops of at most 900 s) until its turn of the retry schedule; its light function consumes it.
// Its own DLQ: a message that keeps failing for the stack's sake (not the receiver's: a failed
// attempt is a new message) must not loop, nor mix with the other queues' dead letters.
import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface WebhookQueueProps {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export class WebhookQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: WebhookQueueProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.visibilityTimeoutSeconds),
      // Each hop is a new message; a day covers any one of them with room.
      retentionPeriod: Duration.days(1),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
