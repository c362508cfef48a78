// Deployment settings from CDK context (`cdk deploy -c crawlerMemoryMb=3008`), with defaults.
import type { Node } from 'constructs';

export type AuthMode = 'token' | 'none';

export interface CrawlerSettings {
  /** 'token': $connect requires ?token=<the generated secret>; 'none': an open API */
  auth: AuthMode;
  maxDepth: number;
  maxPages: number;
  defaultMaxPages: number;
  maxAttempts: number;
  crawlerMemoryMb: number;
  crawlerTimeoutSeconds: number;
  crawlerBatchSize: number;
  crawlerMaxConcurrency: number;
  maxReceiveCount: number;
  logRetentionDays: number;
  resultsRetentionDays: number;
  jobTimeLimitSeconds: number;
  maxJobsPerConnection: number;
}

export const DEFAULT_SETTINGS: CrawlerSettings = {
  auth: 'token',
  maxDepth: 5,
  maxPages: 10_000,
  defaultMaxPages: 200,
  maxAttempts: 3,
  crawlerMemoryMb: 2048,
  crawlerTimeoutSeconds: 90,
  crawlerBatchSize: 5,
  crawlerMaxConcurrency: 10,
  maxReceiveCount: 5,
  logRetentionDays: 30,
  resultsRetentionDays: 30,
  jobTimeLimitSeconds: 3600,
  maxJobsPerConnection: 5,
};

const LIMITS: Partial<Record<keyof CrawlerSettings, [number, number]>> = {
  crawlerMemoryMb: [1024, 10_240],
  crawlerTimeoutSeconds: [30, 900],
  crawlerBatchSize: [1, 10],
  crawlerMaxConcurrency: [2, 1000],
  maxReceiveCount: [2, 1000],
};

export function readSettings(node: Node): CrawlerSettings {
  const settings = { ...DEFAULT_SETTINGS };
  const auth: unknown = node.tryGetContext('auth');
  if (auth !== undefined) {
    if (auth !== 'token' && auth !== 'none') throw new Error(`context auth must be "token" or "none", got ${JSON.stringify(auth)}`);
    settings.auth = auth;
  }
  for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof CrawlerSettings)[]) {
    if (key === 'auth') continue;
    const raw: unknown = node.tryGetContext(key);
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`context ${key} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    const range = LIMITS[key];
    if (range && (value < range[0] || value > range[1])) throw new Error(`context ${key} must be between ${range[0]} and ${range[1]}, got ${value}`);
    (settings as unknown as Record<string, number>)[key] = value;
  }
  if (settings.maxReceiveCount <= settings.maxAttempts) {
    throw new Error('maxReceiveCount must exceed maxAttempts: the crawler records a failure itself before the DLQ takes a message');
  }
  return settings;
}
