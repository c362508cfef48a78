// A job's webhook (`webhook: {url, secret, events?}` on `crawl`, core/webhook-options.ts): what is
// delivered when, and how often it is tried. Pure: the delivery itself is app/webhook-delivery.ts,
// the signature the `standardwebhooks` package's (adapters/http/webhook-sender.ts).
//
// One delivery per end of a job's run (its first end, and each redrive's): `crawl.failed` when the
// run ended `failed`, `crawl.completed` otherwise (succeeded, partial, cancelled: `data.status` says
// which). Its `webhook-id` is fixed by the job and the run, so every retry, and a second send by a
// finisher that resumed, carry the same id: a receiver drops what it has already seen.
import type { FinalStatus } from './vocabulary.js';
import { DEFAULT_WEBHOOK_EVENTS, type WebhookEvent, type WebhookOptions } from './webhook-options.js';

/**
 * Seconds before each retry after a failed attempt (non-2xx, timeout, no answer): 6 attempts in
 * about 2 h 35 min, as the Standard Webhooks guidance spaces them (seconds, then minutes, then
 * hours). SQS delays a message at most 900 s, so a longer wait is several hops (hopDelaySeconds).
 */
export const DEFAULT_WEBHOOK_RETRY_SECONDS: readonly number[] = [5, 60, 300, 1800, 7200];
/** how long one attempt may take before it counts as failed */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** SQS's longest message delay */
export const MAX_HOP_SECONDS = 900;

export type WebhookType = 'crawl.completed' | 'crawl.failed' | 'crawl.page';

/** What the job item keeps of its webhook: which events it wants (the URL and secret are in the secrets table). */
export interface JobWebhook {
  events: WebhookEvent[];
}

/** The receiver and its secret, kept in the secrets table (never on the job item, in a log or a manifest). */
export type WebhookTarget = Required<Pick<WebhookOptions, 'url' | 'secret'>> & { events: WebhookEvent[] };

/** Where a job's latest delivery stands: on the job item, shown by `status`. */
export interface WebhookDelivery {
  webhookId: string;
  type: WebhookType;
  state: 'pending' | 'delivered' | 'failed';
  /** attempts made so far */
  attempts: number;
  /** why the last attempt failed (an HTTP status, a timeout, a refusal of the address guard) */
  lastError?: string;
  /** epoch ms of the last attempt */
  at: number;
}

/** One queue message: a delivery to try at `dueAt` (epoch ms), the body fixed when it was queued. */
export interface WebhookMessage {
  jobId: string;
  webhookId: string;
  type: WebhookType;
  /** attempts already made */
  attempt: number;
  dueAt: number;
  /** the JSON body, the same on every attempt */
  body: string;
}

export interface WebhookCounts {
  pages: number;
  failed: number;
  skipped: number;
  capped?: number;
  reused?: number;
}

export interface WebhookBody {
  type: WebhookType;
  /** when the event happened (the run's end), ISO 8601 */
  timestamp: string;
  data: {
    jobId: string;
    status: FinalStatus;
    counts: WebhookCounts;
    /** the change report's counts, when the job compared itself with an earlier one (`since`) */
    changes?: { added: number; changed: number; unchanged: number; removed: number };
    manifestUrl: string;
    resultsUrl?: string;
    archiveUrl?: string;
  };
}

export function eventsOf(options: Pick<WebhookOptions, 'events'>): WebhookEvent[] {
  return [...new Set(options.events ?? DEFAULT_WEBHOOK_EVENTS)].sort();
}

/** The delivery a run's end makes, or null when the webhook did not ask for that event. */
export function endEventOf(status: FinalStatus, events: readonly WebhookEvent[]): WebhookType | null {
  const event: WebhookEvent = status === 'failed' ? 'failed' : 'completed';
  return events.includes(event) ? (`crawl.${event}` as WebhookType) : null;
}

/** Stable per job and run (each redrive is a run of its own): the `webhook-id` of every attempt. */
export function webhookIdOf(jobId: string, run: number): string {
  return `msg_${jobId.replace(/-/g, '')}_${run}`;
}

/** Seconds to wait before the next attempt after `attempts` failed ones; null: give up. */
export function retryDelaySeconds(attempts: number, schedule: readonly number[]): number | null {
  const delay = schedule[attempts - 1];
  return delay === undefined ? null : delay;
}

/** The delay of the next hop towards `dueAt`: at most what SQS allows, so long waits are chained. */
export function hopDelaySeconds(dueAt: number, now: number): number {
  return Math.min(MAX_HOP_SECONDS, Math.max(0, Math.ceil((dueAt - now) / 1000)));
}

/** The total time the schedule keeps trying: the first attempt plus every wait. */
export function retryWindowSeconds(schedule: readonly number[]): number {
  return schedule.reduce((a, b) => a + b, 0);
}

/** Parses `WEBHOOK_RETRY_SECONDS` ("5,60,300"): positive integers, at most 20 of them. */
export function parseRetrySchedule(text: string | undefined): readonly number[] {
  if (text === undefined || text.trim() === '') return DEFAULT_WEBHOOK_RETRY_SECONDS;
  const values = text.split(',').map((v) => Number(v.trim()));
  if (values.length > 20 || values.some((v) => !Number.isInteger(v) || v < 0 || v > 24 * 3600)) {
    throw new Error(`invalid webhook retry schedule ${JSON.stringify(text)}: comma-separated seconds (0–86400), at most 20`);
  }
  return values;
}

/** The secrets table's webhook item and the job item's delivery state (adapters/dynamodb/webhook-store.ts). */
export interface WebhookStore {
  /** keeps the receiver and its secret until `expiresAt` (epoch seconds), apart from the job item */
  putTarget(jobId: string, target: WebhookTarget, expiresAt: number): Promise<void>;
  getTarget(jobId: string): Promise<WebhookTarget | null>;
  deleteTarget(jobId: string): Promise<void>;
  /**
   * records where a delivery stands on the job item; a delivery already `delivered` or `failed`
   * under the same id is not moved back (false: it was not recorded, the delivery is over)
   */
  recordDelivery(jobId: string, delivery: WebhookDelivery): Promise<boolean>;
  getDelivery(jobId: string): Promise<WebhookDelivery | null>;
}

/** The webhook queue: each message one attempt, delayed by at most MAX_HOP_SECONDS. */
export interface WebhookQueue {
  send(message: WebhookMessage, delaySeconds: number): Promise<void>;
}

/** One signed POST; `status` null when no answer came (timeout, refused connection, the address guard). */
export interface WebhookSender {
  post(target: Pick<WebhookTarget, 'url' | 'secret'>, message: Pick<WebhookMessage, 'webhookId' | 'body'>, timestamp: Date): Promise<{ status: number | null; error?: string }>;
}

/** What a stack that delivers webhooks gives the use cases. */
export interface Webhooks {
  store: WebhookStore;
  queue: WebhookQueue;
  /** the delivery function only */
  sender?: WebhookSender;
  retrySeconds: readonly number[];
  /** the address check the receiver's URL must pass when the crawl is submitted (the egress guard) */
  checkUrl?: (url: string) => Promise<{ allowed: true } | { allowed: false; reason: string }>;
}
