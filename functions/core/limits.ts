// Caps and timings. Deployments override them through the environment (see adapters/config.ts).

export interface Limits {
  /** hard maximum for a client's `depth` */
  maxDepth: number;
  /** hard maximum for a client's `maxPages` */
  maxPages: number;
  /** `maxPages` when the client gives none */
  defaultMaxPages: number;
  /** larger client frames are refused before parsing */
  maxFrameBytes: number;
  maxUrlLength: number;
  /** how long a claim holds a URL; a worker that dies is replaced once it expires */
  leaseMs: number;
  /** renders of one URL before it is recorded as failed */
  maxAttempts: number;
  navigationTimeoutMs: number;
  settleIdleMs: number;
  settleMaxMs: number;
  progressIntervalMs: number;
  /** while a job runs, its client hears from it at least this often (absent: core/progress.ts's default) */
  heartbeatIntervalSeconds?: number;
  manifestUrlTtlSeconds: number;
  recordTtlDays: number;
  /** default and maximum of a job's time limit */
  jobTimeLimitSeconds: number;
  maxJobTimeLimitSeconds: number;
  /** a running job with no settled page for this long is ended by the sweeper */
  stallTimeoutMs: number;
  /** jobs one WebSocket connection may have running at once */
  maxJobsPerConnection: number;
  /** jobs one client (token principal) may have running at once, over its connections (absent: core/client-quota.ts's default; 0: no limit) */
  maxRunningJobsPerClient?: number;
  /** pages one client may start a UTC day, over its connections (absent: core/client-quota.ts's default; 0: no limit) */
  maxPagesPerClientPerDay?: number;
  /**
   * page navigations per second to any one host, from all jobs and environments together (absent:
   * DEFAULT_HOST_RATE_CEILING in core/host-rate.ts); a job's `hostRate` may only be lower
   */
  hostRateCeiling?: number;
  /**
   * counter shard items a new job counts its settles on (absent: DEFAULT_COUNTER_SHARDS in
   * core/counter-shards.ts, at most MAX_COUNTER_SHARDS): more spread a big job's writes wider
   */
  counterShards?: number;
  /**
   * the crawler function's memory (MB): what its billed time is costed at in usage figures and
   * estimates (absent: DEFAULT_CRAWLER_MEMORY_MB; on Lambda a function's own memory comes first)
   */
  crawlerMemoryMb?: number;
  /**
   * in-scope links one page may add to the crawl (absent: DEFAULT_MAX_LINKS_PER_PAGE); the rest are
   * counted in the job's `linksDropped`, never written one by one (app/admit-children.ts states the
   * DynamoDB requests a page costs as a function of it)
   */
  maxLinksPerPage?: number;
  /** a crawl may name its own upstream proxy (`proxy`); absent: it may not (CDK setting allowCrawlProxy, env ALLOW_CRAWL_PROXY) */
  allowCrawlProxy?: boolean;
  /** the shortest interval a schedule may run at (absent: core/schedule.ts's default) */
  scheduleMinIntervalSeconds?: number;
  /** schedules one client may keep (absent: core/schedule.ts's default) */
  maxSchedulesPerClient?: number;
}

/**
 * A few thousand: more than a site's navigation, sitemaps-as-pages and long listings need, few
 * enough that a page's admission stays a few dozen DynamoDB requests (see app/admit-children.ts).
 */
export const DEFAULT_MAX_LINKS_PER_PAGE = 2_000;
/**
 * Distinct links the browser hands over for one page (adapters/browser/page-read.ts), in document
 * order, whatever their scope; the deployed setting's maximum, so the cap of followed links never
 * exceeds what was read. A page's other links are only counted.
 */
export const MAX_LINKS_READ = 20_000;

/** infra/settings.ts's default crawlerMemoryMb */
export const DEFAULT_CRAWLER_MEMORY_MB = 2048;

export const DEFAULT_DEPTH = 1;

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 5,
  maxPages: 10_000,
  defaultMaxPages: 200,
  maxFrameBytes: 16 * 1024,
  maxUrlLength: 2048,
  leaseMs: 120_000,
  maxAttempts: 3,
  navigationTimeoutMs: 30_000,
  settleIdleMs: 500,
  settleMaxMs: 5_000,
  progressIntervalMs: 1_000,
  manifestUrlTtlSeconds: 24 * 3600,
  recordTtlDays: 30,
  jobTimeLimitSeconds: 3600,
  maxJobTimeLimitSeconds: 6 * 3600,
  stallTimeoutMs: 30 * 60_000,
  maxJobsPerConnection: 5,
  maxLinksPerPage: DEFAULT_MAX_LINKS_PER_PAGE,
};

/**
 * Bounds, in UTF-8 bytes, on the strings of a page that its frontier item stores (and the manifest
 * repeats). A DynamoDB item is at most 400 KB, and a page decides its own title and, through
 * history.pushState, its own URL (megabytes if it likes): unbounded, one such page would make its
 * settle fail on every delivery. The S3 page record keeps them whole.
 */
export const STORED_TEXT_BYTES = {
  title: 2_048,
  /** finalUrl (the tab's URL), and as a safety the normalised URLs beside it */
  url: 8_192,
  /** why a page failed */
  error: 4_096,
} as const;

/** Ends a string cut to its bound, so a reader knows it was cut. */
export const TRUNCATION_MARKER = '…[truncated]';
