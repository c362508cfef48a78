// The crawl queue and its dead-letter queue.
import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface CrawlQueueProps {
  /** six times the crawler's timeout (infra/deployed-limits.ts) */
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export class CrawlQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;
  /** AWS advises six times the function timeout for SQS event sources */
  readonly visibilityTimeoutSeconds: number;

  constructor(scope: Construct, id: string, props: CrawlQueueProps) {
    super(scope, id);
    this.visibilityTimeoutSeconds = props.visibilityTimeoutSeconds;
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS advises six times the function timeout for SQS event sources, so a batch that is
      // retried inside the poller is not redelivered while still running.
      visibilityTimeout: Duration.seconds(this.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
