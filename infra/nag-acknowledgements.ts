// cdk-nag findings we accept, each with the reason a reviewer would want, each acknowledged on the
// constructs it concerns (not stack-wide), so the same finding on a new resource still fails the
// synth. Anything not listed here fails the synth.
import { Validations, type CfnElement, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface AcknowledgedResources {
  /** every function of the app (not CDK's own custom-resource providers) */
  functions: IConstruct[];
  /** functions allowed to post to connections of this stage */
  notifiers: IConstruct[];
  /** functions with object actions under jobs/ of the results bucket */
  jobObjectUsers: IConstruct[];
  /** functions with object actions under finisher/ (a WACZ's index parts) */
  finisherObjectUsers: IConstruct[];
  resultsBucket: IConstruct;
  webSocketApi: IConstruct;
  stageName: string;
  auth: 'token' | 'none';
  tokenSecret?: IConstruct;
  /** the table of running jobs' seed credentials, kept without point-in-time recovery on purpose */
  secretsTable?: IConstruct;
  /** API Gateway's account-level logging role, when the stack sets it */
  apiGatewayLoggingRole?: IConstruct;
  /** the functions that create or delete schedules, the group's name (a literal), and the scheduler's DLQ */
  schedules?: { makers: IConstruct[]; groupName: string; deadLetters: IConstruct };
}

export function acknowledgeFindings(stack: Stack, resources: AcknowledgedResources): void {
  const ack = (scopes: IConstruct[], id: string, reason: string) => {
    for (const scope of new Set(scopes)) Validations.of(scope).acknowledge({ id: `AwsSolutions::${id}`, reason });
  };
  const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);

  ack(
    resources.functions,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AWSLambdaBasicExecutionRole only allows logs:CreateLogGroup, CreateLogStream and PutLogEvents; each function writes to its own log group. A hand-written copy would grant the same three actions.',
  );
  ack(
    resources.notifiers,
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${logicalId(resources.webSocketApi)}>/${resources.stageName}/POST/@connections/*]`,
    'Connection ids exist only at run time, so the resource ends in @connections/*; the grant is execute-api:ManageConnections for POST (PostToConnection) alone, on this API and this stage only.',
  );
  ack(
    resources.jobObjectUsers,
    `AwsSolutions-IAM5[Resource::<${logicalId(resources.resultsBucket)}.Arn>/jobs/*]`,
    'Page records, manifests and exports are written under jobs/{jobId}/ with keys made at run time; each function holds only the object actions it calls (infra/function-access.ts), on that prefix of the results bucket.',
  );
  ack(
    resources.finisherObjectUsers,
    `AwsSolutions-IAM5[Resource::<${logicalId(resources.resultsBucket)}.Arn>/finisher/*]`,
    'A WACZ being written keeps each part\'s index lines under finisher/{jobId}/ with keys made at run time, until the archive is complete; put and get only, on that prefix.',
  );
  if (resources.schedules) {
    ack(
      resources.schedules.makers,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${resources.schedules.groupName}/*]`,
      "A schedule is named by the id the route makes at run time (one EventBridge schedule per client schedule), so the resource ends in the stack's group/*; the schedule route may only CreateSchedule and the unschedule route only DeleteSchedule there.",
    );
    ack(
      [resources.schedules.deadLetters],
      'AwsSolutions-SQS3',
      "This queue is itself a dead-letter queue: EventBridge Scheduler's, for firings it could not deliver to the schedule-run function (set per schedule by the route, DeadLetterConfig), which CDK cannot see as a queue's redrive policy.",
    );
  }
  if (resources.secretsTable) {
    ack(
      [resources.secretsTable],
      'AwsSolutions-DDB3',
      'This table holds the headers and cookies (possibly sessions, API keys) a client gave for a running crawl, deleted when the job stops running. Point-in-time recovery would keep them restorable for 35 days after that; without it, a deleted item is gone. Nothing in it needs restoring: a job whose credentials were lost ends, and the client crawls again.',
    );
  }
  ack(
    [resources.webSocketApi],
    'AwsSolutions-APIG4',
    resources.auth === 'token'
      ? 'A WebSocket API can only take an authorizer on $connect, and $connect has the token authorizer; $disconnect, $default, crawl, status, cancel and redrive run on a connection that was already authorized.'
      : 'Deployed with context auth=none: the operator chose an open API (e.g. a private test account); the default (auth=token) authorizes $connect.',
  );
  if (resources.apiGatewayLoggingRole) {
    ack(
      [resources.apiGatewayLoggingRole],
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'This role is the account-level setting API Gateway writes stage logs with, for every API of the account and region, whose log groups are not known here; AWS maintains this policy for exactly that use.',
    );
  }
  if (resources.tokenSecret) {
    ack(
      [resources.tokenSecret],
      'AwsSolutions-SMG4',
      'The connection token is a static bearer token handed to clients, not a credential a rotation Lambda could change on both sides; rotate it by updating the secret (the authorizer re-reads it within 5 minutes).',
    );
  }
}
