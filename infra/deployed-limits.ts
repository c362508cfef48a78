// The limits the deployed stack runs under, derived once from the settings (infra/settings.ts):
// the CDK stack builds its functions and queues from them, and the local stack (local/stack.ts)
// runs the same ones by default, so what holds locally holds on AWS. A test may shorten a timing
// through the local stack's options; nothing shortens them by default.
// Pure: no CDK import, so the local runtime can read it.
import { FINISH_VISIBILITY_TIMEOUT_SECONDS, FINISHER_MEMORY_MB, FINISHER_TIMEOUT_SECONDS } from './finisher-settings.js';
import { DEFAULT_SETTINGS, navigationTimeoutOf, type CrawlerSettings } from './settings.js';

/** Slack between the crawler's timeout and its lease, so a slow but live worker keeps its URL. */
export const LEASE_MARGIN_SECONDS = 30;
/**
 * S3 keeps results this long past resultsRetentionDays, which is when the records pointing at them
 * (job, frontier and result-cache items) expire: a manifest URL handed out just before its record
 * expires lives this long, and must not point at an object the lifecycle rule already deleted.
 */
export const RESULTS_GRACE_DAYS = 1;

export interface DeployedLimits {
  /** AWS advises six times the function timeout for an SQS event source's queue */
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  crawler: { timeoutSeconds: number; memoryMb: number; batchSize: number; maxConcurrency: number };
  /** the WebSocket routes (API Gateway's integration timeout is 29 s) */
  routeTimeoutSeconds: number;
  /** the crawl route: reuse by depth may walk and copy up to a thousand cached pages */
  crawlRouteTimeoutSeconds: number;
  /** the API functions' memory (MB) */
  routeMemoryMb: number;
  sweep: { everySeconds: number; timeoutSeconds: number };
  /** the finisher (functions/handlers/finish.ts): one job's end a message, its queue's visibility above its timeout */
  finisher: { timeoutSeconds: number; memoryMb: number; visibilityTimeoutSeconds: number };
  /** the heartbeat function: one job read and at most one progress message per running job */
  heartbeat: { timeoutSeconds: number; memoryMb: number; batchSize: number };
  /**
   * the webhook function (functions/handlers/webhook.ts): a batch's attempts run side by side, each
   * at most webhookTimeoutSeconds; its queue's visibility twice its timeout
   */
  webhook: { timeoutSeconds: number; memoryMb: number; batchSize: number; visibilityTimeoutSeconds: number; maxReceiveCount: number };
  /** a claim outlives the invocation that made it and expires before the message is visible again */
  leaseSeconds: number;
  /** the functions' environment that follows from the settings (resource names are added by the stack) */
  environment: Record<string, string>;
}

export function deployedLimits(settings: CrawlerSettings = DEFAULT_SETTINGS): DeployedLimits {
  const visibilityTimeoutSeconds = settings.crawlerTimeoutSeconds * 6;
  const leaseSeconds = settings.crawlerTimeoutSeconds + LEASE_MARGIN_SECONDS;
  if (leaseSeconds > visibilityTimeoutSeconds) {
    throw new Error(`the lease (${leaseSeconds} s) must end before a message becomes visible again (${visibilityTimeoutSeconds} s)`);
  }
  return {
    visibilityTimeoutSeconds,
    maxReceiveCount: settings.maxReceiveCount,
    crawler: {
      timeoutSeconds: settings.crawlerTimeoutSeconds,
      memoryMb: settings.crawlerMemoryMb,
      batchSize: settings.crawlerBatchSize,
      maxConcurrency: settings.crawlerMaxConcurrency,
    },
    routeTimeoutSeconds: 15,
    crawlRouteTimeoutSeconds: 28,
    routeMemoryMb: 256,
    sweep: { everySeconds: 300, timeoutSeconds: 120 },
    finisher: { timeoutSeconds: FINISHER_TIMEOUT_SECONDS, memoryMb: FINISHER_MEMORY_MB, visibilityTimeoutSeconds: FINISH_VISIBILITY_TIMEOUT_SECONDS },
    heartbeat: { timeoutSeconds: 30, memoryMb: 256, batchSize: 10 },
    webhook: { timeoutSeconds: settings.webhookTimeoutSeconds + 30, memoryMb: 256, batchSize: 5, visibilityTimeoutSeconds: (settings.webhookTimeoutSeconds + 30) * 2, maxReceiveCount: 5 },
    leaseSeconds,
    environment: {
      MAX_DEPTH: String(settings.maxDepth),
      MAX_PAGES: String(settings.maxPages),
      DEFAULT_MAX_PAGES: String(settings.defaultMaxPages),
      MAX_ATTEMPTS: String(settings.maxAttempts),
      LEASE_MS: String(leaseSeconds * 1000),
      NAV_TIMEOUT_MS: String(navigationTimeoutOf(settings) * 1000),
      // Job, frontier and cache items expire RESULTS_GRACE_DAYS before the S3 objects they point
      // at (counted from the job's creation, before any of its objects), so a live record and the
      // manifest URL it hands out never point at an object the lifecycle rule has deleted.
      RECORD_TTL_DAYS: String(settings.resultsRetentionDays),
      MANIFEST_URL_TTL_SECONDS: String(RESULTS_GRACE_DAYS * 24 * 3600),
      JOB_TIME_LIMIT_SECONDS: String(settings.jobTimeLimitSeconds),
      STALL_TIMEOUT_MS: String(stallTimeoutMs(visibilityTimeoutSeconds, settings.maxReceiveCount)),
      MAX_JOBS_PER_CONNECTION: String(settings.maxJobsPerConnection),
      MAX_RUNNING_JOBS_PER_CLIENT: String(settings.maxRunningJobsPerClient),
      MAX_PAGES_PER_CLIENT_PER_DAY: String(settings.maxPagesPerClientPerDay),
      // Every function: the crawler's gate spaces navigations by it, the crawl route checks hostRate against it.
      HOST_RATE_CEILING: String(settings.hostRateCeiling),
      // Fixed per job when it is created: a change applies to the jobs started after it.
      COUNTER_SHARDS: String(settings.counterShards),
      // What usage figures and estimates cost the crawler's billed time at (Lambda also sets
      // AWS_LAMBDA_FUNCTION_MEMORY_SIZE in each function: its own memory, used for its own time).
      CRAWLER_MEMORY_MB: String(settings.crawlerMemoryMb),
      // The crawler admits a page's links under it; the crawl route builds upon earlier crawls with the same cap.
      MAX_LINKS_PER_PAGE: String(settings.maxLinksPerPage),
      // The schedule route checks both when a schedule is made (core/messages.ts parseScheduleRequest).
      SCHEDULE_MIN_INTERVAL_SECONDS: String(settings.scheduleMinIntervalMinutes * 60),
      MAX_SCHEDULES_PER_CLIENT: String(settings.maxSchedulesPerClient),
      ...(settings.userAgent ? { USER_AGENT: settings.userAgent } : {}),
      // The crawl route refuses a crawl's own `proxy` unless the operator allowed it.
      ...(settings.allowCrawlProxy ? { ALLOW_CRAWL_PROXY: 'true' } : {}),
      // One webhook attempt's time limit; the retry schedule is the code's (core/webhook.ts): only tests shorten it.
      WEBHOOK_TIMEOUT_MS: String(settings.webhookTimeoutSeconds * 1000),
      POWERTOOLS_LOG_LEVEL: settings.logLevel,
    },
  };
}

/** Quiet for longer than every retry of a message could take: its messages were lost. */
export function stallTimeoutMs(visibilityTimeoutSeconds: number, maxReceiveCount: number): number {
  return visibilityTimeoutSeconds * (maxReceiveCount + 1) * 1000;
}

/** The crawler's environment beyond the shared one: the archive's byte caps, the DOM an extractor gets. */
export function crawlerEnvironment(settings: CrawlerSettings = DEFAULT_SETTINGS): Record<string, string> {
  return {
    ARCHIVE_MAX_PAGE_BYTES: String(settings.archiveMaxPageMb * 1024 * 1024),
    ARCHIVE_MAX_JOB_BYTES: String(settings.archiveMaxJobMb * 1024 * 1024),
    EXTRACT_MAX_HTML_BYTES: String(settings.extractMaxHtmlKb * 1024),
  };
}
