// The heartbeat queue (functions/app/heartbeat.ts): one delayed `{jobId}` message per running job,
// which its light function consumes and sends again until the job is final. Its own small DLQ: a
// message that keeps failing must not loop forever, nor mix with the crawl queue's dead letters.
import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface HeartbeatQueueProps {
  /** the heartbeat function's timeout: the queue's visibility timeout must be at least that */
  functionTimeoutSeconds: number;
}

export class HeartbeatQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: HeartbeatQueueProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(props.functionTimeoutSeconds * 2),
      // A heartbeat older than this is of no use: the job's next one is on its way.
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
    });
  }
}
