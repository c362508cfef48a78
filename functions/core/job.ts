// Job and frontier state: the shapes stored in DynamoDB and the rules that decide a job's outcome.
import type { PageAction } from './page-actions.js';
import type { ProductRequest } from './render-ports.js';
import { seedOriginsOf, type SeedCredentials } from './seed-credentials.js';
import type { QuotaNote } from './client-quota.js';
import { CONTENT_FORMATS, type BlockableResource, type FinalStatus, type Format, type JobStatus, type RenderMode, type Scope } from './vocabulary.js';
import type { RenderTypes } from './render-choice.js';
import { ownerFor } from './owners.js';

// A job's statuses and scopes are words the wire protocol shares (vocabulary.ts); the code that
// reads a job knows them from here.
export { JobStatus, Scope, type FinalStatus } from './vocabulary.js';

export const FINAL_STATUSES: readonly FinalStatus[] = ['succeeded', 'partial', 'cancelled', 'failed'];

export function isFinal(status: JobStatus): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

export const UrlState = {
  queued: 'queued',
  claimed: 'claimed',
  done: 'done',
  failed: 'failed',
  /** the target of a redirect: recorded so a later link to it is not crawled again */
  alias: 'alias',
  /** not a URL to crawl: a warning for the manifest's errors (a sitemap that could not be used) */
  warning: 'warning',
  /**
   * an in-scope URL left out because maxPages was reached: a marker that counts it once however
   * many pages link to it, and that no later admission can turn into a page
   */
  capped: 'capped',
} as const;
export type UrlState = (typeof UrlState)[keyof typeof UrlState];

export interface JobCounters {
  /** URLs admitted to the frontier (the seed included); each is settled exactly once */
  admitted: number;
  /**
   * settled, done, failed: the job item holds a base (what a redrive took back), its counter shards
   * the settles (core/counter-shards.ts); a job read through the store has them summed
   */
  settled: number;
  done: number;
  failed: number;
}

export interface JobRecord extends JobCounters {
  jobId: string;
  /** normalised seed URL */
  url: string;
  depth: number;
  maxPages: number;
  scope: Scope;
  include: string[];
  exclude: string[];
  /** subresource types the browser skips (absent on jobs created before the option) */
  block?: BlockableResource[];
  /** the client asked to crawl what robots.txt disallows (absent: robots.txt is obeyed) */
  ignoreRobots?: true;
  /** what is kept of each page (absent: ["html"], jobs made before the option) */
  formats?: Format[];
  /** the extractor run on every page */
  extract?: string;
  connectionId: string;
  /**
   * the authorizer's principal of the connection that created the job (ownerFor: ANONYMOUS_OWNER
   * when auth is off): only connections of that principal see it. Optional in the type because
   * items read back may lack it (made before every job had one, or not a job): isVisibleTo says no.
   */
  owner?: string;
  requestId?: string;
  status: JobStatus;
  /** the final status chosen when finishing began */
  finalStatus?: FinalStatus;
  startedAt: number;
  finishedAt?: number;
  manifestKey?: string;
  /** identifies equal requests for the result cache */
  cacheKey: string;
  /** past this instant the sweeper ends the job with what it has */
  deadlineAt: number;
  /** last settle of any URL; a running job quiet for too long is stalled */
  lastActivityAt?: number;
  /**
   * how many counter shard items count this job's settles and host waits (core/counter-shards.ts),
   * fixed when the job is created; absent: the job item counts them itself (jobs made before)
   */
  counterShards?: number;
  /** why a job ended early: 'cancelled', 'time limit reached', 'stalled' */
  endReason?: string;
  /** final, but the connection's job slot is not freed yet (set and cleared by the store) */
  slotPending?: boolean;
  /** when a finisher claimed the right to send `completed` (absent: not sent yet) */
  notifiedAt?: number;
  /** how many times `redrive` restarted the job (absent: never) */
  redrives?: number;
  /**
   * the run number of a redrive whose URLs the finisher's function is still putting back on the
   * queue (app/redrive-run.ts): while set the job cannot end by its counts, so it waits for them
   */
  redriving?: number;
  /**
   * of `failed`, the URLs robots.txt refused (counted on the shards like failed): a redrive leaves
   * them alone, so the route tells `nothing_to_redrive` from the counters, without a listing
   */
  robotsRefused?: number;
  /**
   * a job to be built upon an earlier crawl (maxAge) whose building runs in the finisher's
   * function (app/reuse-run.ts): `planning` until it is built (`built`, its next URLs to send) or
   * given up (`seeds`, crawled from its seeds); removed once its URLs are on the queue
   */
  reusePending?: ReusePending;
  /** pages taken from an earlier crawl of smaller depth (result reuse), not rendered again */
  reused?: number;
  /** the earlier crawl this job's pages were taken from: built upon, or an answer cut from it */
  reusedFrom?: string;
  /**
   * when the oldest of its pages was crawled, for a job built upon an earlier crawl: the result
   * cache counts the job's age from then, not from its own end
   */
  crawledSince?: number;
  /**
   * distinct in-scope URLs not admitted because maxPages was reached: incremented in the
   * transaction that writes each URL's `capped` frontier marker, so each counts once
   */
  capped?: number;
  /**
   * links pages had past maxLinksPerPage, not followed: added by each page's settle (on its counter
   * shard, summed when the job is read), never an item per link; a URL several pages link to counts
   * once per page
   */
  linksDropped?: number;
  /** page navigations per second to any one host for this job (≤ the stack's ceiling) */
  hostRate?: number;
  /** read each seed host's sitemaps (their in-scope URLs enter at depth 0) */
  sitemap?: true;
  /** the seeds of a crawl started from `urls` (normalised, `url` is the first); absent: `url` alone */
  seeds?: string[];
  /** steps run on every page after it loads (absent: none) */
  actions?: PageAction[];
  /** the client turned the default auto-scroll off */
  autoscroll?: false;
  /**
   * the client's headers and cookies for the seeds' origins: possibly secrets, so kept only while the
   * job runs and never copied into results, answers or logs; the store keeps them apart from the
   * job item, in a table without point-in-time recovery (adapters/dynamodb/job-secrets.ts)
   */
  seedCredentials?: SeedCredentials;
  /** the allowance of its client's quotas this run holds, given back when it ends (core/client-quota.ts) */
  quota?: QuotaNote;
  /** the job was started with headers or cookies (kept after they are removed: a redrive cannot run without them) */
  usedCredentials?: true;
  /** URLs now waiting in the queue for their host's next slot (politeness, not a stall) */
  delayed?: number;
  /** the latest instant a URL waiting for its host is due back: the job is not stalled before it */
  delayedUntil?: number;
  /** the host of that URL: what the job waits on (progress `waiting`) */
  delayedHost?: string;
  /** when a URL last went back to wait for its host */
  lastDelayedAt?: number;
  /** times any URL of the job went back to wait for its host (one URL may wait several times) */
  hostWaits?: number;
  /** the job ends `partial` (endReason 'budget') once its estimated cost reaches this (USD) */
  budgetUsd?: number;
  /** pages fetched without a browser (`http`) or as learned per page type (`auto`); absent: the browser */
  render?: Exclude<RenderMode, 'browser'>;
  /**
   * under `auto`: what the job learned of each page type, shared by its environments
   * (core/render-choice.ts; written by conditional updates while a type is learned, not per page)
   */
  renderTypes?: RenderTypes;
  expiresAt: number;
}

export interface PageSummary {
  url: string;
  finalUrl: string;
  depth: number;
  parent: string | null;
  status: number | null;
  title: string;
  sha256: string;
  links: number;
  /** links of this page past maxLinksPerPage, not followed (absent: none) */
  linksDropped?: number;
  key: string;
  /** S3 keys of what the page's products made (screenshot, archive…), by file name */
  outputs?: Record<string, string>;
  /** where the time went (ms); DynamoDB covers the claim and the admissions, not the final settle */
  timings?: PageTimings;
  /** for a job with `render`: what made the page, and under `auto` why (absent: the browser) */
  renderer?: 'browser' | 'http';
  renderReason?: string;
}

export interface PageTimings {
  queueWaitMs: number | null;
  navigationMs: number;
  settleMs: number;
  extractMs: number;
  dynamodbMs: number;
  sqsMs: number;
  s3Ms: number;
  totalMs: number;
}

export interface PageFailure {
  url: string;
  error: string;
  /** 'robots': robots.txt disallows the URL; a redrive leaves it alone (absent: any other failure) */
  kind?: 'robots';
}

/**
 * Whether `redrive` tries the URL again: it failed for a reason another try may mend (not
 * robots.txt: older records say so only in their text), or the job ended before it was crawled.
 */
export function isRedrivable(record: Pick<FrontierRecord, 'state' | 'failure'>): boolean {
  if (record.state === 'queued' || record.state === 'claimed') return true;
  if (record.state !== 'failed') return false;
  return record.failure?.kind !== 'robots' && !/^disallowed by robots\.txt/.test(record.failure?.error ?? '');
}

/**
 * How many of a final job's URLs a redrive would crawl again, from its counters alone: the failed
 * ones but those robots.txt refused, and the ones a job that ended early never settled. Jobs that
 * failed pages for robots.txt before that was counted apart count them here: their redrive is
 * accepted and, finding nothing to crawl, ends at once.
 */
export function redrivableCount(job: JobCounters & { robotsRefused?: number }): number {
  return Math.max(0, job.failed - (job.robotsRefused ?? 0)) + Math.max(0, outstanding(job));
}

export interface ReusePending {
  /** the cached crawl to build upon, and when it finished (the new job's crawledSince) */
  jobId: string;
  finishedAt: number;
  state: 'planning' | 'built' | 'seeds';
}

export interface FrontierRecord {
  jobId: string;
  /** hash of the normalised URL: bounded key size whatever the URL length */
  urlKey: string;
  url: string;
  depth: number;
  /** normalised URL of the page that first linked here; null for the seed */
  parent: string | null;
  /** urlKey of that parent: lets a retried parent recognise the children it admitted */
  discoveredBy: string | null;
  state: UrlState;
  leaseOwner?: string;
  leaseUntil?: number;
  attempts: number;
  summary?: PageSummary;
  failure?: PageFailure;
  /** when the URL was sent back to wait for its host's slot (removed when it is crawled) */
  waitingSince?: number;
  /**
   * failures that were the stack's, not the page's (core/errors.ts isStackFault): their attempts
   * were given back. Nonzero also tells a retry that an earlier try may have stored the page.
   */
  stackFaults?: number;
  /**
   * the host's turn this URL was given when it was sent back to wait (core/host-rate.ts,
   * HostTicket): when it comes back near it, it is served before URLs that did not wait
   */
  hostTicketAt?: number;
  /** for aliases: the URL whose redirect ended here */
  aliasOf?: string;
  expiresAt: number;
}

export { ANONYMOUS_OWNER, ownerFor } from './owners.js';

/**
 * Whether a client acting as `principal` may see and act on the job: only its creator's principal
 * (with auth off, every client is the one anonymous owner). An item without an owner is no client's.
 */
export function isVisibleTo(job: Pick<JobRecord, 'owner'>, principal: string | undefined): boolean {
  return typeof job.owner === 'string' && job.owner === ownerFor(principal);
}

/** Past its `expiresAt` (seconds) a record is gone in effect, even while DynamoDB's TTL has not deleted it yet. */
export function isExpired(record: { expiresAt: number }, now: number): boolean {
  return now >= record.expiresAt * 1000;
}

export function outstanding(c: JobCounters): number {
  return c.admitted - c.settled;
}

/** The outcome of a job that ran to the end (cancel decides its own). */
export function finalStatusOf(c: JobCounters): FinalStatus {
  if (c.done === 0) return 'failed';
  if (c.failed > 0) return 'partial';
  return 'succeeded';
}

/** Every seed of the job, each at depth 0. */
export function seedsOfJob(job: Pick<JobRecord, 'url' | 'seeds'>): readonly string[] {
  return job.seeds ?? [job.url];
}

/** The formats a job keeps (jobs made before the option kept the html record only). */
export function formatsOf(job: Pick<JobRecord, 'formats'>): readonly Format[] {
  return job.formats ?? ['html'];
}

/** Whether the job writes pages.jsonl: it asked for content beyond the html record, or an extractor. */
export function keepsContent(job: Pick<JobRecord, 'formats' | 'extract'>): boolean {
  return job.extract !== undefined || formatsOf(job).some((f) => CONTENT_FORMATS.includes(f));
}

/**
 * What the renderer must make of each page for a job: the products of its formats, in order, then
 * its extractor. The archive needs its job (revisits are per job): its option is the jobId.
 */
export function productRequestsOf(job: Pick<JobRecord, 'jobId' | 'formats' | 'extract'>): ProductRequest[] {
  const requests: ProductRequest[] = [];
  for (const format of formatsOf(job)) {
    if (format === 'html') continue;
    requests.push(format === 'archive' ? { name: 'archive', option: job.jobId } : { name: format });
  }
  if (job.extract !== undefined) requests.push({ name: 'extract', option: job.extract });
  return requests;
}

/** What the browser needs to do on each page of the job beyond loading it (RenderOptions' part). */
export function pageBehaviourOf(
  job: Pick<JobRecord, 'url' | 'seeds' | 'actions' | 'autoscroll' | 'seedCredentials'>,
): { autoscroll: boolean; actions?: PageAction[]; credentials?: SeedCredentials & { origins: string[] } } {
  const credentials = job.seedCredentials;
  const hasCredentials = Object.keys(credentials?.headers ?? {}).length > 0 || (credentials?.cookies?.length ?? 0) > 0;
  return {
    autoscroll: job.autoscroll !== false,
    ...(job.actions?.length ? { actions: job.actions } : {}),
    ...(hasCredentials ? { credentials: { ...credentials, origins: seedOriginsOf(seedsOfJob(job)) } } : {}),
  };
}
