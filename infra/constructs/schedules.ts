// Schedules' infrastructure (issue #29): the EventBridge Scheduler group the schedule route makes
// one schedule per entry in, the role the scheduler assumes (it may invoke the schedule-run
// function and nothing else, and send what it could not deliver to the DLQ), and that DLQ.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface SchedulesProps {
  /** the schedule-run function (functions/handlers/schedule-run.ts) */
  target: IFunction;
}

export class Schedules extends Construct {
  readonly group: ScheduleGroup;
  readonly role: Role;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    // Schedules are the clients' data: removed with the stack, as the tables' items are not kept either.
    this.group = new ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const stack = Stack.of(this);
    this.role = new Role(this, 'Role', {
      description: 'Assumed by EventBridge Scheduler to fire crawl schedules: invokes the schedule-run function only',
      // Only schedules of this account (the confused-deputy guard EventBridge Scheduler documents).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
    });
    this.role.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.target.functionArn] }));
    this.role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetters.queueArn] }));
  }

  /** the ARN of every schedule in the group: what the route may create or delete */
  schedulesArn(): string {
    return Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.group.scheduleGroupName}/*` });
  }
}
