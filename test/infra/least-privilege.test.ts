// Each function's role, read back from the template as "which resource, what kind of access", and
// compared with what its code does (functions/app/*: which stores each use case touches).
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, synth, type Synthesized } from './synth.js';

let s: Synthesized;
beforeAll(() => {
  s = synth();
});

type Access = 'read' | 'write' | 'send' | 'consume' | 'manage' | 'list';
type Target = 'jobs' | 'frontier' | 'connections' | 'queue' | 'heartbeats' | 'deadLetters' | 'finishQueue' | 'results' | 'resultsObjects' | 'finisherObjects' | 'api' | 'token';
type Grants = Partial<Record<Target, Access[]>>;

const ACCESS: Record<string, Access | 'metadata'> = {
  'dynamodb:GetItem': 'read',
  'dynamodb:BatchGetItem': 'read',
  'dynamodb:Query': 'read',
  'dynamodb:Scan': 'read',
  'dynamodb:ConditionCheckItem': 'read',
  'dynamodb:GetRecords': 'read',
  'dynamodb:GetShardIterator': 'read',
  'dynamodb:DescribeTable': 'metadata',
  'dynamodb:PutItem': 'write',
  'dynamodb:UpdateItem': 'write',
  'dynamodb:DeleteItem': 'write',
  'dynamodb:BatchWriteItem': 'write',
  'sqs:SendMessage': 'send',
  'sqs:ReceiveMessage': 'consume',
  'sqs:DeleteMessage': 'consume',
  'sqs:ChangeMessageVisibility': 'consume',
  'sqs:GetQueueAttributes': 'metadata',
  'sqs:GetQueueUrl': 'metadata',
  's3:GetObject*': 'read',
  's3:GetBucket*': 'list',
  's3:List*': 'list',
  's3:PutObject': 'write',
  's3:PutObjectLegalHold': 'write',
  's3:PutObjectRetention': 'write',
  's3:PutObjectTagging': 'write',
  's3:PutObjectVersionTagging': 'write',
  's3:Abort*': 'write',
  'execute-api:ManageConnections': 'manage',
  'secretsmanager:GetSecretValue': 'read',
  'secretsmanager:DescribeSecret': 'metadata',
};

const rw: Access[] = ['read', 'write'];
const bucketRead = { results: ['list'], resultsObjects: ['read'] } satisfies Grants;
const bucketReadWrite = { results: ['list'], resultsObjects: ['read', 'write'] } satisfies Grants;

/** What each function's code uses (see the comment above the grants in infra/crawler-stack.ts). */
const EXPECTED: Record<string, Grants> = {
  ConnectFunction: { connections: rw },
  DisconnectFunction: { connections: rw },
  DefaultFunction: { api: ['manage'] },
  // reuse by depth: writes an answer's manifest and exports (a build upon a cached crawl runs in the finisher's function)
  // (every function that may win a job's end asks the finisher: finishQueue send)
  CrawlFunction: { jobs: rw, frontier: rw, connections: rw, queue: ['send'], heartbeats: ['send'], finishQueue: ['send'], ...bucketReadWrite, api: ['manage'] },
  // reads a job; moves a running job to the asking connection (updates only: the job, the new and the old connection)
  StatusFunction: { jobs: rw, connections: ['write'], ...bucketRead, api: ['manage'] },
  CancelFunction: { jobs: rw, frontier: ['read'], connections: rw, finishQueue: ['send'], ...bucketReadWrite, api: ['manage'] },
  // reopens a job (its item and a slot of its connection), asks the finisher's function to put its
  // failed URLs back (finishQueue send), starts its heartbeat; ends the run if it cannot ask
  RedriveFunction: { jobs: rw, connections: rw, heartbeats: ['send'], finishQueue: ['send'], api: ['manage'] },
  CrawlerFunction: { jobs: rw, frontier: rw, connections: rw, queue: ['consume', 'send'], finishQueue: ['send'], ...bucketReadWrite, api: ['manage'] },
  SweepFunction: { jobs: rw, frontier: ['read'], connections: rw, finishQueue: ['send'], ...bucketReadWrite, api: ['manage'] },
  // the job's end: manifest, exports and archive (its index parts under finisher/), checkpoint and lease in the jobs table;
  // the routes' heavy work: a redrive's failed items put back and queued, a job built upon a cached crawl (items, copies, its URLs queued)
  FinisherFunction: { jobs: rw, frontier: rw, connections: rw, queue: ['send'], finishQueue: ['consume', 'send'], ...bucketReadWrite, finisherObjects: rw, api: ['manage'] },
  AuthorizeFunction: { token: ['read'] },
  // reads a running job, claims its progress slot, sends the next heartbeat
  HeartbeatFunction: { jobs: rw, heartbeats: ['consume', 'send'], api: ['manage'] },
};

function statementsOf(fnName: string): { Effect: string; Action: string | string[]; Resource: unknown }[] {
  const roleId = s.resource(s.id(fnName)).Properties.Role['Fn::GetAtt'][0] as string;
  return s
    .ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

function targetOf(resource: string): Target {
  const targets: [Target, string][] = [
    ['jobs', `<${s.id('Storage/Jobs')}.Arn>`],
    ['frontier', `<${s.id('Storage/Frontier')}.Arn>`],
    ['connections', `<${s.id('Storage/Connections')}.Arn>`],
    ['queue', `<${s.id('Crawl/Queue')}.Arn>`],
    ['deadLetters', `<${s.id('Crawl/DeadLetters')}.Arn>`],
    ['heartbeats', `<${s.id('Heartbeat/Queue')}.Arn>`],
    ['finishQueue', `<${s.id('Finish/Queue')}.Arn>`],
    // the jobs table's sparse index of open jobs (the sweeper's query)
    ['jobs', `<${s.id('Storage/Jobs')}.Arn>/index/*`],
    ['finisherObjects', `<${s.id('Storage/Results')}.Arn>/finisher/*`],
    ['results', `<${s.id('Storage/Results')}.Arn>`],
    ['resultsObjects', `<${s.id('Storage/Results')}.Arn>/jobs/*`],
    ['api', `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${s.id('WebSocket/Api')}>/prod/*/@connections/*`],
    ['token', `<${s.id('ConnectionToken')}>`],
  ];
  const found = targets.find(([, arn]) => arn === resource);
  if (!found) throw new Error(`grant on an unexpected resource: ${resource}`);
  return found[0];
}

function grantsOf(fnName: string): Grants {
  const grants: Partial<Record<Target, Set<Access>>> = {};
  for (const statement of statementsOf(fnName)) {
    expect(statement.Effect).toBe('Allow');
    for (const resource of [statement.Resource].flat().map(flatten)) {
      const target = targetOf(resource);
      for (const action of [statement.Action].flat()) {
        const access = ACCESS[action];
        if (!access) throw new Error(`${fnName}: unexpected action ${action} on ${resource}`);
        if (access === 'metadata') continue;
        // Bucket.grantRead puts bucket and object actions in one statement over both ARNs; IAM
        // applies each action to its own resource type only, and so does this reading.
        if (target === 'results' && access !== 'list') continue;
        if ((target === 'resultsObjects' || target === 'finisherObjects') && access === 'list') continue;
        (grants[target] ??= new Set()).add(access);
      }
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([target, set]) => [target, [...set].sort()]));
}

describe('each function holds only what it uses', () => {
  it.each(Object.entries(EXPECTED))('%s', (fnName, expected) => {
    expect(grantsOf(fnName)).toEqual(expected);
  });

  it('no function can touch the dead-letter queue or delete results', () => {
    for (const fnName of Object.keys(EXPECTED)) {
      const actions = statementsOf(fnName).flatMap((st) => [st.Action].flat());
      expect(actions.filter((a) => /^s3:Delete|^sqs:(Purge|Delete)Queue|^dynamodb:(DeleteTable|UpdateTable)/.test(a))).toEqual([]);
      expect(JSON.stringify(statementsOf(fnName))).not.toContain(s.id('Crawl/DeadLetters'));
      expect(JSON.stringify(statementsOf(fnName))).not.toContain(s.id('Finish/DeadLetters'));
    }
  });

  it('permissions come only from grants: no inline policies, and the only managed policy is basic logging', () => {
    for (const fnName of Object.keys(EXPECTED)) {
      const roleId = s.resource(s.id(fnName)).Properties.Role['Fn::GetAtt'][0] as string;
      const role = s.resource(roleId).Properties;
      expect(role.Policies).toBeUndefined();
      expect(role.ManagedPolicyArns.map(flatten)).toEqual(['arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    }
  });

  it('scopes execute-api:ManageConnections to @connections of this API and stage, and grants nothing else on execute-api', () => {
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'execute-api:ManageConnections',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': [
                '',
                Match.arrayWith([':execute-api:', { Ref: s.id('WebSocket/Api') }, '/prod/*/@connections/*']),
              ],
            },
          },
        ]),
      },
    });
    for (const [, policy] of s.ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        const actions = [statement.Action].flat();
        if (!actions.some((a) => a.startsWith('execute-api:'))) continue;
        expect(actions).toEqual(['execute-api:ManageConnections']);
        expect(flatten(statement.Resource)).toBe(
          `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${s.id('WebSocket/Api')}>/prod/*/@connections/*`,
        );
      }
    }
  });

  it('uses no wildcard action and no "*" resource', () => {
    for (const [, policy] of s.ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        expect([statement.Action].flat().filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
        expect([statement.Resource].flat()).not.toContain('*');
      }
    }
  });
});
