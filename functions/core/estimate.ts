// What a crawl can be expected to take and cost before it starts (`estimate: true`), and the time
// limit a job is given by default so that it can reach maxPages at its hosts' pace.
import { DEFAULT_HOST_RATE_CEILING, hostKeyOf } from './host-rate.js';
import { DEFAULT_CRAWLER_MEMORY_MB, type Limits } from './limits.js';
import { costOfUsage, PRICES, type PriceTable } from './prices.js';
import { roundUsd, type UsageCounts } from './usage.js';

/**
 * The usage one page is expected to cost, per the figures the stack reports (manifest `usage`):
 * - messagesReceived 1.2: each page's message once, plus duplicates and waits for a busy host;
 * - invocations 0.3: batches of up to 10, often 3 or 4 records a busy queue;
 * - billedMs 1,500 at the crawler's memory: a real page renders in 2–5 s, several pages of a batch
 *   render at once in one invocation (a local 6-page crawl measured ~600 ms a page);
 * - dynamoWriteUnits 13: claim, admissions, settle (transactions: two units an item, an item of
 *   over 1 KB more), host-rate slot; a local 6-page crawl measured 13.3 a page;
 * - dynamoReadUnits 5: job settings, the counters after the settle (the job item and each shard),
 *   slot reads; measured 3 to 4.7 a page locally;
 * - s3Puts 1 per stored product (the html record, plus each other format asked);
 * - s3Gets 1 a page when pages.jsonl is written (the finisher reads each page's products).
 */
export const PER_PAGE_USAGE = {
  messagesReceived: 1.2,
  invocations: 0.3,
  billedMs: 1_500,
  dynamoWriteUnits: 13,
  dynamoReadUnits: 5,
} as const;

/** The job's own fixed share: the route's invocation, the job's items, the finish (manifest and exports). */
const PER_JOB_USAGE: UsageCounts = { invocations: 2, billedMs: 2_000, dynamoWriteUnits: 20, dynamoReadUnits: 20, s3Puts: 4 };

/** The part of an estimate's time that is not the hosts' pace: start, the last pages' render, the finish. */
const FIXED_SECONDS = 30;

/** The default time limit is this many times what the hosts' pace needs for maxPages. */
export const TIME_LIMIT_FACTOR = 2;

export interface EstimateInput {
  /** seeds (normalised) */
  seeds: readonly string[];
  maxPages: number;
  /** navigations a second a host gets for this job: the job's hostRate, else the ceiling */
  hostRate?: number;
  /** formats kept beyond the html record, and whether pages.jsonl is written */
  extraProducts: number;
  keepsContent: boolean;
}

export interface Estimate {
  pages: number;
  durationS: number;
  costUsd: number;
}

/** navigations a second one host gets: the job's own rate, at most the stack's ceiling */
export function paceOf(hostRate: number | undefined, limits: Pick<Limits, 'hostRateCeiling'>): number {
  const ceiling = limits.hostRateCeiling ?? DEFAULT_HOST_RATE_CEILING;
  return Math.min(hostRate ?? ceiling, ceiling);
}

/**
 * Seconds a crawl of `pages` needs at its hosts' pace. Pages are assumed spread evenly over the
 * seeds' hosts (a crawl's scope keeps it on them, `domain` scope aside): a one-host crawl of 10,000
 * pages at 2 a second needs 5,000 s whatever the concurrency.
 */
export function pacedSeconds(pages: number, seeds: readonly string[], pace: number): number {
  const hosts = Math.max(1, new Set(seeds.map((seed) => hostKeyOf(seed))).size);
  return Math.ceil(pages / (pace * hosts));
}

/** The default time limit: TIME_LIMIT_FACTOR × the paced time, at least the stack's default, at most its maximum. */
export function defaultTimeLimitSeconds(pages: number, seeds: readonly string[], hostRate: number | undefined, limits: Limits): number {
  const needed = TIME_LIMIT_FACTOR * (pacedSeconds(pages, seeds, paceOf(hostRate, limits)) + FIXED_SECONDS);
  return Math.min(limits.maxJobTimeLimitSeconds, Math.max(limits.jobTimeLimitSeconds, needed));
}

/** The expected usage of a crawl of `pages` pages. */
export function expectedUsage(pages: number, input: Pick<EstimateInput, 'extraProducts' | 'keepsContent'>, memoryMb: number): UsageCounts {
  const billedMs = PER_PAGE_USAGE.billedMs * pages + (PER_JOB_USAGE.billedMs ?? 0);
  return {
    invocations: PER_PAGE_USAGE.invocations * pages + (PER_JOB_USAGE.invocations ?? 0),
    messagesReceived: PER_PAGE_USAGE.messagesReceived * pages,
    billedMs,
    mbMs: billedMs * memoryMb,
    dynamoWriteUnits: PER_PAGE_USAGE.dynamoWriteUnits * pages + (PER_JOB_USAGE.dynamoWriteUnits ?? 0),
    dynamoReadUnits: PER_PAGE_USAGE.dynamoReadUnits * pages + (PER_JOB_USAGE.dynamoReadUnits ?? 0),
    s3Puts: (1 + input.extraProducts) * pages + (PER_JOB_USAGE.s3Puts ?? 0),
    s3Gets: input.keepsContent ? pages : 0,
  };
}

/** The answer to `estimate: true`: from maxPages (an upper bound: a crawl ends sooner when its site is smaller). */
export function estimateCrawl(input: EstimateInput, limits: Limits, prices: PriceTable = PRICES): Estimate {
  const pages = input.maxPages;
  const memoryMb = limits.crawlerMemoryMb ?? DEFAULT_CRAWLER_MEMORY_MB;
  return {
    pages,
    durationS: pacedSeconds(pages, input.seeds, paceOf(input.hostRate, limits)) + FIXED_SECONDS,
    costUsd: roundUsd(costOfUsage(expectedUsage(pages, input, memoryMb), prices)),
  };
}

/**
 * Told to the client with `accepted` when the time limit it asked for is shorter than its hosts'
 * pace needs for maxPages (the job runs, and ends `partial` at its limit if the site is that big).
 */
export function timeLimitWarning(pages: number, seeds: readonly string[], hostRate: number | undefined, timeLimitSeconds: number, limits: Limits): string | undefined {
  const pace = paceOf(hostRate, limits);
  const needed = pacedSeconds(pages, seeds, pace);
  if (needed <= timeLimitSeconds) return undefined;
  return `timeLimit: ${pages} pages at ${pace} navigations per second per host need about ${needed} s, more than the time limit of ${timeLimitSeconds} s; the job ends partial at its limit if the site has that many pages`;
}
