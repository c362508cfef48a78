// Sharded job counters (functions/core/counter-shards.ts) read a job as its item plus its shard
// items in one BatchGetItem, and end it with one TransactWriteItems that updates the job item and
// checks each shard (ConditionCheckItem). Each function that reads jobs, or ends them on their
// counts, may make those calls on the jobs table (the exact grants: least-privilege.test.ts). The number of
// shards is a deployment setting (counterShards).
import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, synth, type Synthesized } from './synth.js';

let s: Synthesized;
beforeAll(() => {
  s = synth();
});

/** The DynamoDB actions a function's role allows on the jobs table. */
function jobsTableActions(fnName: string): Set<string> {
  const roleId = s.resource(s.id(fnName)).Properties.Role['Fn::GetAtt'][0] as string;
  const jobsArn = `<${s.id('Storage/Jobs')}.Arn>`;
  const actions = new Set<string>();
  for (const [, policy] of s.ofType('AWS::IAM::Policy')) {
    if (!(policy.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
      if (![statement.Resource].flat().map(flatten).includes(jobsArn)) continue;
      for (const action of [statement.Action].flat()) actions.add(action);
    }
  }
  return actions;
}

describe('the calls of sharded counters are allowed on the jobs table', () => {
  it.each(['CrawlerFunction', 'CrawlFunction', 'CancelFunction', 'RedriveFunction', 'StatusFunction', 'HeartbeatFunction', 'FinisherFunction'])(
    '%s reads a job as its item and its shards',
    (fnName) => {
      const actions = jobsTableActions(fnName);
      for (const action of ['dynamodb:GetItem', 'dynamodb:BatchGetItem']) expect(actions, `${fnName}: ${action}`).toContain(action);
    },
  );

  it('the sweeper reads the open jobs it lists with their shards (BatchGetItem)', () => {
    expect(jobsTableActions('SweepFunction')).toContain('dynamodb:BatchGetItem');
  });

  it('the crawl route creates the shards with the job (PutItem in its transaction)', () => {
    expect(jobsTableActions('CrawlFunction')).toContain('dynamodb:PutItem');
  });

  it.each(['CrawlerFunction', 'CrawlFunction'])('%s settles on a shard and ends a settled job by one transaction (UpdateItem + ConditionCheckItem of each shard)', (fnName) => {
    const actions = jobsTableActions(fnName);
    for (const action of ['dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem']) expect(actions, `${fnName}: ${action}`).toContain(action);
  });

  it('StatusFunction reads a job with its shards, and writes only the update that moves a running job to the asking connection', () => {
    const actions = jobsTableActions('StatusFunction');
    expect(actions).toContain('dynamodb:BatchGetItem');
    expect(actions).toContain('dynamodb:GetItem');
    expect([...actions].filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual(['dynamodb:UpdateItem']);
  });
});

describe('the counterShards setting', () => {
  it('reaches every function as COUNTER_SHARDS (default 4)', () => {
    expect(s.resource(s.id('CrawlerFunction')).Properties.Environment.Variables.COUNTER_SHARDS).toBe('4');
    const custom = synth({ counterShards: '16' });
    for (const fnName of ['CrawlerFunction', 'CrawlFunction']) {
      expect(custom.resource(custom.id(fnName)).Properties.Environment.Variables.COUNTER_SHARDS).toBe('16');
    }
  });

  it.each([0, 65, 'many'])('refuses %s (one transaction checks the job item and every shard)', (value) => {
    expect(() => synth({ counterShards: value })).toThrow(/counterShards must be/);
  });
});
