// Deployment settings from CDK context (`cdk deploy -c crawlerMemoryMb=3008`), with defaults.
// Every key is documented in the README (Deploying on AWS → Settings) (a test keeps the two in step).
import type { Node } from 'constructs';
import { headroomProblem } from './preflight-check.js';

/** Where settings come from: an app's node, or the preflight's own reading of cdk.json and -c. */
export type ContextSource = Pick<Node, 'tryGetContext'>;

export type AuthMode = 'token' | 'none';
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface CrawlerSettings {
  /** 'token': $connect requires ?token=<the generated secret>; 'none': an open API */
  auth: AuthMode;
  maxDepth: number;
  maxPages: number;
  defaultMaxPages: number;
  maxAttempts: number;
  crawlerMemoryMb: number;
  crawlerTimeoutSeconds: number;
  /** one page's navigation; 0 = derived: min(30, crawlerTimeoutSeconds / 3) */
  navigationTimeoutSeconds: number;
  crawlerBatchSize: number;
  crawlerMaxConcurrency: number;
  /**
   * the account's unreserved Lambda concurrency in the region (`npm run preflight` prints it); when
   * set, the synth refuses a crawlerMaxConcurrency that would starve the other functions; 0 = unchecked
   */
  accountConcurrency: number;
  maxReceiveCount: number;
  logRetentionDays: number;
  resultsRetentionDays: number;
  jobTimeLimitSeconds: number;
  maxJobsPerConnection: number;
  /** jobs one client (token principal) may run at once over all its connections; 0: no limit */
  maxRunningJobsPerClient: number;
  /** pages one client may start a UTC day over all its connections; 0: no limit */
  maxPagesPerClientPerDay: number;
  logLevel: LogLevel;
  /** an existing SNS topic the alarms notify; '' = alarms without actions */
  alarmTopicArn: string;
  /** set the region's API Gateway logging role (needed once per account and region for stage logs) */
  apiGatewayLoggingRole: boolean;
  /** page navigations per second to any one host from the whole stack (decimals allowed, e.g. 0.5) */
  hostRateCeiling: number;
  /** the crawler's User-Agent header; '' = `Mozilla/5.0 (compatible; fanout-crawler/0.1)` */
  userAgent: string;
  /** `formats: ["archive"]`: MiB of payload one page's records keep (bodies beyond are cut, marked WARC-Truncated) */
  archiveMaxPageMb: number;
  /** `formats: ["archive"]`: MiB of payload a whole job's archive keeps (a DynamoDB counter shared by every crawler) */
  archiveMaxJobMb: number;
  /** counter shard items a new job counts its settles on (functions/core/counter-shards.ts) */
  counterShards: number;
  /** in-scope links one page may add to its crawl; the rest are counted in the job's linksDropped */
  maxLinksPerPage: number;
  /** KiB of the serialised DOM an extractor gets (the rest is cut before it crosses to the extractor's thread) */
  extractMaxHtmlKb: number;
  /**
   * an existing Secrets Manager secret (its ARN, or its name) holding the upstream proxies every
   * crawl leaves through (functions/core/upstream-proxy.ts); '' = none: crawls go straight out
   */
  upstreamProxiesSecret: string;
  /** a crawl may name its own upstream proxy (`proxy`) */
  allowCrawlProxy: boolean;
  /** seconds one webhook attempt may take before it counts as failed and is retried (functions/core/webhook.ts) */
  webhookTimeoutSeconds: number;
  /** the shortest interval a schedule may run at (minutes; EventBridge Scheduler's floor is 1): core/schedule.ts says why the default is 15 */
  scheduleMinIntervalMinutes: number;
  /** schedules one client may keep */
  maxSchedulesPerClient: number;
}

export const DEFAULT_SETTINGS: CrawlerSettings = {
  auth: 'token',
  maxDepth: 5,
  maxPages: 10_000,
  defaultMaxPages: 200,
  maxAttempts: 3,
  crawlerMemoryMb: 2048,
  crawlerTimeoutSeconds: 90,
  navigationTimeoutSeconds: 0,
  crawlerBatchSize: 5,
  crawlerMaxConcurrency: 10,
  accountConcurrency: 0,
  maxReceiveCount: 5,
  logRetentionDays: 30,
  resultsRetentionDays: 30,
  jobTimeLimitSeconds: 3600,
  maxJobsPerConnection: 5,
  maxRunningJobsPerClient: 10,
  maxPagesPerClientPerDay: 100_000,
  logLevel: 'INFO',
  alarmTopicArn: '',
  apiGatewayLoggingRole: true,
  hostRateCeiling: 2,
  userAgent: '',
  archiveMaxPageMb: 20,
  archiveMaxJobMb: 1024,
  counterShards: 4,
  maxLinksPerPage: 2000,
  extractMaxHtmlKb: 2048,
  upstreamProxiesSecret: '',
  allowCrawlProxy: false,
  webhookTimeoutSeconds: 10,
  scheduleMinIntervalMinutes: 15,
  maxSchedulesPerClient: 10,
};

type NumericKey = Exclude<{ [K in keyof CrawlerSettings]: CrawlerSettings[K] extends number ? K : never }[keyof CrawlerSettings], 'hostRateCeiling'>;

/** A secret's complete ARN (with its random suffix), or a secret's name as Secrets Manager allows them. */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;
const SECRET_NAME = /^[\w/+=.@-]{1,512}$/;

/** Inclusive bounds; Lambda's, SQS's and CloudFormation's own limits where they apply. */
const RANGES: Record<NumericKey, [number, number]> = {
  maxDepth: [0, 50],
  maxPages: [1, 1_000_000],
  defaultMaxPages: [1, 1_000_000],
  maxAttempts: [1, 100],
  crawlerMemoryMb: [1024, 10_240],
  crawlerTimeoutSeconds: [30, 900],
  navigationTimeoutSeconds: [0, 300],
  crawlerBatchSize: [1, 10],
  // SQS event sources accept 2–1000 for maximumConcurrency.
  crawlerMaxConcurrency: [2, 1000],
  accountConcurrency: [0, 1_000_000],
  maxReceiveCount: [2, 1000],
  logRetentionDays: [1, 3653],
  resultsRetentionDays: [1, 3650],
  // The handlers cap a job at MAX_JOB_TIME_LIMIT_SECONDS (6 h); the crawl queue keeps messages 4 days.
  jobTimeLimitSeconds: [60, 6 * 3600],
  maxJobsPerConnection: [1, 1000],
  maxRunningJobsPerClient: [0, 10_000],
  maxPagesPerClientPerDay: [0, 1_000_000_000],
  // A page's records are built in the crawler's memory (crawlerMemoryMb at most 10 GB).
  archiveMaxPageMb: [1, 512],
  // A WACZ is one S3 multipart upload: at most 10,000 parts, 5 TB.
  archiveMaxJobMb: [1, 1_000_000],
  // The end-of-job transaction holds the job item and one check per shard (MAX_COUNTER_SHARDS).
  counterShards: [1, 64],
  // The browser hands over at most MAX_LINKS_READ (functions/core/limits.ts) distinct links a page.
  maxLinksPerPage: [1, 20_000],
  // The page record keeps at most 10 MiB of DOM (adapters/browser/page-read.ts).
  extractMaxHtmlKb: [16, 10 * 1024],
  // The webhook function's timeout (deployed-limits.ts) leaves room for a batch's attempts.
  webhookTimeoutSeconds: [1, 30],
  // EventBridge Scheduler's rate floor is a minute; a day between runs is the most a floor needs.
  scheduleMinIntervalMinutes: [1, 1440],
  // `schedules` lists them in one answer (and one BatchGetItem).
  maxSchedulesPerClient: [1, 100],
};

/** The values CloudWatch Logs accepts for RetentionInDays. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];

function oneOf<T extends string>(key: string, raw: unknown, allowed: readonly T[]): T {
  if (typeof raw !== 'string' || !allowed.includes(raw as T)) {
    throw new Error(`context ${key} must be ${allowed.map((a) => `"${a}"`).join(' or ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}

export function readSettings(node: ContextSource): CrawlerSettings {
  const settings = { ...DEFAULT_SETTINGS };
  const auth: unknown = node.tryGetContext('auth');
  if (auth !== undefined) settings.auth = oneOf('auth', auth, ['token', 'none'] as const);
  const logLevel: unknown = node.tryGetContext('logLevel');
  if (logLevel !== undefined) settings.logLevel = oneOf('logLevel', typeof logLevel === 'string' ? logLevel.toUpperCase() : logLevel, LOG_LEVELS);
  const topic: unknown = node.tryGetContext('alarmTopicArn');
  if (topic !== undefined && topic !== '') {
    if (typeof topic !== 'string' || !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/.test(topic)) {
      throw new Error(`context alarmTopicArn must be an SNS topic ARN, got ${JSON.stringify(topic)}`);
    }
    settings.alarmTopicArn = topic;
  }

  const loggingRole: unknown = node.tryGetContext('apiGatewayLoggingRole');
  if (loggingRole !== undefined) {
    // `-c apiGatewayLoggingRole=false` arrives as a string.
    const value = oneOf('apiGatewayLoggingRole', String(loggingRole), ['true', 'false'] as const);
    settings.apiGatewayLoggingRole = value === 'true';
  }

  const proxies: unknown = node.tryGetContext('upstreamProxiesSecret');
  if (proxies !== undefined && proxies !== '') {
    if (typeof proxies !== 'string' || (proxies.startsWith('arn:') ? !SECRET_ARN.test(proxies) : !SECRET_NAME.test(proxies))) {
      throw new Error(`context upstreamProxiesSecret must be a Secrets Manager secret's complete ARN or its name, got ${JSON.stringify(proxies).slice(0, 120)}`);
    }
    settings.upstreamProxiesSecret = proxies;
  }
  const crawlProxy: unknown = node.tryGetContext('allowCrawlProxy');
  if (crawlProxy !== undefined) settings.allowCrawlProxy = oneOf('allowCrawlProxy', String(crawlProxy), ['true', 'false'] as const) === 'true';

  const ceiling: unknown = node.tryGetContext('hostRateCeiling');
  if (ceiling !== undefined) {
    // Not an integer setting: a slow site may want 0.5 (one page every two seconds).
    const value = typeof ceiling === 'string' && ceiling.trim() !== '' ? Number(ceiling) : ceiling;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 100) {
      throw new Error(`context hostRateCeiling must be a number above 0 and at most 100 (navigations per second), got ${JSON.stringify(ceiling)}`);
    }
    settings.hostRateCeiling = value;
  }
  const userAgent: unknown = node.tryGetContext('userAgent');
  if (userAgent !== undefined && userAgent !== '') {
    if (typeof userAgent !== 'string' || userAgent.length > 512 || /[\r\n]/.test(userAgent)) {
      throw new Error(`context userAgent must be one line of at most 512 characters, got ${JSON.stringify(userAgent).slice(0, 80)}`);
    }
    settings.userAgent = userAgent;
  }

  for (const key of Object.keys(RANGES) as NumericKey[]) {
    const raw: unknown = node.tryGetContext(key);
    if (raw === undefined) continue;
    // `-c key=value` arrives as a string, cdk.json values as numbers.
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new Error(`context ${key} must be an integer, got ${JSON.stringify(raw)}`);
    const [min, max] = RANGES[key];
    if (value < min || value > max) throw new Error(`context ${key} must be between ${min} and ${max}, got ${value}`);
    settings[key] = value;
  }

  if (!LOG_RETENTION_DAYS.includes(settings.logRetentionDays)) {
    throw new Error(`context logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')} (CloudWatch Logs' values), got ${settings.logRetentionDays}`);
  }
  if (settings.defaultMaxPages > settings.maxPages) throw new Error('defaultMaxPages must not exceed maxPages');
  if (settings.maxReceiveCount <= settings.maxAttempts) {
    throw new Error('maxReceiveCount must exceed maxAttempts: the crawler records a failure itself before the DLQ takes a message');
  }
  if (settings.navigationTimeoutSeconds !== 0 && settings.navigationTimeoutSeconds * 2 > settings.crawlerTimeoutSeconds) {
    throw new Error('navigationTimeoutSeconds must be at most half of crawlerTimeoutSeconds: a page also settles, is extracted and stored');
  }
  if (settings.accountConcurrency > 0) {
    // Checked only when given: the synth has no credentials to read the account (the preflight does).
    const problem = headroomProblem(settings.accountConcurrency, settings.crawlerMaxConcurrency);
    if (problem) throw new Error(`context accountConcurrency ${settings.accountConcurrency}: ${problem}`);
  }
  return settings;
}

/** The navigation timeout the crawler gets, in seconds. */
export function navigationTimeoutOf(settings: CrawlerSettings): number {
  return settings.navigationTimeoutSeconds || Math.min(30, Math.floor(settings.crawlerTimeoutSeconds / 3));
}
