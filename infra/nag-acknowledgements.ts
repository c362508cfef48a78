// cdk-nag findings we accept, each with the reason a reviewer would want. Anything not listed
// here fails the synth.
import { Validations, type CfnElement, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface AcknowledgedResources {
  resultsBucket: IConstruct;
  webSocketApi: IConstruct;
  stageName: string;
  auth: 'token' | 'none';
}

export function acknowledgeFindings(stack: Stack, resources: AcknowledgedResources): void {
  const ack = (id: string, reason: string) => Validations.of(stack).acknowledge({ id, reason });
  const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  ack(
    'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AWSLambdaBasicExecutionRole only lets a function write its own CloudWatch logs; a hand-written copy would say the same.',
  );
  ack(
    `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${logicalId(resources.webSocketApi)}>/${resources.stageName}/*/@connections/*]`,
    'Connection ids are created at run time; the grant is already scoped to this API and stage (execute-api:ManageConnections on @connections only).',
  );
  ack(
    `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalId(resources.resultsBucket)}.Arn>/jobs/*]`,
    'Page records and manifests are written under jobs/{jobId}/ with keys made at run time; access is limited to that prefix of the results bucket.',
  );
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:Abort*']) {
    ack(
      `AwsSolutions::AwsSolutions-IAM5[Action::${action}]`,
      `${action} comes from the Bucket.grantRead/grantPut helpers, scoped to the results bucket and its jobs/ prefix.`,
    );
  }
  ack(
    'AwsSolutions::AwsSolutions-APIG4',
    resources.auth === 'token'
      ? 'WebSocket APIs can authorize only on $connect, which has the token authorizer; the other routes run on an authorized connection.'
      : 'Deployed with context auth=none: the operator chose an open API (e.g. behind their own network controls).',
  );
  if (resources.auth === 'token') {
    ack(
      'AwsSolutions::AwsSolutions-SMG4',
      'The connection token is a static bearer token handed to clients; rotate it by updating the secret (the authorizer re-reads it within 5 minutes).',
    );
  }
}
