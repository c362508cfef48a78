// The stores' ports: where a crawl's state and results are kept, the frontier and the jobs (DynamoDB
// on AWS), the connections' job slots, and the page records (S3). Kept apart from the renderer's
// ports; ports.ts re-exports them all, and like it this file imports no SDK.

import type { FrontierRecord, JobCounters, JobRecord, PageFailure, PageSummary, ReusePending } from './job.js';
import type { RenderedPage } from './render-ports.js';
import type { BlockReason } from './block-signals.js';
import type { FinalStatus } from './vocabulary.js';
import type { ClientQuota, QuotaRefusal } from './client-quota.js';

/**
 * How a URL ends: done with its summary, failed, or blocked (a challenge or block page, core/pushback.ts:
 * its summary kept with its blockReason, counted in the job's `blocked`, neither done nor failed).
 */
export type SettleOutcome =
  | { kind: 'done'; summary: PageSummary; linksDropped?: number }
  | { kind: 'failed'; failure: PageFailure }
  | { kind: 'blocked'; summary: PageSummary };

/** The full per-page object stored in S3. */
export interface PageRecord {
  jobId: string;
  url: string;
  depth: number;
  parent: string | null;
  page: RenderedPage;
  renderedAt: string;
  sha256: string;
  /** what the job's page products made of the page; their files are in S3 under these keys */
  outputs?: Record<string, StoredOutput>;
  /** the page is a bot challenge or block page (core/pushback.ts): why, and the signal that said so; its links are not followed */
  blocked?: { reason: BlockReason; signal: string };
}

/** A product's output as kept in the page record: its fields, and its files by name → S3 key. */
export interface StoredOutput {
  fields?: Record<string, unknown>;
  files?: Record<string, string>;
  skipped?: string;
  error?: string;
}

export interface ResultStore {
  putPage(key: string, record: PageRecord): Promise<void>;
  getPage(key: string): Promise<PageRecord | null>;
  putManifest(key: string, manifest: unknown): Promise<void>;
  putObject(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
  /** a server-side copy of one object to another key (a page's files taken into a job built upon it) */
  copyObject(fromKey: string, toKey: string): Promise<void>;
  /** streams lines into one object (multipart), never holding them all */
  putLines(key: string, lines: AsyncIterable<string>, contentType: string): Promise<void>;
  /** streams text chunks into one object as they are (multipart), never holding them all */
  putText(key: string, chunks: AsyncIterable<string>, contentType: string): Promise<void>;
  /** an HTTP(S) URL a client can GET without credentials */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
}

export type ClaimOutcome =
  | { kind: 'claimed'; record: FrontierRecord }
  /** someone else holds a live lease: try again later */
  | { kind: 'busy'; record: FrontierRecord }
  /** already settled (done or failed) */
  | { kind: 'settled'; record: FrontierRecord }
  | { kind: 'missing' };

export type AdmitOutcome = 'admitted' | 'exists-mine' | 'exists-other' | 'cap-reached' | 'job-closed';

export interface FrontierStore {
  /** The seed is admitted together with the job (jobs.createJob). */
  claim(jobId: string, urlKey: string, owner: string, leaseMs: number): Promise<ClaimOutcome>;
  /**
   * Conditional puts of the children of one parent plus the job's `admitted` counter, atomically,
   * in as few transactions as possible (up to 99 children and one counter update each): outcomes
   * in the children's order. At the cap, the first children are admitted and the rest are
   * 'cap-reached', as if admitted one by one. Only 'admitted' and 'exists-mine' (admitted by an
   * earlier attempt of this same parent and still queued) mean the caller must make sure the child
   * is on the queue.
   */
  admitAll(children: FrontierRecord[], maxPages: number): Promise<AdmitOutcome[]>;
  /**
   * Records URLs refused at the cap ('cap-reached'), each with a `capped` marker item written only
   * if no item exists at its key, and adds the number written to the job's `capped` in the same
   * transaction: a URL counts once, whoever finds it and however often. Nothing is counted once
   * the job no longer runs. Returns how many were newly counted.
   */
  markCapped(children: FrontierRecord[]): Promise<number>;
  /** The frontier items that already exist among these keys (one round trip per 100 keys). */
  existing(jobId: string, urlKeys: string[]): Promise<Map<string, FrontierRecord>>;
  /**
   * The URL was found at `to.depth`, smaller than its record's (core/depth.ts): depth, parent and
   * discoverer become the finder's, by conditional updates that only ever lower the depth; a done
   * page with links is reopened (queued again, its settle taken back on its counter shard, only
   * while the job runs). 'send': the URL must be on the queue (lowered while queued, reopened, or
   * so lowered by an earlier attempt of the same finder); 'lowered': changed in place; 'unchanged'.
   */
  lowerDepth(jobId: string, urlKey: string, to: { depth: number; parent: string; discoveredBy: string }, counterShards?: number): Promise<'send' | 'lowered' | 'unchanged'>;
  /** Records a redirect target so later links to it are not crawled again; false if it exists. */
  putAlias(record: FrontierRecord): Promise<boolean>;
  get(jobId: string, urlKey: string): Promise<FrontierRecord | null>;
  /**
   * Marks the URL done/failed and bumps the job's counters in one transaction, on the URL's counter
   * shard (`counterShards`: the job's; absent, the job item); false if we lost the lease, or if a
   * done page's record no longer has the summary's depth (a shorter path lowered it meanwhile:
   * its links must be admitted at the new depth first). A done page's `linksDropped` (its links
   * past maxLinksPerPage) is added to the job's counter in the same write: counted once per page.
   */
  settle(
    jobId: string,
    urlKey: string,
    owner: string,
    outcome: SettleOutcome,
    counterShards?: number,
  ): Promise<boolean>;
  /**
   * Releases a claim without settling, so a retry can take it at once. `stackFault`: the failure
   * was the stack's, not the page's (core/errors.ts): the claim's attempt is given back in the
   * same conditional write, and `stackFaults` counts it.
   */
  release(jobId: string, urlKey: string, owner: string, stackFault?: boolean): Promise<void>;
  /**
   * Releases a claim that was not an attempt (the URL waits for its host's slot): the claim's
   * attempt is given back, and the URL is marked waiting (`waitingSince`), counted once in the
   * job's `delayed` (a URL already marked is not counted again), with `delayedUntil` on the job
   * moved to `until` if later, with `host` (what the job waits on, for its progress); `ticketAt`,
   * the host's turn it was given, is kept on the URL (`hostTicketAt`). False if the lease was lost.
   * `throttle`: the host answered 429/503 (core/pushback.ts): the URL's `throttles` grows by one,
   * and with `keepAttempt` the attempt is not given back.
   */
  releaseForHost(
    jobId: string,
    urlKey: string,
    owner: string,
    until: number,
    countWait: boolean,
    counterShards?: number,
    ticketAt?: number,
    host?: string,
    throttle?: { keepAttempt: boolean },
  ): Promise<boolean>;
  /** children sent paced to their turns on `host`, the last due at `until`: what the job's progress names as its wait */
  notePacedWait(jobId: string, host: string, until: number): Promise<void>;
  /** The URL no longer waits for its host: its mark is removed and the job's `delayed` lowered, once. */
  endWait(jobId: string, urlKey: string, owner: string, counterShards?: number): Promise<void>;
  list(jobId: string): Promise<FrontierRecord[]>;
  /** The job's items a page at a time (at most `pageSize` each when given), in the order `list` gives them. */
  listPages(jobId: string, pageSize?: number): AsyncIterable<FrontierRecord[]>;
}

export interface JobStore {
  /**
   * Creates the job, its seed, and takes one of the connection's job slots and, with `quota`, its
   * client's allowance (core/client-quota.ts), all or nothing; a refusal says which was short.
   */
  createJob(job: JobRecord, seed: FrontierRecord, maxJobsPerConnection: number, quota?: ClientQuota): Promise<'created' | 'too-many-jobs' | QuotaRefusal>;
  /** The job with its counters summed over its counter shards (strongly consistent reads). */
  getJob(jobId: string): Promise<JobRecord | null>;
  /**
   * The job item alone (strongly consistent): its options and status, for a worker about to crawl
   * one of its URLs. One item read per page instead of the job and all its shards: its settled,
   * done and failed are only the item's base, not the job's counts (getJob sums those). Reads of
   * one job that overlap in time may share one answer.
   */
  getJobSettings(jobId: string, options?: { credentials?: boolean }): Promise<JobRecord | null>;
  /**
   * running → finishing, forced with a reason (cancel, deadline); without one, only when every
   * admitted URL is settled (see beginFinishIfSettled), with `status`.
   */
  beginFinish(jobId: string, status: FinalStatus, finishedAt: number, force?: { reason: string }): Promise<boolean>;
  /**
   * running → finishing when every admitted URL is settled, with the status `statusOf` gives for the
   * counts that showed it: one transaction checks `admitted` on the job item and `settled` on every
   * counter shard against one read of them, so the job ends once and on exact counts. False when it
   * is not done, or another caller began finishing first.
   */
  beginFinishIfSettled(jobId: string, statusOf: (counts: JobCounters) => FinalStatus, finishedAt: number): Promise<boolean>;
  /**
   * For the sweeper: every job running or finishing, and every final job whose slot is still held
   * or whose `completed` was never claimed.
   */
  listUnfinished(): Promise<JobRecord[]>;
  /**
   * finishing → final with the manifest key and, for a success, the result-cache entry, in one
   * transaction; then frees the connection's job slot. True once.
   */
  completeFinish(job: JobRecord, status: FinalStatus, manifestKey: string): Promise<boolean>;
  /** frees the job slot of a final job whose finisher died before it could (idempotent) */
  releaseSlot(job: JobRecord): Promise<void>;
  /**
   * A running job's notifications (progress, `completed`) go to `connectionId` from now on, its
   * connection slot moved there with them, in one transaction; false when the job no longer runs
   * or no longer notifies `job.connectionId`.
   */
  moveNotifications(job: JobRecord, connectionId: string): Promise<boolean>;
  /**
   * `redrive`, the route's part: final → running again (run `redrives + 1`, marked `redriving`),
   * with a job slot taken on the asking connection, which gets the new `completed`: the ending
   * claims of the last run (`finishedAt`, `finalStatus`, `notifiedAt`) are removed so the run ends
   * once again. One transaction of two items, whatever the number of failed URLs. Only from the
   * job as read (same status and `notifiedAt`) and only once its last ending is complete
   * (`notifiedAt` set, no slot pending): of two redrives at once, one starts. While `redriving`
   * is set the job does not end by its counts (beginFinishIfSettled); forced ends still apply.
   */
  openRedrive(job: JobRecord, run: RedriveRun, maxJobsPerConnection: number, quota?: ClientQuota): Promise<'started' | 'refused' | 'too-many-jobs' | QuotaRefusal>;
  /**
   * `redrive`, the finisher function's part: these failed items reset to retry (queued, attempts
   * 0) and their count taken back (`settled − n`, `failed − n` on the job item's base, so `admitted
   * − settled` stays exact), in transactions of up to 99 items, each only while the job runs run
   * `run` still marked `redriving`. False when it no longer does (cancelled, ended): the rest stay.
   * An item no longer failed fails its transaction with an error (a concurrent duplicate).
   */
  requeueFailed(jobId: string, run: number, failed: readonly FrontierRecord[]): Promise<boolean>;
  /** The redrive's URLs are all on the queue: the mark removed, the job may end by its counts again. */
  endRedrive(jobId: string, run: number): Promise<void>;
  /** claims the right to send `completed`; true once per job */
  claimNotification(jobId: string, now: number, finishedAt?: number): Promise<boolean>;
  /** the result cache: the latest successful job for a cache key (written by completeFinish) */
  getCacheEntry(cacheKey: string): Promise<CacheEntry | null>;
  /** the result cache entries of these keys that exist and have not expired (one round trip per 100 keys) */
  getCacheEntries(cacheKeys: readonly string[]): Promise<CacheEntry[]>;
  /**
   * A job created with `reusePending` (state `planning`) built upon its earlier crawl: its frontier
   * `items` (the seed done, reused pages, their aliases, the next URLs, capped markers) are put
   * (plain puts: nothing has been sent for the job yet), then its counters set from `built` and
   * the state made `built`, only if it is still `planning` and the job runs. False otherwise.
   */
  commitReuse(built: JobRecord, items: readonly FrontierRecord[]): Promise<boolean>;
  /** `reusePending` moved on: planning → seeds (given up), or removed (`null`) once the URLs are queued. */
  advanceReuse(jobId: string, from: ReusePending['state'], to: 'seeds' | null): Promise<boolean>;
  /** a new heartbeat chain for the job, expecting `beat` next; any earlier chain stops */
  startHeartbeatChain(jobId: string, beat: string): Promise<void>;
  /** the chain passes from `beat` to `next`: false for a stale chain's message (it stops) */
  passHeartbeat(jobId: string, beat: string | undefined, next: string): Promise<boolean>;
  /**
   * After a settle: the job as it is now (strongly consistent, counters summed, to decide whether
   * it is done) and whether a progress message is due: true at most once per interval, the slot
   * claimed when it is. Writes the job item only to claim that slot. `counterShards`, the job's as
   * the caller read it, lets the job item and its shards be read in one request.
   */
  readAfterSettle(jobId: string, now: number, intervalMs: number, counterShards?: number): Promise<{ job: JobRecord | null; progressDue: boolean }>;
}

export interface RedriveRun {
  connectionId: string;
  requestId?: string;
  now: number;
  /** the time limit of the new run */
  deadlineAt: number;
}

export interface CacheEntry {
  cacheKey: string;
  jobId: string;
  finishedAt: number;
  expiresAt: number;
}

export interface ConnectionStore {
  open(connectionId: string, connectedAt: number): Promise<void>;
  close(connectionId: string): Promise<void>;
}
