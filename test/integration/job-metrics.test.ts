// The completed-jobs metric is an embedded-metric-format line on stdout, which CloudWatch turns into
// the `Crawler/JobsCompleted` metric of the dashboard whatever the log level.
import { afterEach, expect, it, vi } from 'vitest';
import { EmfJobMetrics } from '../../functions/adapters/cloudwatch/job-metrics.js';
import { COMPLETED_JOBS_METRIC } from '../../infra/constructs/monitoring.js';

afterEach(() => {
  vi.restoreAllMocks();
});

it('writes one EMF line per finished job, in the namespace, name and dimension the dashboard reads', () => {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  const metrics = new EmfJobMetrics('crawler');
  metrics.jobFinished('succeeded');
  metrics.jobFinished('partial');
  vi.restoreAllMocks();

  const emf = lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('_aws')).map((l) => JSON.parse(l));
  expect(emf).toHaveLength(2);
  for (const [index, line] of emf.entries()) {
    expect(line._aws.CloudWatchMetrics).toEqual([
      { Namespace: COMPLETED_JOBS_METRIC.namespace, Dimensions: [['service']], Metrics: [{ Name: COMPLETED_JOBS_METRIC.metricName, Unit: 'Count' }] },
    ]);
    expect(line).toMatchObject({ service: COMPLETED_JOBS_METRIC.dimensionsMap.service, JobsCompleted: 1, status: ['succeeded', 'partial'][index] });
  }
});
