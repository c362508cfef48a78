// Job and frontier state: the shapes stored in DynamoDB and the rules that decide a job's outcome.
import type { BlockReason } from './block-signals.js';
import type { PageAction } from './page-actions.js';
import type { ProductRequest } from './render-ports.js';
import { seedOriginsOf, type SeedCredentials } from './seed-credentials.js';
import type { QuotaNote } from './client-quota.js';
import { CONTENT_FORMATS, type BlockableResource, type ChangeCounts, type ChangeKind, type ConsentMode, type FinalStatus, type Format, type JobStatus, type RenderMode, type Scope } from './vocabulary.js';
import type { RenderTypes } from './render-choice.js';
import { ownerFor } from './owners.js';
import type { JobWebhook, WebhookDelivery } from './webhook.js';

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
  /** crawled, but the answer was a bot challenge or block page (core/pushback.ts): kept with its blockReason, its links not followed */
  blocked: 'blocked',
} as const;
export type UrlState = (typeof UrlState)[keyof typeof UrlState];

export type { JobCounters } from './job-outcome.js';
import type { JobCounters } from './job-outcome.js';

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
  /** of the settled URLs, those whose answer was a challenge or block page (core/pushback.ts): neither done nor failed */
  blocked?: number;
  /** read each seed host's sitemaps (their in-scope URLs enter at depth 0) */
  sitemap?: true;
  /** the seeds of a crawl started from `urls` (normalised, `url` is the first); absent: `url` alone */
  seeds?: string[];
  /** steps run on every page after it loads (absent: none) */
  actions?: PageAction[];
  /** the client turned the default auto-scroll off */
  autoscroll?: false;
  /** consent banners accepted or left as shown (absent: rejected, the default) */
  consent?: 'accept' | 'leave';
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
  /**
   * `since`: the earlier finished job of the same client this crawl is compared with (app/since-job.ts):
   * its pages are asked for conditionally first, and the change report is made against it
   */
  since?: SinceJob;
  /** the change report's counts, written with the final state (absent: not a `since` crawl) */
  changes?: ChangeCounts;
  /** the job's webhook: the events it wants (its URL and secret are in the secrets table, app/webhook-delivery.ts) */
  webhook?: JobWebhook;
  /** where the latest webhook delivery stands (set by the webhook function; `status` shows it) */
  webhookDelivery?: WebhookDelivery;
  /** pages fetched without a browser (`http`) or as learned per page type (`auto`); absent: the browser */
  render?: Exclude<RenderMode, 'browser'>;
  /**
   * under `auto`: what the job learned of each page type, shared by its environments
   * (core/render-choice.ts; written by conditional updates while a type is learned, not per page)
   */
  renderTypes?: RenderTypes;
  expiresAt: number;
}

export interface SinceJob {
  /** the earlier job whose frontier and records are compared with */
  jobId: string;
  /**
   * a 304 may stand for the page (its earlier outputs referenced): false when the earlier job kept
   * less of a page than this one asks (other formats or extractor), so every page is rendered
   */
  conditional: boolean;
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
  /** `blocked`: the page was a bot challenge or block page (core/pushback.ts); its links were not followed */
  state?: 'blocked';
  blockReason?: BlockReason;
  /** where the time went (ms); DynamoDB covers the claim and the admissions, not the final settle */
  timings?: PageTimings;
  /** the main document's validators, for a later `since` crawl's conditional request */
  etag?: string;
  lastModified?: string;
  /** SHA-256 of the page's main text, whitespace-normalised (core/changes.ts says exactly what) */
  contentHash?: string;
  /** a `since` crawl's page against the earlier job (core/changes.ts) */
  change?: ChangeKind;
  /** a changed page: the earlier job's record of it (its Markdown or text is diffed against this one's) */
  previousKey?: string;
  /** an unchanged page answered 304: not rendered, its record and files are the earlier job's */
  notModified?: true;
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
  /**
   * 'robots': robots.txt disallows the URL; a redrive leaves it alone. 'throttled': its host still
   * answered 429/503 after its retries (core/pushback.ts); a redrive tries it again. Absent: any other failure.
   */
  kind?: 'robots' | 'throttled';
}

// What a job's counters and items say of its outcome: skipped and real failures, redrivable
// pages, the final status (job-outcome.ts).
export { answeredFromCache, finalStatusOf, isRedrivable, isSkipped, outstanding, realFailures, redrivableCount, skippedCount } from './job-outcome.js';

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
  /** the times its host answered it 429/503 (core/pushback.ts): the first few cost no attempt */
  throttles?: number;
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
  job: Pick<JobRecord, 'url' | 'seeds' | 'actions' | 'autoscroll' | 'seedCredentials' | 'consent'>,
): { autoscroll: boolean; consent: ConsentMode; actions?: PageAction[]; credentials?: SeedCredentials & { origins: string[] }; proxy?: string } {
  const { proxy, ...credentials } = job.seedCredentials ?? {};
  const hasCredentials = Object.keys(credentials.headers ?? {}).length > 0 || (credentials.cookies?.length ?? 0) > 0;
  return {
    autoscroll: job.autoscroll !== false,
    consent: job.consent ?? 'reject',
    ...(job.actions?.length ? { actions: job.actions } : {}),
    ...(hasCredentials ? { credentials: { ...credentials, origins: seedOriginsOf(seedsOfJob(job)) } } : {}),
    // the crawl's own upstream proxy (a secret, as the headers and cookies are)
    ...(proxy !== undefined ? { proxy } : {}),
  };
}
