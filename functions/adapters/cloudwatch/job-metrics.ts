// Job metrics as CloudWatch embedded metric format (EMF) lines on stdout: Lambda's log pipeline
// turns them into metrics, whatever the logger's level (a log-line metric filter went blank
// when the log level was raised above INFO).
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import type { FinalStatus } from '../../core/job.js';
import type { JobMetrics } from '../../core/ports.js';

export const JOB_METRICS_NAMESPACE = 'Crawler';

export class EmfJobMetrics implements JobMetrics {
  private readonly metrics: Metrics;

  constructor(serviceName: string) {
    this.metrics = new Metrics({ namespace: JOB_METRICS_NAMESPACE, serviceName });
  }

  jobFinished(status: FinalStatus): void {
    // One metric, written at once: the functions that end jobs have no end-of-invocation hook.
    const metric = this.metrics.singleMetric();
    metric.addMetadata('status', status);
    metric.addMetric('JobsCompleted', MetricUnit.Count, 1);
  }
}
