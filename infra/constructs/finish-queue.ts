// The finisher's queue and its dead-letter queue: one message `{jobId}` asks for a job's end.
import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FINISH_VISIBILITY_TIMEOUT_SECONDS } from '../finisher-settings.js';

export interface FinishQueueProps {
  maxReceiveCount: number;
}

export class FinishQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: FinishQueueProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Above the finisher's timeout and its lease's margin (functions/handlers/finish.ts): a request
      // comes back only once its finisher cannot be alive, and the next one resumes its checkpoint.
      visibilityTimeout: Duration.seconds(FINISH_VISIBILITY_TIMEOUT_SECONDS),
      retentionPeriod: Duration.days(4),
      // Each receive is a finisher that failed or died; past this the job is the sweeper's (it
      // asks again while the job is finishing) and the DLQ's age alarm tells the operator.
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
