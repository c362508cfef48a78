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
  manifestUrlTtlSeconds: number;
  recordTtlDays: number;
  /** default and maximum of a job's time limit */
  jobTimeLimitSeconds: number;
  maxJobTimeLimitSeconds: number;
  /** a running job with no settled page for this long is ended by the sweeper */
  stallTimeoutMs: number;
  /** jobs one WebSocket connection may have running at once */
  maxJobsPerConnection: number;
}

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
};
