// cdk-nag's AwsSolutions pack on the stack (findings fail the synth unless acknowledged), the
// reasons given for what is acknowledged, and the built-in CloudFormation validator as cdk.json
// configures it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.js';
import { newApp } from './synth.js';

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Report {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: unknown[];
    suppressedViolations: { ruleName: string; reason: string; acknowledgedAt: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

function synthWithReport(context: Record<string, unknown>, acknowledge = true): Report {
  const outdir = mkdtempSync(join(tmpdir(), 'crawler-nag-'));
  outdirs.push(outdir);
  const app = newApp(context, { outdir });
  buildApp(app, { acknowledge }).app.synth();
  return JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
}

describe('cdk-nag AwsSolutions', () => {
  it.each([
    ['the defaults', {}],
    ['auth=none', { auth: 'none' }],
    ['no logging role, alarms to a topic', { apiGatewayLoggingRole: false, alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops' }],
  ])('finds nothing unacknowledged with %s', (_name, context) => {
    const report = synthWithReport(context);
    const nag = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
    expect(nag?.conclusion).toBe('success');
    expect(nag?.violations).toEqual([]);
  });

  it('gives every acknowledged finding a reason, on the constructs concerned rather than the whole stack', () => {
    const nag = synthWithReport({}).pluginReports.find((r) => r.pluginName === 'AwsSolutions')!;
    expect(nag.suppressedViolations.length).toBeGreaterThan(0);
    for (const finding of nag.suppressedViolations) {
      expect(finding.reason.length, finding.ruleName).toBeGreaterThan(80);
      expect(finding.acknowledgedAt, finding.ruleName).not.toBe('Crawler');
      for (const construct of finding.violatingConstructs) expect(construct.constructPath.startsWith(`${finding.acknowledgedAt}/`)).toBe(true);
    }
    const rules = new Set(nag.suppressedViolations.map((f) => f.ruleName.replace(/\[.*$/, '')));
    // What is accepted, and nothing else: managed logging policies, run-time ids in ARNs, the
    // WebSocket authorizer being on $connect only, a static connection token, and the seed
    // credentials' table without point-in-time recovery (so a deleted secret stays deleted), and
    // EventBridge Scheduler's DLQ, which no queue's redrive policy names (schedules name it).
    expect([...rules].sort()).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-DDB3', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-SMG4', 'AwsSolutions-SQS3']);
  });

  it('is live: without the acknowledgements the synth fails', () => {
    const app = newApp();
    buildApp(app, { acknowledge: false });
    expect(() => app.synth()).toThrow(/AwsSolutions-(IAM4|IAM5|APIG4)/);
  });
});

describe('CloudFormation validator', () => {
  it('fails the synth on a template error, with the validation settings of cdk.json', () => {
    const app = newApp({}, { validation: true });
    const stack = new Stack(app, 'Broken');
    new CfnResource(stack, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 99_999 } });
    expect(() => app.synth()).toThrow(/VisibilityTimeout: 99999 is greater than the maximum of 43200/);
  });

  it('finds nothing in the stack, not even a warning', () => {
    const app = newApp({ '@aws-cdk/core:strictCfnValidateErrors': true }, { validation: true });
    buildApp(app);
    expect(() => app.synth()).not.toThrow();
  }, 60_000);
});
