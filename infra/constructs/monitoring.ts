// What an operator looks at: a dashboard of the queue, the DLQ and the crawler, and alarms when
// messages are dead-lettered or sit in a DLQ, the crawler fails or is throttled, the finisher fails
// or runs near its timeout.
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface MonitoringProps {
  queue: Queue;
  deadLetters: Queue;
  crawler: NodejsFunction;
  finisher: NodejsFunction;
  finishDeadLetters: Queue;
  finisherTimeoutSeconds: number;
  /**
   * An existing SNS topic the alarms notify (and tell when they clear). The stack does not create
   * one: who gets paged, and how, is the account's business, not the crawler's.
   */
  alarmTopicArn?: string;
}

/**
 * Written by the functions that end jobs as embedded metric format lines (Powertools Metrics,
 * functions/adapters/cloudwatch/job-metrics.ts), with Powertools' `service` dimension.
 */
export const COMPLETED_JOBS_METRIC = { namespace: 'Crawler', metricName: 'JobsCompleted', dimensionsMap: { service: 'crawler' } } as const;

export class Monitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly deadLetterAlarm: Alarm;
  readonly crawlerErrorsAlarm: Alarm;
  readonly crawlerThrottlesAlarm: Alarm;
  readonly finisherErrorsAlarm: Alarm;
  readonly finisherDurationAlarm: Alarm;
  readonly deadLetterAgeAlarms: Alarm[];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    const completedJobs = new Metric({ ...COMPLETED_JOBS_METRIC, statistic: 'Sum', period });

    this.deadLetterAlarm = new Alarm(this, 'DeadLetters', {
      alarmDescription: 'Crawl messages reached the dead-letter queue: pages failed beyond the crawler’s own retries',
      metric: props.deadLetters.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.crawlerErrorsAlarm = new Alarm(this, 'CrawlerErrors', {
      alarmDescription: 'Crawler invocations failed (crashes, timeouts, out of memory)',
      metric: props.crawler.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    this.crawlerThrottlesAlarm = new Alarm(this, 'CrawlerThrottles', {
      alarmDescription: 'Crawler invocations throttled: the account or the function is out of concurrency (pages wait, jobs slow down)',
      metric: props.crawler.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.finisherErrorsAlarm = new Alarm(this, 'FinisherErrors', {
      alarmDescription: 'Finisher invocations failed (crashes, timeouts, out of memory): job ends are retried from their checkpoint',
      metric: props.finisher.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.finisherDurationAlarm = new Alarm(this, 'FinisherDuration', {
      alarmDescription: 'A finisher ran past 80% of its timeout: jobs are near the size one invocation can end (they resume, but slowly)',
      metric: props.finisher.metricDuration({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 0.8 * props.finisherTimeoutSeconds * 1000,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    // A message that sits in a DLQ is work nobody will do: alarm on its age, not only on arrivals.
    this.deadLetterAgeAlarms = [
      ['CrawlDeadLetterAge', props.deadLetters, 'crawl'],
      ['FinishDeadLetterAge', props.finishDeadLetters, 'finish'],
    ].map(
      ([id, queue, name]) =>
        new Alarm(this, id as string, {
          alarmDescription: `The ${name as string} dead-letter queue holds a message older than an hour`,
          metric: (queue as Queue).metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
          threshold: 3600,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
    );

    if (props.alarmTopicArn) {
      const action = new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn));
      for (const alarm of [
        this.deadLetterAlarm,
        this.crawlerErrorsAlarm,
        this.crawlerThrottlesAlarm,
        this.finisherErrorsAlarm,
        this.finisherDurationAlarm,
        ...this.deadLetterAgeAlarms,
      ]) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new GraphWidget({
            title: 'Crawl queue depth',
            left: [
              props.queue.metricApproximateNumberOfMessagesVisible({ period }),
              props.queue.metricApproximateNumberOfMessagesNotVisible({ period }),
            ],
          }),
          new GraphWidget({ title: 'Age of oldest message (s)', left: [props.queue.metricApproximateAgeOfOldestMessage({ period })] }),
          new GraphWidget({ title: 'Dead-letter queue depth', left: [props.deadLetters.metricApproximateNumberOfMessagesVisible({ period })] }),
        ],
        [
          new GraphWidget({ title: 'Crawler errors', left: [props.crawler.metricErrors({ period }), props.crawler.metricThrottles({ period })] }),
          new GraphWidget({
            title: 'Crawler duration (ms)',
            left: [props.crawler.metricDuration({ period, statistic: 'p50' }), props.crawler.metricDuration({ period, statistic: 'p99' })],
          }),
          new GraphWidget({ title: 'Completed jobs', left: [completedJobs] }),
        ],
        [
          new GraphWidget({ title: 'Finisher errors', left: [props.finisher.metricErrors({ period }), props.finisher.metricThrottles({ period })] }),
          new GraphWidget({ title: 'Finisher duration (ms)', left: [props.finisher.metricDuration({ period, statistic: 'Maximum' })] }),
          new GraphWidget({ title: 'Finish dead-letter queue depth', left: [props.finishDeadLetters.metricApproximateNumberOfMessagesVisible({ period })] }),
        ],
      ],
    });
  }
}
