// The local stack runs the deployed stack's limits by default: the template `cdk deploy` would
// create and the local stack's own resolution of its limits (local/stack-limits.ts) agree on every
// timing and limit a crawl depends on. A flag may shorten one for a test; none does by default.
import { describe, expect, it } from 'vitest';
import { readSettings } from '../../infra/settings.js';
import { localLimits } from '../../local/stack-limits.js';
import { synth, newApp } from './synth.js';

const SETTINGS_CONTEXTS: Record<string, unknown>[] = [{}, { crawlerTimeoutSeconds: '120', maxReceiveCount: '7', hostRateCeiling: '0.5', jobTimeLimitSeconds: '7200', crawlerMemoryMb: '3008' }];

describe('local = deployed', () => {
  it.each(SETTINGS_CONTEXTS)('the local stack resolves the template’s limits for context %o', (context) => {
    const s = synth(context);
    const local = localLimits({ settings: readSettings(newApp(context).node) });
    const fn = (id: string) => s.resource(s.id(id)).Properties;
    const crawler = fn('CrawlerFunction');

    expect(s.resource(s.id('Crawl/Queue')).Properties).toMatchObject({
      VisibilityTimeout: local.visibilityTimeoutSeconds,
      RedrivePolicy: { maxReceiveCount: local.maxReceiveCount },
    });
    expect(crawler.Timeout * 1000).toBe(local.workerTimeoutMs);
    expect(crawler.MemorySize).toBe(local.deployed.crawler.memoryMb);
    const mappingOf = (fnId: string) =>
      s.ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => JSON.stringify(m.Properties.FunctionName).includes(s.id(fnId)))![1].Properties;
    expect(mappingOf('CrawlerFunction').BatchSize).toBe(local.batchSize);
    expect(mappingOf('HeartbeatFunction').BatchSize).toBe(local.deployed.heartbeat.batchSize);
    expect(fn('HeartbeatFunction').Timeout).toBe(local.deployed.heartbeat.timeoutSeconds);
    expect(fn('HeartbeatFunction').MemorySize).toBe(local.deployed.heartbeat.memoryMb);
    // Every limit the functions read from their environment has the same value in both.
    for (const [name, value] of Object.entries(local.environment)) {
      expect({ [name]: crawler.Environment.Variables[name] }).toEqual({ [name]: value });
    }
    for (const [id, route] of [['CrawlFunction', 'crawl'], ['StatusFunction', 'status'], ['CancelFunction', 'cancel'], ['RedriveFunction', 'redrive'], ['ConnectFunction', 'connect']] as const) {
      expect({ [id]: fn(id).Timeout * 1000 }).toEqual({ [id]: local.routeTimeoutMs(route) });
      expect(fn(id).MemorySize).toBe(local.deployed.routeMemoryMb);
    }
    expect(fn('SweepFunction').Timeout * 1000).toBe(local.sweepTimeoutMs);
    const [, rule] = s.single('AWS::Events::Rule');
    expect(rule.Properties.ScheduleExpression).toBe(`rate(${local.sweepIntervalMs / 60_000} minutes)`);
  });

  it('a test shortens a timing only by saying so', () => {
    const defaults = localLimits();
    expect(defaults.visibilityTimeoutSeconds).toBe(540);
    expect(defaults.workerTimeoutMs).toBe(90_000);
    expect(defaults.environment.HOST_RATE_CEILING).toBe('2');
    expect(defaults.environment.JOB_TIME_LIMIT_SECONDS).toBe('3600');
    const shortened = localLimits({ visibilityTimeoutSeconds: 60, workerTimeoutMs: 50_000 });
    expect(shortened.environment.LEASE_MS).toBe('50000');
    expect(shortened.environment.STALL_TIMEOUT_MS).toBe(String(60 * 6 * 1000));
  });
});
