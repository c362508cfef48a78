// Turns a function's row of FUNCTION_ACCESS (function-access.ts) into its role's statements: one
// statement per resource, exact actions, exact ARNs (the open-jobs index by name, not <table>/index/*).
import { Stack } from 'aws-cdk-lib';
import type { WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable, type IRole } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { UNFINISHED_INDEX } from '../functions/adapters/dynamodb/table-definitions.js';
import type { FunctionAccess } from './function-access.js';

export interface AccessTargets {
  jobs: ITable;
  frontier: ITable;
  connections: ITable;
  secrets: ITable;
  crawlQueue: IQueue;
  heartbeatQueue: IQueue;
  finishQueue: IQueue;
  webhookQueue: IQueue;
  results: IBucket;
  api: WebSocketApi;
  stage: WebSocketStage;
  token?: ISecret;
  /** the secret with the upstream proxies' list, when the stack names one */
  upstreamProxies?: ISecret;
  /** the schedules of the stack's group (infra/constructs/schedules.ts) and the scheduler's role */
  schedules?: { arn: string; role: IRole };
}

/** the key prefixes of the results bucket, as functions/core/keys.ts and the resumable WACZ write them */
export const JOB_OBJECTS = 'jobs/*';
export const FINISHER_OBJECTS = 'finisher/*';

export function grantAccess(grantee: IGrantable, access: FunctionAccess, targets: AccessTargets): void {
  const allow = (prefix: string, actions: readonly string[] | undefined, resourceArn: string) => {
    if (!actions?.length) return;
    Grant.addToPrincipal({ grantee, actions: [...actions].sort().map((a) => `${prefix}:${a}`), resourceArns: [resourceArn] });
  };
  allow('dynamodb', access.jobs, targets.jobs.tableArn);
  allow('dynamodb', access.jobsOpenIndex, `${targets.jobs.tableArn}/index/${UNFINISHED_INDEX.name}`);
  allow('dynamodb', access.frontier, targets.frontier.tableArn);
  allow('dynamodb', access.connections, targets.connections.tableArn);
  allow('dynamodb', access.secrets, targets.secrets.tableArn);
  allow('sqs', access.crawlQueue, targets.crawlQueue.queueArn);
  allow('sqs', access.heartbeatQueue, targets.heartbeatQueue.queueArn);
  allow('sqs', access.finishQueue, targets.finishQueue.queueArn);
  allow('sqs', access.webhookQueue, targets.webhookQueue.queueArn);
  allow('s3', access.jobObjects, targets.results.arnForObjects(JOB_OBJECTS));
  allow('s3', access.finisherObjects, targets.results.arnForObjects(FINISHER_OBJECTS));
  if (access.listResults) allow('s3', ['ListBucket'], targets.results.bucketArn);
  if (access.postToConnections) {
    // Connection ids exist only at run time; the method is POST (PostToConnection) only.
    const api = Stack.of(targets.api).formatArn({ service: 'execute-api', resource: targets.api.apiId });
    allow('execute-api', ['ManageConnections'], `${api}/${targets.stage.stageName}/POST/@connections/*`);
  }
  if (access.schedules?.length || access.passSchedulerRole) {
    if (!targets.schedules) throw new Error('a function makes schedules, but the stack has no schedule group');
    allow('scheduler', access.schedules, targets.schedules.arn);
    if (access.passSchedulerRole) allow('iam', ['PassRole'], targets.schedules.role.roleArn);
  }
  if (access.readToken) {
    if (!targets.token) throw new Error('a function reads the connection token, but the stack has none (auth=none)');
    allow('secretsmanager', ['GetSecretValue'], targets.token.secretArn);
  }
  // That secret only (a name is matched with its random suffix, `-??????`, as IAM needs it).
  if (access.readUpstreamProxies && targets.upstreamProxies) allow('secretsmanager', ['GetSecretValue'], targets.upstreamProxies.secretFullArn ?? `${targets.upstreamProxies.secretArn}-??????`);
}
