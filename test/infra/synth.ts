// Synthesizes the stack in process for template tests: the context of cdk.json (feature flags
// change policy shapes), bundling skipped (these tests are about properties; stack-synth.test.ts
// bundles once) and the CloudFormation validator off (cfn-validator.test.ts and the CLI synth keep it on).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { afterAll } from 'vitest';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/app.js';
import type { CrawlerStack } from '../../infra/crawler-stack.js';

export const projectRoot = new URL('../../', import.meta.url).pathname;

export const cdkJson = JSON.parse(readFileSync(`${projectRoot}cdk.json`, 'utf8')) as { app: string; notices: boolean; context: Record<string, unknown> };

export interface Synthesized {
  app: App;
  stack: CrawlerStack;
  template: Template;
  /** the logical id of the construct at this path under the stack, e.g. 'Storage/Jobs' */
  id(path: string): string;
  resource(id: string): Resource;
  ofType(type: string): [string, Resource][];
  /** the one resource of this type (fails when there are none or several) */
  single(type: string): [string, Resource];
}

export interface Resource {
  Type: string;
  Properties: Record<string, any>;
  DependsOn?: string[];
  DeletionPolicy?: string;
}

/**
 * Where the apps of a test file synthesize, removed after the file: left to itself, each App makes
 * a /tmp/cdk.outXXXX with its assets (~66 MB: the Chromium layer) that nothing removes, and a few
 * runs of the suite filled the disk. (Each test file imports this module afresh.)
 */
let outdirs: string | undefined;
// Registered as the file is collected (a hook added while a test runs would not be).
afterAll(() => {
  if (outdirs) rmSync(outdirs, { recursive: true, force: true });
  outdirs = undefined;
});
function ownOutdir(): string {
  outdirs ??= mkdtempSync(join(tmpdir(), 'crawler-synth-'));
  return mkdtempSync(join(outdirs, 'app-'));
}

export function newApp(context: Record<string, unknown> = {}, options: { validation?: boolean; outdir?: string } = {}): App {
  return new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context },
    builtinCloudFormationValidation: options.validation ?? false,
    outdir: options.outdir ?? ownOutdir(),
  });
}

export function synth(context: Record<string, unknown> = {}): Synthesized {
  const { app, stack } = buildApp(newApp(context));
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const find = (path: string): IConstruct => {
    let node: IConstruct = stack;
    for (const part of path.split('/')) node = node.node.findChild(part);
    return node;
  };
  return {
    app,
    stack,
    template,
    id: (path) => stack.getLogicalId((find(path).node.defaultChild ?? find(path)) as CfnElement),
    resource: (id) => {
      const found = resources[id];
      if (!found) throw new Error(`no resource ${id}`);
      return found;
    },
    ofType: (type) => Object.entries(resources).filter(([, r]) => r.Type === type),
    single: (type) => {
      const found = Object.entries(resources).filter(([, r]) => r.Type === type);
      if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
      return found[0]!;
    },
  };
}

/**
 * A CloudFormation value with intrinsic functions, flattened to a string: Fn::Join parts joined,
 * { Ref: X } → <X>, { Fn::GetAtt: [X, Y] } → <X.Y>. Enough to read ARNs and the dashboard body.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.map(flatten).join(',');
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}>`;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(flatten).join(v['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}

/** the schedule functions (issue #29): construct id → handler file, and route → construct id (test/infra/schedules.test.ts) */
export const SCHEDULE_FUNCTIONS = { ScheduleFunction: 'schedule', UnscheduleFunction: 'unschedule', SchedulesFunction: 'schedules', ScheduleRunFunction: 'schedule-run' } as const;
export const SCHEDULE_ROUTES = { schedule: 'ScheduleFunction', unschedule: 'UnscheduleFunction', schedules: 'SchedulesFunction' } as const;

/** construct id of each function → the handler file it bundles */
export const FUNCTIONS = {
  ConnectFunction: 'connect',
  DisconnectFunction: 'disconnect',
  DefaultFunction: 'default',
  CrawlFunction: 'crawl',
  StatusFunction: 'status',
  CancelFunction: 'cancel',
  RedriveFunction: 'redrive',
  CrawlerFunction: 'worker',
  SweepFunction: 'sweep',
  HeartbeatFunction: 'heartbeat',
  FinisherFunction: 'finish',
  WebhookFunction: 'webhook',
  AuthorizeFunction: 'authorize',
  ...SCHEDULE_FUNCTIONS,
} as const;
/** route key → the construct id of the function it invokes */
export const ROUTES = {
  $connect: 'ConnectFunction',
  $disconnect: 'DisconnectFunction',
  $default: 'DefaultFunction',
  crawl: 'CrawlFunction',
  status: 'StatusFunction',
  cancel: 'CancelFunction',
  redrive: 'RedriveFunction',
  ...SCHEDULE_ROUTES,
} as const;
