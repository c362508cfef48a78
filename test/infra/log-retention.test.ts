// Data at rest in CloudWatch Logs: no log group of the stack keeps its lines forever, the one API
// Gateway would create by itself for the stage's execution logs included.
import { beforeAll, describe, expect, it } from 'vitest';
import { flatten, synth, type Synthesized } from './synth.js';

let s: Synthesized;
beforeAll(() => {
  s = synth({ logRetentionDays: 14 });
});

describe('log retention', () => {
  it('declares the stage’s execution log group (API-Gateway-Execution-Logs_<api>/<stage>) with the retention, before the stage', () => {
    const id = s.id('WebSocket/ExecutionLogs');
    const group = s.resource(id);
    expect(flatten(group.Properties.LogGroupName)).toBe(`API-Gateway-Execution-Logs_<${s.id('WebSocket/Api')}>/prod`);
    expect(group.Properties.RetentionInDays).toBe(14);
    expect(s.resource(s.id('WebSocket/Stage')).DependsOn).toContain(id);
  });

  it('gives every log group of the template the retention setting', () => {
    const groups = s.ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(12);
    for (const [id, group] of groups) expect(group.Properties.RetentionInDays, id).toBe(14);
  });

  it('sends every function’s logs, CDK’s bucket emptier included, to one of those groups', () => {
    const groupIds = new Set(s.ofType('AWS::Logs::LogGroup').map(([id]) => id));
    for (const [id, fn] of s.ofType('AWS::Lambda::Function')) {
      const target = fn.Properties.LoggingConfig?.LogGroup;
      expect(target, id).toBeDefined();
      expect(groupIds.has(flatten(target).replace(/^<|>$/g, '')), `${id} → ${flatten(target)}`).toBe(true);
    }
    // ours, and CDK's bucket-emptying provider (its function is an AWS::Lambda::Function too)
    expect(s.ofType('AWS::Lambda::Function').map(([id]) => id)).toEqual(expect.arrayContaining([expect.stringMatching(/^CustomS3AutoDeleteObjects/)]));
  });
});
