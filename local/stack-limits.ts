// The limits a local stack runs under: the deployed stack's (infra/deployed-limits.ts) unless a
// test shortens them through the stack's options. Pure, so a test can hold it against the template.
import { deployedLimits, stallTimeoutMs, type DeployedLimits } from '../infra/deployed-limits.js';
import type { CrawlerSettings } from '../infra/settings.js';

export interface LocalLimitOptions {
  settings?: CrawlerSettings;
  visibilityTimeoutSeconds?: number;
  workerTimeoutMs?: number;
  maxReceiveCount?: number;
  batchSize?: number;
  sweepIntervalMs?: number;
}

export interface LocalLimits {
  deployed: DeployedLimits;
  visibilityTimeoutSeconds: number;
  workerTimeoutMs: number;
  maxReceiveCount: number;
  batchSize: number;
  sweepIntervalMs: number;
  sweepTimeoutMs: number;
  /** route key → invocation timeout (ms) */
  routeTimeoutMs: (routeFile: string) => number;
  /** every function's environment that follows from the limits (resource names are the stack's) */
  environment: Record<string, string>;
}

export function localLimits(options: LocalLimitOptions = {}): LocalLimits {
  const deployed = deployedLimits(options.settings);
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? deployed.visibilityTimeoutSeconds;
  const workerTimeoutMs = options.workerTimeoutMs ?? Math.min(deployed.crawler.timeoutSeconds * 1000, visibilityTimeoutSeconds * 1000 - 1000);
  const maxReceiveCount = options.maxReceiveCount ?? deployed.maxReceiveCount;
  // A test that shortens the timings gets a lease as long as its invocations (it expires well
  // before its shorter visibility timeout); the deployed lease is the crawler's timeout + a margin.
  const shortened = options.visibilityTimeoutSeconds !== undefined || options.workerTimeoutMs !== undefined;
  const leaseMs = shortened ? Math.max(1000, workerTimeoutMs) : deployed.leaseSeconds * 1000;
  return {
    deployed,
    visibilityTimeoutSeconds,
    workerTimeoutMs,
    maxReceiveCount,
    batchSize: options.batchSize ?? deployed.crawler.batchSize,
    sweepIntervalMs: options.sweepIntervalMs ?? deployed.sweep.everySeconds * 1000,
    sweepTimeoutMs: deployed.sweep.timeoutSeconds * 1000,
    routeTimeoutMs: (file) => (file === 'crawl' ? deployed.crawlRouteTimeoutSeconds : deployed.routeTimeoutSeconds) * 1000,
    environment: {
      ...deployed.environment,
      LEASE_MS: String(leaseMs),
      STALL_TIMEOUT_MS: String(stallTimeoutMs(visibilityTimeoutSeconds, maxReceiveCount)),
    },
  };
}
