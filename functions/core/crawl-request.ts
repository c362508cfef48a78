// A client's request once validated (messages.ts parses and checks it): every option normalised,
// its defaults applied, what the job, the cache key and the reuse rules read.
import type { PageAction } from './page-actions.js';
import type { RequestCookie } from './seed-credentials.js';
import type { BlockableResource, Format, RenderMode, Scope } from './vocabulary.js';
import type { WebhookTarget } from './webhook.js';

export interface CrawlRequest {
  url: string;
  depth: number;
  maxPages: number;
  scope: Scope;
  include: string[];
  exclude: string[];
  maxAgeSeconds: number;
  timeLimitSeconds: number;
  /** sorted, without repeats */
  block: BlockableResource[];
  obeyRobots: boolean;
  /** sorted, without repeats; at least one */
  formats: Format[];
  extract?: string;
  /** navigations per second to any one host, when the job asks for less than the ceiling */
  hostRate?: number;
  /** read each seed host's sitemaps: their in-scope URLs enter at depth 0 */
  sitemap?: true;
  /** the normalised seeds when the request gave `urls` (without repeats, in the order given); `url` is the first */
  seeds?: string[];
  /** steps run on every page (absent: none) */
  actions?: PageAction[];
  /** the client turned the default auto-scroll off */
  autoscroll?: false;
  /** what to do with consent banners, when not the default `reject` */
  consent?: 'accept' | 'leave';
  /** extra headers for the seeds' origins (absent: none); secrets: never logged nor stored beyond the job's run */
  headers?: Record<string, string>;
  /** cookies for the seeds' hosts (absent: none); secrets, as headers */
  cookies?: RequestCookie[];
  /** the crawl's own upstream proxy URL (absent: the stack's, if any); a secret, as headers */
  proxy?: string;
  /** only estimate the crawl (core/estimate.ts): no job is created */
  estimate?: true;
  /** the job ends `partial` when its estimated cost reaches this (USD) */
  budgetUsd?: number;
  /** the earlier job to compare with and ask conditionally (checked at submit: app/since-job.ts) */
  since?: string;
  /** the client gave `timeLimit` (absent: the default, which follows maxPages and the hosts' pace) */
  timeLimitAsked?: true;
  /** where the job's end is delivered (Standard Webhooks); the secret is never logged nor written to results */
  webhook?: WebhookTarget;
  /** pages fetched without a browser (`http`) or as learned per page type (`auto`); absent: the browser */
  render?: Exclude<RenderMode, 'browser'>;
  requestId?: string;
}

export interface JobRequest {
  jobId: string;
  requestId?: string;
}
