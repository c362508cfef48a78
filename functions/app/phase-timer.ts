// Where a page's time goes: the browser, or the machinery around it (DynamoDB, SQS, S3).
import type { Clock } from '../core/ports.js';

export type Phase = 'dynamodb' | 'sqs' | 's3';

export class PhaseTimer {
  readonly totals: Record<Phase, number> = { dynamodb: 0, sqs: 0, s3: 0 };
  private readonly started: number;

  constructor(private readonly clock: Clock) {
    this.started = clock.now();
  }

  async time<T>(phase: Phase, work: () => Promise<T>): Promise<T> {
    const start = this.clock.now();
    try {
      return await work();
    } finally {
      this.totals[phase] += this.clock.now() - start;
    }
  }

  elapsed(): number {
    return this.clock.now() - this.started;
  }
}
