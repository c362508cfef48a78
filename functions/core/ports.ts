// Interfaces the use cases need from the outside world. Adapters implement them; tests may too.
// Nothing here imports an SDK, so core and app code stay runnable and testable without AWS.
// The renderer's and the stores' ports are in render-ports.ts and store-ports.ts; they are
// re-exported here, so a use case or an adapter imports every port from this one place.

import type { SlotDecision } from './host-rate.js';
import type { ServerMessage } from './messages.js';
import type { FinalStatus } from './vocabulary.js';

export type { ConditionalAnswer, ConditionalFetcher, ConsentMode, ConsentOutcome, FetchedRender, HttpRendering, PageFacts, PageRenderer, ProductFile, ProductOutput, ProductRequest, RenderLearning, RenderOptions, RenderedPage, Validators } from './render-ports.js';
export type {
  AdmitOutcome,
  CacheEntry,
  ClaimOutcome,
  ConnectionStore,
  FrontierStore,
  JobStore,
  PageRecord,
  RedriveRun,
  ResultStore,
  SettleOutcome,
  StoredOutput,
} from './store-ports.js';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface CrawlMessage {
  jobId: string;
  url: string;
  depth: number;
  /**
   * the URL's turn in its host's backlog, reserved by the parent that sent it paced
   * (core/paced-turns.ts): it arrives as a URL on its turn, like a frontier item's `hostTicketAt`
   */
  hostTicketAt?: number;
}

export interface CrawlQueue {
  /** `delaysSeconds[i]` (0–900), when given: message i becomes visible that much later (a paced child) */
  send(messages: CrawlMessage[], delaysSeconds?: readonly number[]): Promise<void>;
  /** one message that becomes visible after `delaySeconds` (1–900): a URL waiting for its host's slot */
  sendDelayed(message: CrawlMessage, delaySeconds: number): Promise<void>;
}

/** The heartbeat queue: one delayed message per running job, which the heartbeat sends itself again (app/heartbeat.ts). */
export interface HeartbeatQueue {
  /** `beat`: the chain token the job item expects (adapters/dynamodb/heartbeat-chain.ts) */
  schedule(jobId: string, delaySeconds: number, beat?: string): Promise<void>;
}

export interface ClientNotifier {
  /** false when the connection is gone (GoneException); other failures throw */
  send(connectionId: string, message: ServerMessage): Promise<boolean>;
}

/** Operational metrics (CloudWatch on AWS). */
export interface JobMetrics {
  /** once per job, when it reaches its final status */
  jobFinished(status: FinalStatus): void;
}

/** robots.txt of each origin: may the crawler fetch this URL? */
export interface RobotsPolicy {
  /** `crawlDelaySeconds`: the origin's `Crawl-delay` for our user agent, when it gives one */
  /** `retryable`: the host's robots.txt is failing now (5xx); the page may be asked about again later */
  check(url: string): Promise<{ allowed: true; crawlDelaySeconds?: number } | { allowed: false; reason: string; retryable?: boolean }>;
}

/** A seed host's sitemaps (core/sitemap.ts): their page URLs, and why any could not be used. */
export interface SitemapUrls {
  urls: string[];
  warnings: { url: string; error: string }[];
}

export interface SitemapSource {
  /**
   * at most `maxUrls` URLs, as the sitemaps spell them (not normalised, not scoped). `bounds`: only
   * URLs `keep` accepts are kept and counted; no file is started, and none read on, past `deadlineAt`
   * (epoch ms): what was read by then is the answer, with a warning.
   */
  urlsFor(seedUrl: string, maxUrls: number, bounds?: { keep?: (loc: string) => boolean; deadlineAt?: number }): Promise<SitemapUrls>;
}

/** The per-host rate shared by every job and environment (see core/host-rate.ts). */
export interface HostRateGate {
  /**
   * Asks for a navigation slot on `host`: granted (at most `maxSleepMs` ahead), or a wait after
   * which to ask again (nothing reserved; a turn in the host's backlog given, core/host-rate.ts
   * HostTicket). `jobIntervalMs`: the job's own, slower spacing on that host. `ticketAt`: the turn
   * the URL was given when it last waited, if any.
   */
  reserve(request: { host: string; jobId: string; hostIntervalMs: number; jobIntervalMs?: number; maxSleepMs: number; ticketAt?: number; ceiling?: number }): Promise<SlotDecision>;
  /**
   * Takes `count` consecutive turns in the host's backlog at once (core/paced-turns.ts), for a
   * page's children sent already paced; empty when none could be taken (they go unpaced).
   */
  reserveTurns(request: { host: string; jobId: string; hostIntervalMs: number; jobIntervalMs?: number; count: number }): Promise<number[]>;
  /**
   * A granted slot at `slotAt` whose navigation is late (its tab opened slowly) moved to `to`, if
   * no one reserved a slot after it since (the gate's next free instant is still the one this
   * grant set, on the job's key too when it has its own interval): spacing holds, as the previous
   * navigation was at least an interval before `slotAt` and the next free slot becomes `to` plus
   * an interval. False when someone did: the caller asks again.
   */
  slide(request: { host: string; jobId: string; hostIntervalMs: number; jobIntervalMs?: number; slotAt: number; to: number }): Promise<boolean>;
  /**
   * The host throttled a navigation (429/503): its shared rate is cut and it is closed until
   * `closeUntil` for every job and environment (core/host-pushback.ts). `ceiling`: the stack's.
   */
  pushback?(request: { host: string; ceiling: number; closeUntil?: number }): Promise<{ rateNow: number }>;
  /** the rate each host is allowed now (navigations per second; the ceiling unless cut) */
  rates?(hosts: readonly string[], ceiling: number): Promise<Record<string, number>>;
}

/** Local fault injection: crashes the worker at a named point. A no-op on AWS. */
export interface FaultInjector {
  hit(point: FaultPoint, context: { url: string; attempt: number }): void;
}

export const FAULT_POINTS = [
  'after-claim',
  'after-render',
  'after-store',
  'after-admit',
  'after-enqueue',
  'before-settle',
  'after-settle',
] as const;
/**
 * Points on the path of a URL sent back to wait for its host (politeness); apart from
 * FAULT_POINTS, which every page passes, since a page passes these only when its host is busy.
 */
export const WAIT_FAULT_POINTS = ['after-delay-send'] as const;
/**
 * Points of the finisher (functions/handlers/finish.ts); `url` is the job's id and `attempt` the
 * number of archive parts written so far, so `finisher-mid-archive#2` dies after the second part;
 * `redrive-mid-requeue#N` dies once N chunks of a redrive's failed items are put back (none sent
 * yet, app/redrive-run.ts); `reuse-before-send` once a built job's counters are committed, before
 * its URLs are sent (app/reuse-run.ts).
 */
export const FINISHER_FAULT_POINTS = ['finisher-mid-archive', 'redrive-mid-requeue', 'reuse-before-send'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number] | (typeof WAIT_FAULT_POINTS)[number] | (typeof FINISHER_FAULT_POINTS)[number];

export const noFaults: FaultInjector = { hit: () => {} };

export interface Logger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/**
 * Asks the finisher (its own function, fed by its own queue) to end a job: whoever wins the
 * transition to `finishing` (crawler, sweeper, cancel) sends this and nothing heavier. Sending it
 * twice is harmless: the finisher's work is idempotent and resumes from its checkpoint.
 */
export interface FinishRequests {
  request(jobId: string): Promise<void>;
  /**
   * Work too heavy for a 256 MB route, sent to the same queue and function (a listing and rewrite
   * of a job's frontier, the copies of a reused crawl): each is idempotent under duplicate
   * delivery and resumes after a crash (app/redrive-run.ts, app/reuse-run.ts).
   */
  requestWork(work: FinisherWork): Promise<void>;
}

/** the finisher's queue carries these besides `{jobId}` (a finish) */
export type FinisherWork = { kind: 'redrive'; jobId: string; run: number } | { kind: 'reuse'; jobId: string };

/** Assembles a job's web archive (WACZ) from its pages' WARC files when the job ends. */
export interface ArchiveAssembler {
  /** idempotent: a resumed finisher writes the same archive again */
  assemble(job: { jobId: string; finishedAt?: number }, pages: readonly { url: string; title: string; warcKey: string }[]): Promise<void>;
}
