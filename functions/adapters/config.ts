// The one place that reads the environment. AWS and the local runtime differ only by these values.
import { z } from 'zod';
import { DEFAULT_COUNTER_SHARDS, MAX_COUNTER_SHARDS } from '../core/counter-shards.js';
import { DEFAULT_HOST_RATE_CEILING } from '../core/host-rate.js';
import { DEFAULT_CRAWLER_MEMORY_MB, DEFAULT_LIMITS, DEFAULT_MAX_LINKS_PER_PAGE, MAX_LINKS_READ, STORED_TEXT_BYTES, type Limits } from '../core/limits.js';
import { DEFAULT_CLIENT_QUOTAS } from '../core/client-quota.js';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, parseRetrySchedule } from '../core/webhook.js';

const intFrom = (fallback: number, min = 0) =>
  z.coerce.number().int().min(min).optional().transform((v) => v ?? fallback);
const boolFrom = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));

const EnvSchema = z.object({
  JOBS_TABLE: z.string().min(1),
  FRONTIER_TABLE: z.string().min(1),
  CONNECTIONS_TABLE: z.string().min(1),
  /** seed credentials of running jobs, in a table without point-in-time recovery (both stacks set it; unset: kept on the job item) */
  SECRETS_TABLE: z.string().min(1).optional(),
  CRAWL_QUEUE_URL: z.string().min(1),
  RESULTS_BUCKET: z.string().min(1),
  /** https://{apiId}.execute-api.{region}.amazonaws.com/{stage} on AWS; the local gateway's URL locally */
  CONNECTIONS_ENDPOINT: z.string().url(),
  AWS_REGION: z.string().default('us-east-1'),
  /** endpoints of local emulators; unset on AWS */
  AWS_ENDPOINT_URL_DYNAMODB: z.string().url().optional(),
  AWS_ENDPOINT_URL_SQS: z.string().url().optional(),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ENDPOINT_URL_SCHEDULER: z.string().url().optional(),
  /** schedules (issue #29): the EventBridge Scheduler group, the run function, the role that invokes it, the DLQ (the schedule route only) */
  SCHEDULE_GROUP: z.string().min(1).optional(),
  SCHEDULE_TARGET_ARN: z.string().min(1).optional(),
  SCHEDULER_ROLE_ARN: z.string().min(1).optional(),
  SCHEDULE_DLQ_ARN: z.string().min(1).optional(),
  /** the shortest schedule interval and the schedules per client (CDK settings scheduleMinIntervalMinutes, maxSchedulesPerClient) */
  SCHEDULE_MIN_INTERVAL_SECONDS: z.coerce.number().int().min(60).optional(),
  MAX_SCHEDULES_PER_CLIENT: z.coerce.number().int().min(1).max(100).optional(),
  MAX_DEPTH: intFrom(DEFAULT_LIMITS.maxDepth),
  MAX_PAGES: intFrom(DEFAULT_LIMITS.maxPages, 1),
  DEFAULT_MAX_PAGES: intFrom(DEFAULT_LIMITS.defaultMaxPages, 1),
  MAX_FRAME_BYTES: intFrom(DEFAULT_LIMITS.maxFrameBytes, 256),
  /** at most what a stored URL keeps (STORED_TEXT_BYTES.url): a URL the crawl fetches is stored whole, never cut */
  MAX_URL_LENGTH: z.coerce.number().int().min(16).max(STORED_TEXT_BYTES.url).optional().transform((v) => v ?? DEFAULT_LIMITS.maxUrlLength),
  LEASE_MS: intFrom(DEFAULT_LIMITS.leaseMs, 1000),
  MAX_ATTEMPTS: intFrom(DEFAULT_LIMITS.maxAttempts, 1),
  NAV_TIMEOUT_MS: intFrom(DEFAULT_LIMITS.navigationTimeoutMs, 100),
  SETTLE_IDLE_MS: intFrom(DEFAULT_LIMITS.settleIdleMs, 0),
  SETTLE_MAX_MS: intFrom(DEFAULT_LIMITS.settleMaxMs, 0),
  PROGRESS_INTERVAL_MS: intFrom(DEFAULT_LIMITS.progressIntervalMs, 0),
  MANIFEST_URL_TTL_SECONDS: intFrom(DEFAULT_LIMITS.manifestUrlTtlSeconds, 60),
  RECORD_TTL_DAYS: intFrom(DEFAULT_LIMITS.recordTtlDays, 1),
  JOB_TIME_LIMIT_SECONDS: intFrom(DEFAULT_LIMITS.jobTimeLimitSeconds, 1),
  MAX_JOB_TIME_LIMIT_SECONDS: intFrom(DEFAULT_LIMITS.maxJobTimeLimitSeconds, 1),
  STALL_TIMEOUT_MS: intFrom(DEFAULT_LIMITS.stallTimeoutMs, 1000),
  MAX_JOBS_PER_CONNECTION: intFrom(DEFAULT_LIMITS.maxJobsPerConnection, 1),
  /** per-client quotas over all a client's connections (core/client-quota.ts); 0: no limit */
  MAX_RUNNING_JOBS_PER_CLIENT: intFrom(DEFAULT_CLIENT_QUOTAS.maxRunningJobsPerClient, 0),
  MAX_PAGES_PER_CLIENT_PER_DAY: intFrom(DEFAULT_CLIENT_QUOTAS.maxPagesPerClientPerDay, 0),
  /** the crawler function's memory (MB), for usage costs and estimates (CDK setting crawlerMemoryMb) */
  CRAWLER_MEMORY_MB: intFrom(DEFAULT_CRAWLER_MEMORY_MB, 128),
  /** counter shard items per new job (core/counter-shards.ts) */
  COUNTER_SHARDS: z.coerce.number().int().min(1).max(MAX_COUNTER_SHARDS).optional().transform((v) => v ?? DEFAULT_COUNTER_SHARDS),
  /** in-scope links one page may add to its crawl (CDK setting maxLinksPerPage); the rest are counted in linksDropped */
  MAX_LINKS_PER_PAGE: z.coerce.number().int().min(1).max(MAX_LINKS_READ).optional().transform((v) => v ?? DEFAULT_MAX_LINKS_PER_PAGE),
  /** characters of the serialised DOM an extractor gets (CDK setting extractMaxHtmlKb) */
  EXTRACT_MAX_HTML_BYTES: intFrom(2 * 1024 * 1024, 1024),
  /** path of a Chrome/Chromium binary; default: @sparticuz/chromium's */
  CHROME_PATH: z.string().optional(),
  /** folder with @sparticuz/chromium's .br files when its JavaScript is bundled (the Lambda layer) */
  CHROMIUM_BIN_DIR: z.string().optional(),
  /** the stack's upstream proxies, locally: URLs (http://user:pass@host:port) separated by spaces or commas, or a JSON array */
  UPSTREAM_PROXIES: z.string().optional(),
  /** on AWS: the Secrets Manager secret holding that list (CDK setting upstreamProxiesSecret) */
  UPSTREAM_PROXIES_SECRET_ARN: z.string().min(1).optional(),
  /** a crawl may name its own upstream proxy (`proxy`); default false (CDK setting allowCrawlProxy) */
  ALLOW_CRAWL_PROXY: boolFrom(false),
  /** local mode only: let the browser reach loopback and private addresses */
  ALLOW_PRIVATE_TARGETS: boolFrom(false),
  /** 'token': connections must present the token (query `token` or `Authorization: Bearer`) */
  AUTH_MODE: z.enum(['none', 'token']).default('none'),
  AUTH_TOKEN: z.string().min(1).optional(),
  AUTH_TOKEN_SECRET_ARN: z.string().min(1).optional(),
  /** the product token matched against robots.txt `User-agent` lines, and sent when fetching it */
  ROBOTS_USER_AGENT: z.string().min(1).max(64).default('fanout-crawler'),
  /** how long a 5xx or no answer on robots.txt is kept before the host is asked again */
  ROBOTS_TRANSIENT_CACHE_MS: intFrom(60_000, 0),
  /** page navigations per second to one host from the whole stack (CDK setting hostRateCeiling) */
  HOST_RATE_CEILING: z.coerce.number().positive().max(1000).optional().transform((v) => v ?? DEFAULT_HOST_RATE_CEILING),
  /** the User-Agent header of the browser and of robots.txt fetches; default names the product */
  USER_AGENT: z.string().min(1).max(512).optional(),
  /** payload bytes a page's archive records keep (`formats: ["archive"]`); bodies beyond are cut and marked */
  ARCHIVE_MAX_PAGE_BYTES: intFrom(20 * 1024 * 1024, 1024),
  /** payload bytes a job's whole archive keeps, counted across all crawler environments */
  ARCHIVE_MAX_JOB_BYTES: intFrom(1024 * 1024 * 1024, 1024),
  /** local fault injection, e.g. "after-claim:1,before-settle:2"; never set on AWS */
  CRAWLER_FAULTS: z.string().optional(),
  CRAWLER_FAULTS_STATE: z.string().optional(),
  /** the heartbeat queue (app/heartbeat.ts); unset: no heartbeats */
  HEARTBEAT_QUEUE_URL: z.string().min(1).optional(),
  /** seconds between a running job's heartbeats (core/progress.ts caps it) */
  HEARTBEAT_INTERVAL_SECONDS: z.coerce.number().int().min(1).optional(),
  /** the finisher's queue (functions/handlers/finish.ts); unset: whoever wins a job's end finishes it inline */
  FINISH_QUEUE_URL: z.string().min(1).optional(),
  /** bytes of each WACZ multipart part (each a checkpoint); S3 wants ≥ 5 MiB, tests set less against the emulator */
  FINISHER_PART_BYTES: intFrom(8 * 1024 * 1024, 1024),
  /** S3 reads the finisher keeps in flight */
  FINISHER_READS_IN_FLIGHT: intFrom(16, 1),
  /** local fault injection in the finisher, e.g. "finisher-mid-archive#2"; never set on AWS */
  FINISHER_FAULTS: z.string().optional(),
  /** the webhook queue (functions/handlers/webhook.ts); unset: the stack delivers no webhooks and `crawl` refuses `webhook` */
  WEBHOOK_QUEUE_URL: z.string().min(1).optional(),
  /** seconds between webhook attempts, comma-separated (core/webhook.ts); unset: the default schedule (tests shorten it) */
  WEBHOOK_RETRY_SECONDS: z.string().optional(),
  /** how long one webhook attempt may take */
  WEBHOOK_TIMEOUT_MS: intFrom(DEFAULT_WEBHOOK_TIMEOUT_MS, 100),
});

export interface Config {
  tables: { jobs: string; frontier: string; connections: string; secrets?: string };
  queueUrl: string;
  /** the heartbeat queue, when the stack has one */
  heartbeatQueueUrl?: string;
  bucket: string;
  connectionsEndpoint: string;
  region: string;
  endpoints: { dynamodb?: string; sqs?: string; s3?: string; scheduler?: string };
  /** where schedules' timers are made (the schedule route); absent elsewhere */
  scheduler?: { group: string; targetArn: string; roleArn: string; deadLetterArn: string };
  limits: Limits;
  chromePath?: string;
  chromiumBinDir?: string;
  allowPrivateTargets: boolean;
  faults?: string;
  /** where injected faults record that they fired, shared by the local environments */
  faultsStateDir?: string;
  robotsUserAgent: string;
  robotsTransientCacheMs: number;
  /** the full User-Agent header; always contains `robotsUserAgent`, the token robots.txt is matched against */
  userAgent: string;
  auth: { mode: 'none' | 'token'; token?: string; secretArn?: string };
  /** the stack's upstream proxies: the list itself (locally) or the secret that holds it (AWS); neither: none */
  upstreamProxies: { list?: string; secretArn?: string };
  /** byte caps of `formats: ["archive"]`: per page and per job (payload bytes) */
  archive: { maxPageBytes: number; maxJobBytes: number };
  /** what an extractor gets: the serialised DOM cut to this many characters (adapters/products/extract.ts) */
  extract?: { maxHtmlBytes: number };
  finisher: { queueUrl?: string; partBytes: number; readsInFlight: number; faults?: string };
  /** webhook deliveries, when the stack has their queue */
  webhooks?: { queueUrl: string; retrySeconds: readonly number[]; timeoutMs: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${problems}`);
  }
  const e = parsed.data;
  return {
    tables: { jobs: e.JOBS_TABLE, frontier: e.FRONTIER_TABLE, connections: e.CONNECTIONS_TABLE, ...(e.SECRETS_TABLE ? { secrets: e.SECRETS_TABLE } : {}) },
    queueUrl: e.CRAWL_QUEUE_URL,
    ...(e.HEARTBEAT_QUEUE_URL ? { heartbeatQueueUrl: e.HEARTBEAT_QUEUE_URL } : {}),
    bucket: e.RESULTS_BUCKET,
    connectionsEndpoint: e.CONNECTIONS_ENDPOINT,
    region: e.AWS_REGION,
    endpoints: { dynamodb: e.AWS_ENDPOINT_URL_DYNAMODB, sqs: e.AWS_ENDPOINT_URL_SQS, s3: e.AWS_ENDPOINT_URL_S3, ...(e.AWS_ENDPOINT_URL_SCHEDULER ? { scheduler: e.AWS_ENDPOINT_URL_SCHEDULER } : {}) },
    ...(e.SCHEDULE_GROUP && e.SCHEDULE_TARGET_ARN && e.SCHEDULER_ROLE_ARN && e.SCHEDULE_DLQ_ARN
      ? { scheduler: { group: e.SCHEDULE_GROUP, targetArn: e.SCHEDULE_TARGET_ARN, roleArn: e.SCHEDULER_ROLE_ARN, deadLetterArn: e.SCHEDULE_DLQ_ARN } }
      : {}),
    limits: {
      maxDepth: e.MAX_DEPTH,
      maxPages: e.MAX_PAGES,
      defaultMaxPages: Math.min(e.DEFAULT_MAX_PAGES, e.MAX_PAGES),
      maxFrameBytes: e.MAX_FRAME_BYTES,
      maxUrlLength: e.MAX_URL_LENGTH,
      leaseMs: e.LEASE_MS,
      maxAttempts: e.MAX_ATTEMPTS,
      navigationTimeoutMs: e.NAV_TIMEOUT_MS,
      settleIdleMs: e.SETTLE_IDLE_MS,
      settleMaxMs: e.SETTLE_MAX_MS,
      progressIntervalMs: e.PROGRESS_INTERVAL_MS,
      manifestUrlTtlSeconds: e.MANIFEST_URL_TTL_SECONDS,
      recordTtlDays: e.RECORD_TTL_DAYS,
      jobTimeLimitSeconds: Math.min(e.JOB_TIME_LIMIT_SECONDS, e.MAX_JOB_TIME_LIMIT_SECONDS),
      maxJobTimeLimitSeconds: e.MAX_JOB_TIME_LIMIT_SECONDS,
      stallTimeoutMs: e.STALL_TIMEOUT_MS,
      maxJobsPerConnection: e.MAX_JOBS_PER_CONNECTION,
      maxRunningJobsPerClient: e.MAX_RUNNING_JOBS_PER_CLIENT,
      maxPagesPerClientPerDay: e.MAX_PAGES_PER_CLIENT_PER_DAY,
      hostRateCeiling: e.HOST_RATE_CEILING,
      counterShards: e.COUNTER_SHARDS,
      crawlerMemoryMb: e.CRAWLER_MEMORY_MB,
      maxLinksPerPage: e.MAX_LINKS_PER_PAGE,
      allowCrawlProxy: e.ALLOW_CRAWL_PROXY,
      ...(e.SCHEDULE_MIN_INTERVAL_SECONDS !== undefined ? { scheduleMinIntervalSeconds: e.SCHEDULE_MIN_INTERVAL_SECONDS } : {}),
      ...(e.MAX_SCHEDULES_PER_CLIENT !== undefined ? { maxSchedulesPerClient: e.MAX_SCHEDULES_PER_CLIENT } : {}),
      ...(e.HEARTBEAT_INTERVAL_SECONDS !== undefined ? { heartbeatIntervalSeconds: e.HEARTBEAT_INTERVAL_SECONDS } : {}),
    },
    chromePath: e.CHROME_PATH,
    chromiumBinDir: e.CHROMIUM_BIN_DIR,
    allowPrivateTargets: e.ALLOW_PRIVATE_TARGETS,
    faults: e.CRAWLER_FAULTS,
    faultsStateDir: e.CRAWLER_FAULTS_STATE,
    robotsUserAgent: e.ROBOTS_USER_AGENT,
    robotsTransientCacheMs: e.ROBOTS_TRANSIENT_CACHE_MS,
    userAgent: userAgentOf(e.USER_AGENT, e.ROBOTS_USER_AGENT),
    auth: { mode: e.AUTH_MODE, token: e.AUTH_TOKEN, secretArn: e.AUTH_TOKEN_SECRET_ARN },
    upstreamProxies: { ...(e.UPSTREAM_PROXIES !== undefined ? { list: e.UPSTREAM_PROXIES } : {}), ...(e.UPSTREAM_PROXIES_SECRET_ARN ? { secretArn: e.UPSTREAM_PROXIES_SECRET_ARN } : {}) },
    archive: { maxPageBytes: e.ARCHIVE_MAX_PAGE_BYTES, maxJobBytes: e.ARCHIVE_MAX_JOB_BYTES },
    extract: { maxHtmlBytes: e.EXTRACT_MAX_HTML_BYTES },
    finisher: { queueUrl: e.FINISH_QUEUE_URL, partBytes: e.FINISHER_PART_BYTES, readsInFlight: e.FINISHER_READS_IN_FLIGHT, faults: e.FINISHER_FAULTS },
    ...(e.WEBHOOK_QUEUE_URL ? { webhooks: { queueUrl: e.WEBHOOK_QUEUE_URL, retrySeconds: retryScheduleOf(e.WEBHOOK_RETRY_SECONDS), timeoutMs: e.WEBHOOK_TIMEOUT_MS } } : {}),
  };
}

function retryScheduleOf(text: string | undefined): readonly number[] {
  try {
    return parseRetrySchedule(text);
  } catch (error) {
    throw new ConfigError(`invalid environment: WEBHOOK_RETRY_SECONDS: ${(error as Error).message}`);
  }
}

export const PRODUCT_VERSION = '0.1';

/**
 * The User-Agent header: the configured one, or `Mozilla/5.0 (compatible; <token>/0.1)` (the form
 * well-known crawlers use; a deployment should add its contact URL, `+https://…`, through the
 * setting). A configured header that lacks the robots.txt token gets it appended, so a site's
 * `User-agent:` rules for us name what it sees in its logs.
 */
export function userAgentOf(configured: string | undefined, robotsToken: string): string {
  if (configured === undefined) return `Mozilla/5.0 (compatible; ${robotsToken}/${PRODUCT_VERSION})`;
  return configured.toLowerCase().includes(robotsToken.toLowerCase()) ? configured : `${configured} ${robotsToken}/${PRODUCT_VERSION}`;
}
