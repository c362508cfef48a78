// Each function's role, read back from the template as "on which resource, which exact actions",
// and compared with what its code calls (functions/handlers/* → functions/app/* → functions/adapters/*).
// EXPECTED states it independently of infra/function-access.ts: a grant added there, or a broad
// grant added anywhere (grantReadWriteData, grantRead…), fails here until this table says so.
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, synth, type Synthesized } from './synth.js';

let s: Synthesized;
beforeAll(() => {
  s = synth();
});

type Target =
  | 'jobs'
  | 'jobsOpenIndex'
  | 'frontier'
  | 'connections'
  | 'secrets'
  | 'crawlQueue'
  | 'heartbeatQueue'
  | 'finishQueue'
  | 'webhookQueue'
  | 'resultsBucket'
  | 'jobObjects'
  | 'finisherObjects'
  | 'connectionsApi'
  | 'token'
  | 'schedules'
  | 'schedulerRole';
type Grants = Partial<Record<Target, string[]>>;

/** what CDK's SqsEventSource grants the function whose queue it polls (the Lambda service receives and deletes with the function's role) */
const CONSUMED = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'];
const POST = ['execute-api:ManageConnections'];
/** a job read: its item and its counter shards */
const READ_JOB = ['dynamodb:BatchGetItem', 'dynamodb:GetItem'];

/** What each function's code calls (see infra/function-access.ts for the call paths). */
const EXPECTED: Record<string, Grants> = {
  ConnectFunction: { connections: ['dynamodb:PutItem'] },
  // the only DeleteItem of the stack
  DisconnectFunction: { connections: ['dynamodb:DeleteItem'] },
  DefaultFunction: { connectionsApi: POST },
  // a job created (job + shards, seed, slot); reuse by maxAge: cache entries and the cached job's item,
  // an equal depth answered with presigned URLs; no listing, no copy, no object written (the finisher's)
  CrawlFunction: {
    jobs: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    // a job's seed credentials put with it (deleted when its seed could not be queued)
    secrets: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
    frontier: ['dynamodb:PutItem'],
    connections: ['dynamodb:UpdateItem'],
    crawlQueue: ['sqs:SendMessage'],
    heartbeatQueue: ['sqs:SendMessage'],
    finishQueue: ['sqs:SendMessage'],
    jobObjects: ['s3:GetObject'],
    // a cache answer's end delivered to the job's webhook
    webhookQueue: ['sqs:SendMessage'],
    connectionsApi: POST,
  },
  // reads a job; moves a running job to the asking connection (updates only); presigns the manifest
  StatusFunction: { jobs: [...READ_JOB, 'dynamodb:UpdateItem'], connections: ['dynamodb:UpdateItem'], jobObjects: ['s3:GetObject'], connectionsApi: POST },
  // begins the end (one update) and asks the finisher; nothing of the frontier, no slot, no object written
  CancelFunction: { jobs: [...READ_JOB, 'dynamodb:UpdateItem'], secrets: ['dynamodb:DeleteItem'], finishQueue: ['sqs:SendMessage'], jobObjects: ['s3:GetObject'], connectionsApi: POST },
  // reopens a job from its counters (job, a slot, the quota: one transaction), its heartbeat; asks the finisher's function for the rest
  RedriveFunction: {
    jobs: [...READ_JOB, 'dynamodb:UpdateItem'],
    connections: ['dynamodb:UpdateItem'],
    heartbeatQueue: ['sqs:SendMessage'],
    finishQueue: ['sqs:SendMessage'],
    connectionsApi: POST,
  },

  // claims, admits, caps, settles URLs; host-rate slots; archive digests and byte budget; no Query, no delete
  CrawlerFunction: {
    jobs: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
    frontier: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    connections: ['dynamodb:UpdateItem'],
    secrets: ['dynamodb:DeleteItem', 'dynamodb:GetItem'],
    crawlQueue: [...CONSUMED, 'sqs:SendMessage'].sort(),
    finishQueue: ['sqs:SendMessage'],
    resultsBucket: ['s3:ListBucket'],
    jobObjects: ['s3:GetObject', 's3:PutObject'],
    connectionsApi: POST,
  },
  // lists open jobs by the sparse index (a Query, no Scan), ends the stale ones, resumes finishes
  SweepFunction: {
    jobs: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
    jobsOpenIndex: ['dynamodb:Query'],
    connections: ['dynamodb:UpdateItem'],
    secrets: ['dynamodb:DeleteItem'],
    finishQueue: ['sqs:SendMessage'],
    jobObjects: ['s3:GetObject'],
    connectionsApi: POST,
  },
  // reads a running job, claims its progress slot, sends the next heartbeat
  HeartbeatFunction: { jobs: [...READ_JOB, 'dynamodb:UpdateItem'], heartbeatQueue: [...CONSUMED, 'sqs:SendMessage'].sort(), connectionsApi: POST },
  // the job's end: lease and checkpoint, the frontier streamed, manifest, exports, WACZ (index parts
  // under finisher/), the final state and its cache entry, the slot, `completed`; the end of a job
  // it built or cut from a cached crawl with nothing left to crawl (a transaction over its shards)
  FinisherFunction: {
    jobs: [...READ_JOB, 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort(),
    // BatchGetItem: a `since` crawl's report asks which of the earlier job's URLs this one holds
    frontier: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    connections: ['dynamodb:UpdateItem'],
    secrets: ['dynamodb:DeleteItem'],
    crawlQueue: ['sqs:SendMessage'],
    finishQueue: [...CONSUMED, 'sqs:SendMessage'].sort(),
    // the job's end queued for its webhook
    webhookQueue: ['sqs:SendMessage'],
    resultsBucket: ['s3:ListBucket'],
    jobObjects: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
    finisherObjects: ['s3:GetObject', 's3:PutObject'],
    connectionsApi: POST,
  },
  // a delivery's state on the job item (read, recorded), its receiver and secret (read), the next attempt
  WebhookFunction: { jobs: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], secrets: ['dynamodb:GetItem'], webhookQueue: [...CONSUMED, 'sqs:SendMessage'].sort() },
  AuthorizeFunction: { token: ['secretsmanager:GetSecretValue'] },
  // schedule: its item and the owner's count in one transaction (put + update), marked removed again
  // when its timer cannot be made (GetItem when that finds it changed); creates the EventBridge
  // schedule and passes the scheduler's role to it; nothing else of the scheduler
  ScheduleFunction: {
    jobs: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    schedules: ['scheduler:CreateSchedule'],
    schedulerRole: ['iam:PassRole'],
    connectionsApi: POST,
  },
  // unschedule: marks removed (no DeleteItem: the item expires), deletes the EventBridge schedule
  UnscheduleFunction: { jobs: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], schedules: ['scheduler:DeleteSchedule'], connectionsApi: POST },
  // schedules: reads only
  SchedulesFunction: { jobs: READ_JOB, connectionsApi: POST },
  // the schedules' target: reads the schedule, claims the firing, and submits the run as the crawl route does
  ScheduleRunFunction: {
    jobs: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    secrets: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
    frontier: ['dynamodb:PutItem', 'dynamodb:Query'],
    connections: ['dynamodb:UpdateItem'],
    crawlQueue: ['sqs:SendMessage'],
    heartbeatQueue: ['sqs:SendMessage'],
    finishQueue: ['sqs:SendMessage'],
    resultsBucket: ['s3:ListBucket'],
    jobObjects: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
    finisherObjects: ['s3:GetObject', 's3:PutObject'],
    connectionsApi: POST,
  },
};

function statementsOf(fnName: string): { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[] {
  const roleId = s.resource(s.id(fnName)).Properties.Role['Fn::GetAtt'][0] as string;
  return s
    .ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

function targetOf(resource: string): Target {
  const targets: [Target, string][] = [
    ['jobs', `<${s.id('Storage/Jobs')}.Arn>`],
    ['jobsOpenIndex', `<${s.id('Storage/Jobs')}.Arn>/index/unfinished`],
    ['frontier', `<${s.id('Storage/Frontier')}.Arn>`],
    ['connections', `<${s.id('Storage/Connections')}.Arn>`],
    ['secrets', `<${s.id('Storage/Secrets')}.Arn>`],
    ['crawlQueue', `<${s.id('Crawl/Queue')}.Arn>`],
    ['heartbeatQueue', `<${s.id('Heartbeat/Queue')}.Arn>`],
    ['finishQueue', `<${s.id('Finish/Queue')}.Arn>`],
    ['webhookQueue', `<${s.id('Webhook/Queue')}.Arn>`],
    ['resultsBucket', `<${s.id('Storage/Results')}.Arn>`],
    ['jobObjects', `<${s.id('Storage/Results')}.Arn>/jobs/*`],
    ['finisherObjects', `<${s.id('Storage/Results')}.Arn>/finisher/*`],
    ['connectionsApi', `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${s.id('WebSocket/Api')}>/prod/POST/@connections/*`],
    ['token', `<${s.id('ConnectionToken')}>`],
    ['schedules', `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${scheduleGroupName()}/*`],
    ['schedulerRole', `<${s.id('Schedules/Role')}.Arn>`],
  ];
  const found = targets.find(([, arn]) => arn === resource);
  if (!found) throw new Error(`grant on an unexpected resource: ${resource}`);
  return found[0];
}

/** the schedule group's name, as the template gives it (a literal CDK made) */
function scheduleGroupName(): string {
  return s.resource(s.id('Schedules/Group')).Properties.Name as string;
}

/** target → the sorted actions the function's role allows on it */
function grantsOf(fnName: string): Grants {
  const grants: Partial<Record<Target, Set<string>>> = {};
  for (const statement of statementsOf(fnName)) {
    expect(statement.Effect).toBe('Allow');
    for (const resource of [statement.Resource].flat().map(flatten)) {
      const target = targetOf(resource);
      for (const action of [statement.Action].flat()) (grants[target] ??= new Set()).add(action);
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([target, set]) => [target, [...set].sort()]));
}

/** every function's actions, over all its statements */
function actionsOf(fnName: string): string[] {
  return statementsOf(fnName).flatMap((st) => [st.Action].flat());
}

describe('each function holds only what it uses', () => {
  it.each(Object.entries(EXPECTED))('%s: exactly these actions on these resources', (fnName, expected) => {
    expect(grantsOf(fnName)).toEqual(expected);
  });

  it('every function of the stack is in EXPECTED', () => {
    const functions = s
      .ofType('AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => !id.startsWith('CustomS3AutoDeleteObjects') && !id.startsWith('LogRetention'));
    expect(functions.sort()).toEqual(Object.keys(EXPECTED).map((name) => s.id(name)).sort());
  });

  it('no Scan anywhere; the sweeper alone lists jobs, by a Query of the open-jobs index', () => {
    for (const fnName of Object.keys(EXPECTED)) expect(actionsOf(fnName), fnName).not.toContain('dynamodb:Scan');
    const indexQueriers = Object.keys(EXPECTED).filter((fnName) => grantsOf(fnName).jobsOpenIndex);
    expect(indexQueriers).toEqual(['SweepFunction']);
  });

  it('DeleteItem only where an item is deleted ($disconnect; a job’s credentials once it stops running); BatchWriteItem only for the reused frontier the finisher’s function writes', () => {
    const holders = (action: string) => Object.keys(EXPECTED).filter((fnName) => actionsOf(fnName).includes(action));
    const deletersOutsideSecrets = Object.keys(EXPECTED).filter((fnName) =>
      Object.entries(grantsOf(fnName)).some(([target, actions]) => target !== 'secrets' && (actions as string[]).includes('dynamodb:DeleteItem')),
    );
    expect(deletersOutsideSecrets).toEqual(['DisconnectFunction']);
    expect(holders('dynamodb:DeleteItem').filter((f) => f !== 'DisconnectFunction').sort()).toEqual(
      ['CancelFunction', 'CrawlFunction', 'CrawlerFunction', 'FinisherFunction', 'ScheduleRunFunction', 'SweepFunction'],
    );
    expect(grantsOf('DisconnectFunction')).toEqual({ connections: ['dynamodb:DeleteItem'] });
    expect(holders('dynamodb:BatchWriteItem')).toEqual(['FinisherFunction']);
    expect(grantsOf('FinisherFunction').frontier).toContain('dynamodb:BatchWriteItem');
  });

  it('no function can touch the dead-letter queues, delete results or change a table or queue', () => {
    for (const fnName of Object.keys(EXPECTED)) {
      expect(actionsOf(fnName).filter((a) => /^s3:Delete|^s3:PutBucket|^sqs:(Purge|Delete)Queue|^sqs:SetQueue|^dynamodb:(Delete|Update|Create)Table/.test(a))).toEqual([]);
      expect(JSON.stringify(statementsOf(fnName))).not.toContain(s.id('Crawl/DeadLetters'));
      expect(JSON.stringify(statementsOf(fnName))).not.toContain(s.id('Finish/DeadLetters'));
    }
  });

  it('permissions come only from these statements: no inline policies, and the only managed policy is basic logging', () => {
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

  it('scopes execute-api:ManageConnections to POST on @connections of this API and stage, and grants nothing else on execute-api', () => {
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'execute-api:ManageConnections',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': ['', Match.arrayWith([':execute-api:', { Ref: s.id('WebSocket/Api') }, '/prod/POST/@connections/*'])],
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
          `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${s.id('WebSocket/Api')}>/prod/POST/@connections/*`,
        );
      }
    }
  });

  it('names every action in full (no wildcard in any action) and no "*" resource', () => {
    for (const [, policy] of s.ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        expect([statement.Action].flat().filter((a) => a.includes('*'))).toEqual([]);
        expect([statement.Resource].flat()).not.toContain('*');
      }
    }
  });

  it("EventBridge Scheduler's role may invoke the schedule-run function and send to its DLQ, nothing else, and only the scheduler of this account assumes it", () => {
    const role = s.resource(s.id('Schedules/Role')).Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
    ]);
    expect(role.ManagedPolicyArns).toBeUndefined();
    const statements = s
      .ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === s.id('Schedules/Role')))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string; Resource: unknown }[]);
    expect(statements.map((st) => [st.Action, flatten(st.Resource)]).sort()).toEqual([
      ['lambda:InvokeFunction', `<${s.id('ScheduleRunFunction')}.Arn>`],
      ['sqs:SendMessage', `<${s.id('Schedules/DeadLetters')}.Arn>`],
    ]);
    // only the schedule route may hand the role to a schedule, and only the two schedule routes touch schedules
    const passers = Object.keys(EXPECTED).filter((fnName) => actionsOf(fnName).includes('iam:PassRole'));
    expect(passers).toEqual(['ScheduleFunction']);
    expect(Object.keys(EXPECTED).filter((fnName) => actionsOf(fnName).some((a) => a.startsWith('scheduler:'))).sort()).toEqual(['ScheduleFunction', 'UnscheduleFunction']);
  });

  it('without the token authorizer (auth=none) no function may read the token, and the others keep their grants', () => {
    const open = synth({ auth: 'none' });
    expect(open.ofType('AWS::SecretsManager::Secret')).toEqual([]);
    expect(JSON.stringify(open.ofType('AWS::IAM::Policy'))).not.toContain('secretsmanager:');
    const roleId = open.resource(open.id('CrawlerFunction')).Properties.Role['Fn::GetAtt'][0] as string;
    const crawlerActions = open
      .ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
      .flatMap((st) => [st.Action].flat());
    expect(new Set(crawlerActions)).toEqual(new Set(Object.values(EXPECTED.CrawlerFunction!).flat()));
  });
});
