// The wire protocol: what clients may send (validated here, nowhere else) and what we answer.
import { z } from 'zod';
import { ClientInputError, ErrorCode } from './errors.js';
import { DEFAULT_DEPTH, type Limits } from './limits.js';
import { DEFAULT_HOST_RATE_CEILING } from './host-rate.js';
import { normaliseUrl } from './url.js';
import { defaultTimeLimitSeconds } from './estimate.js';
import { actionsSchema } from './page-actions.js';
import { cookiesSchema, headersSchema } from './seed-credentials.js';
import { MAX_PROXY_URL_LENGTH, parseProxyUrl } from './upstream-proxy.js';
import { BLOCKABLE_RESOURCES, CONSENT_MODES, DEFAULT_FORMATS, FORMATS, RENDER_MODES, type ChangeCounts, type FinalStatus, type JobStatus } from './vocabulary.js';
import { webhookSchema } from './webhook-options.js';
import { eventsOf } from './webhook.js';
import type { ScheduleView } from './schedule.js';

// What a request may ask to keep or skip is the protocol's to state; the words live in
// vocabulary.ts, where the job record shares them without importing the protocol.
export { BLOCKABLE_RESOURCES, CONTENT_FORMATS, DEFAULT_FORMATS, FORMATS, RENDER_MODES, type BlockableResource, type Format, type RenderMode } from './vocabulary.js';

const requestId = z.string().min(1).max(128);
/**
 * A job id as the crawl route makes it (crypto.randomUUID: lowercase, canonical form). Nothing else
 * is a job id: the jobs table also holds the stack's own items under other key shapes (e.g.
 * `host-rate#<host>`), and an action that took any string would let a client probe them.
 * Every action that names a job (status, cancel, redrive, and any later one, e.g. `since`) uses this.
 */
export const jobIdSchema = z
  .string({ error: 'jobId is required and must be a string' })
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: 'must be a job id as `accepted` gave it (a UUID)' });
const jobId = jobIdSchema;
/** A schedule id as `scheduled` gave it (crypto.randomUUID), for the same reason as a job id's shape. */
export const scheduleIdSchema = z
  .string({ error: 'scheduleId is required and must be a string' })
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: 'must be a schedule id as `scheduled` gave it (a UUID)' });
const globList = z.array(z.string().min(1).max(256)).max(20);

/** What the deployed code offers beyond the schema's fixed values: the extractors bundled with it. */
export interface Catalog {
  extractors: readonly string[];
}
const NO_CATALOG: Catalog = { extractors: [] };

export function clientMessageSchemas(limits: Limits, catalog: Catalog = NO_CATALOG) {
  const crawl = z.strictObject({
    action: z.literal('crawl'),
    // `url` or `urls`, exactly one: checked below, where a missing one can be named.
    url: z.string({ error: 'url is required and must be a string' }).min(1).max(limits.maxUrlLength).optional(),
    /** 1–100 seeds instead of `url`, each at depth 0 */
    urls: z.array(z.string({ error: 'each seed must be a string' }).min(1).max(limits.maxUrlLength)).min(1).max(MAX_SEEDS).optional(),
    depth: z.number().int().min(0).max(limits.maxDepth).optional(),
    maxPages: z.number().int().min(1).max(limits.maxPages).optional(),
    requestId: requestId.optional(),
    scope: z.enum(['host', 'domain', 'prefix']).optional(),
    include: globList.optional(),
    exclude: globList.optional(),
    /** reuse the result of an equal crawl that finished at most this many seconds ago (0: never) */
    maxAge: z.number().int().min(0).max(30 * 24 * 3600).optional(),
    /** seconds after which the job ends with what it has (status partial) */
    timeLimit: z.number().int().min(1).max(limits.maxJobTimeLimitSeconds).optional(),
    /** subresources the browser does not load (faster link-only crawls); default: load everything */
    block: z.array(z.enum(BLOCKABLE_RESOURCES)).max(BLOCKABLE_RESOURCES.length).optional(),
    /** obey each host's robots.txt (default true); false crawls what it disallows too */
    robots: z.boolean().optional(),
    /** what to keep of each page; default ["html"] */
    formats: z.array(z.enum(FORMATS)).min(1).max(FORMATS.length).optional(),
    /** also seed the crawl from each seed host's sitemaps (robots.txt Sitemap: lines, else /sitemap.xml) */
    sitemap: z.boolean().optional(),
    /** page navigations per second to any one host for this job: at most the stack's ceiling */
    hostRate: z
      .number()
      .positive()
      .max(limits.hostRateCeiling ?? DEFAULT_HOST_RATE_CEILING, { error: `must be at most the stack's ceiling of ${limits.hostRateCeiling ?? DEFAULT_HOST_RATE_CEILING} navigations per second` })
      .optional(),
    /** the name of an extractor deployed with the stack, run on every page */
    extract: z
      .string()
      .min(1)
      .max(64)
      .refine((name) => catalog.extractors.includes(name), {
        error: (issue) =>
          `no extractor named ${JSON.stringify(String(issue.input).slice(0, 64))}; deployed: ${catalog.extractors.join(', ') || 'none'}`,
      })
      .optional(),
    /** steps run on every page after it loads and before it is read (core/page-actions.ts) */
    actions: actionsSchema.optional(),
    /** scroll each page to its bottom, bounded, so lazy content loads (default true) */
    autoscroll: z.boolean().optional(),
    /** a cookie or consent banner of a known consent manager: rejected (default), accepted, or left as shown */
    consent: z.enum(CONSENT_MODES).optional(),
    /** extra request headers, sent to the seeds' origins (scheme, host, port) only; never logged nor written to results */
    headers: headersSchema.optional(),
    /** cookies sent to the seeds' origins only; never logged nor written to results */
    cookies: cookiesSchema.optional(),
    /**
     * the crawl's own upstream proxy, `http://user:pass@host:port` (where the stack allows it):
     * every request of the crawl leaves through it; a secret, never logged nor written to results
     */
    proxy: z
      .string({ error: 'must be a proxy URL string, http://user:pass@host:port' })
      .max(MAX_PROXY_URL_LENGTH)
      .superRefine((raw, ctx) => {
        const parsed = parseProxyUrl(raw);
        // the reason names the proxy masked, never its credentials
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
      })
      .optional(),
    /** answer `{type:"estimate", pages, durationS, costUsd}` and crawl nothing */
    estimate: z.boolean().optional(),
    /** end the job `partial` (endReason "budget") once its estimated cost reaches this many USD */
    budgetUsd: z.number().positive().max(MAX_BUDGET_USD).optional(),
    /**
     * an earlier finished job of the same client: its pages are asked for conditionally first (a 304
     * is `unchanged`, not rendered), and the manifest reports what changed since it
     */
    since: jobIdSchema.optional(),
    /** Standard Webhooks deliveries of the job's end to this receiver, signed with its secret (app/webhook-delivery.ts) */
    webhook: webhookSchema.optional(),
    /** how pages are rendered: "browser" (default, Chromium), "http" (no browser), "auto" (learned per page type) */
    render: z.enum(RENDER_MODES).optional(),
  });
  const status = z.strictObject({ action: z.literal('status'), jobId, requestId: requestId.optional() });
  const cancel = z.strictObject({ action: z.literal('cancel'), jobId, requestId: requestId.optional() });
  /** crawls again the URLs of a finished job that failed (robots.txt refusals excepted), in that job */
  const redrive = z.strictObject({ action: z.literal('redrive'), jobId, requestId: requestId.optional() });
  // A schedule's crawl: the crawl's options but those a run sets itself (since), that make no job
  // (estimate), that answer one request (requestId), and the webhook, given beside it for every run.
  const runSets = ['action', 'requestId', 'estimate', 'since', 'webhook', 'headers', 'cookies'].filter((key) => key in crawl.shape);
  const scheduledCrawl = crawl.omit(Object.fromEntries(runSets.map((key) => [key, true])) as Record<keyof typeof crawl.shape, true>);
  /** runs `crawl` every interval (or at each time of a Unix cron expression, UTC), each run a job with `since` = the previous successful run */
  const schedule = z.strictObject({
    action: z.literal('schedule'),
    /** "N minute(s)", "N hour(s)" or "N day(s)" */
    every: z.string().max(64).optional(),
    /** five fields, UTC (core/schedule.ts parseCron) */
    cron: z.string().max(256).optional(),
    crawl: scheduledCrawl,
    webhook: webhookSchema.optional(),
    requestId: requestId.optional(),
  });
  const unschedule = z.strictObject({ action: z.literal('unschedule'), scheduleId: scheduleIdSchema, requestId: requestId.optional() });
  /** the asking client's schedules */
  const schedules = z.strictObject({ action: z.literal('schedules'), requestId: requestId.optional() });
  return { crawl, status, cancel, redrive, schedule, unschedule, schedules };
}

// What a valid `crawl` (and a job action) is once parsed: crawl-request.ts.
export type { CrawlRequest, JobRequest } from './crawl-request.js';
import type { CrawlRequest, JobRequest } from './crawl-request.js';

export type ServerMessage =
  /** `redrive`: true when the job was restarted by `redrive` (same jobId) */
  /** `warning`: the job runs, but may not do all it was asked (a time limit too short for maxPages at its hosts' pace) */
  | { type: 'accepted'; jobId: string; requestId?: string; cached: boolean; redrive?: true; warning?: string }
  /** the answer to `estimate: true` (core/estimate.ts): nothing was crawled */
  | {
      type: 'estimate';
      requestId?: string;
      pages: number;
      durationS: number;
      costUsd: number;
      /** what `pages` comes from: maxPages, or the in-scope URLs of the seeds' sitemaps (`sitemap: true`) when fewer */
      basis?: 'maxPages' | 'sitemap';
      /** with basis `sitemap`: the in-scope URLs counted (seeds included, at most maxPages), and whether every sitemap file was read */
      sitemapUrls?: number;
      sitemapComplete?: boolean;
    }
  /**
   * `delayed`: of the queued URLs, those waiting for their host's next slot (politeness), when any;
   * `waiting`: the host the job waits on and when its URLs are due back (epoch ms), while it waits.
   * Sent after settles (throttled) and, while the job runs, at least every heartbeat interval.
   */
  | { type: 'progress'; jobId: string; done: number; queued: number; failed: number; delayed?: number; waiting?: { host: string; untilMs: number } }
  | {
      type: 'completed';
      jobId: string;
      requestId?: string;
      status: FinalStatus;
      pages: number;
      /** URLs that failed; URLs robots.txt disallows are not failures: they are counted in `skipped` */
      failed: number;
      /** URLs found but not fetched because robots.txt disallows them (manifest `skipped`), when any */
      skipped?: number;
      durationMs: number;
      cached: boolean;
      manifestUrl: string;
      /** presigned pages.jsonl, when the job kept content (markdown, text, screenshot, an extractor) */
      resultsUrl?: string;
      /** presigned WACZ, when the job asked for the archive format */
      archiveUrl?: string;
      /** distinct in-scope links left out because of maxPages, when any were */
      capped?: number;
      /** links pages had past the stack's maxLinksPerPage, not followed, when any were */
      linksDropped?: number;
      /** pages taken from an earlier crawl of smaller depth (maxAge), not rendered again, when any were */
      reused?: number;
      /** the manifest's usage.estimatedCostUsd (core/usage.ts) */
      estimatedCostUsd?: number;
      /** why the job ended early: 'budget', 'time limit reached', 'job cancelled'… (absent: it ran to its end) */
      endReason?: string;
      /** pages whose answer was a bot challenge or block page (manifest pages with `state: "blocked"`), when any */
      blocked?: number;
      /** more pages were blocked than crawled and failed together: the site keeps this crawler out */
      mostlyBlocked?: true;
      /** a `since` crawl: how many URLs were added, changed, unchanged and removed against the earlier job */
      changes?: ChangeCounts;
    }
  | {
      type: 'status';
      jobId: string;
      requestId?: string;
      status: JobStatus;
      done: number;
      queued: number;
      failed: number;
      /** URLs robots.txt disallows (not failures), when any */
      skipped?: number;
      manifestUrl?: string;
      /** a final job's exports, as its `completed` gave them */
      resultsUrl?: string;
      archiveUrl?: string;
      /** where the job's latest webhook delivery stands, when it has one */
      webhook?: { id: string; type: string; state: 'pending' | 'delivered' | 'failed'; attempts: number; lastError?: string };
    }
  /** `schedule` accepted: `expression` is the EventBridge Scheduler form it runs on (UTC) */
  | { type: 'scheduled'; scheduleId: string; requestId?: string; every?: string; cron?: string; expression: string }
  | { type: 'unscheduled'; scheduleId: string; requestId?: string }
  /** the asking client's schedules (core/schedule.ts scheduleView) */
  | { type: 'schedules'; requestId?: string; schedules: ScheduleView[] }
  | { type: 'error'; code: string; message: string; requestId?: string; jobId?: string };

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown field(s): ${issue.keys.join(', ')}`;
      const where = issue.path.length > 0 ? issue.path.join('.') : 'message';
      return `${where}: ${issue.message}`;
    })
    .join('; ');
}

/** Frames are measured in bytes, as API Gateway counts them. */
export function checkFrameSize(body: string | undefined | null, limits: Limits): void {
  const size = Buffer.byteLength(body ?? '', 'utf8');
  if (size > limits.maxFrameBytes) {
    throw new ClientInputError(ErrorCode.frameTooLarge, `frame is ${size} bytes; the limit is ${limits.maxFrameBytes}`);
  }
}

/** Parses a frame into a JSON object, echoing the client's requestId in any error when we can read it. */
export function parseFrame(body: string | undefined | null, limits: Limits): Record<string, unknown> {
  checkFrameSize(body, limits);
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    throw new ClientInputError(ErrorCode.invalidJson, 'frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClientInputError(ErrorCode.invalidMessage, 'message must be a JSON object with an "action" field');
  }
  return value as Record<string, unknown>;
}

/** The requestId to echo on an error, only if it is itself valid. */
export function echoableRequestId(message: Record<string, unknown>): string | undefined {
  const parsed = requestId.safeParse(message.requestId);
  return parsed.success ? parsed.data : undefined;
}

export const KNOWN_ACTIONS = ['crawl', 'status', 'cancel', 'redrive', 'schedule', 'unschedule', 'schedules'] as const;

/** For the $default route: explains why the message matched no route. */
export function explainUnroutable(body: string | undefined | null, limits: Limits): ClientInputError {
  let message: Record<string, unknown>;
  try {
    message = parseFrame(body, limits);
  } catch (error) {
    if (error instanceof ClientInputError) return error;
    throw error;
  }
  const rid = echoableRequestId(message);
  if (message.action === undefined) {
    return new ClientInputError(ErrorCode.invalidMessage, `message has no "action" field; expected one of: ${KNOWN_ACTIONS.join(', ')}`, rid);
  }
  const shown = typeof message.action === 'string' ? `"${message.action.slice(0, 64)}"` : `of type ${typeof message.action}`;
  return new ClientInputError(ErrorCode.unknownAction, `unknown action ${shown}; expected one of: ${KNOWN_ACTIONS.join(', ')}`, rid);
}

/** Seeds one crawl may start from (`urls`). */
export const MAX_SEEDS = 100;

/** The largest `budgetUsd` a request may set: beyond it, a typo rather than a budget. */
export const MAX_BUDGET_USD = 100_000;

/**
 * The normalised seeds of a crawl: `url`, or each of `urls` (exactly one of the two), repeats
 * dropped. A bad seed among `urls` is named by its index.
 */
function seedsOf(data: { url?: string; urls?: string[] }, limits: Limits, rid: string | undefined): string[] {
  if (data.url !== undefined && data.urls !== undefined) {
    throw new ClientInputError(ErrorCode.invalidRequest, 'give either url or urls, not both', rid);
  }
  if (data.url === undefined && data.urls === undefined) {
    throw new ClientInputError(ErrorCode.invalidRequest, 'url: url is required and must be a string (or urls: a list of 1–100 seeds)', rid);
  }
  if (data.url !== undefined) {
    const seed = normaliseUrl(data.url, undefined, limits.maxUrlLength);
    if (!seed.ok) throw new ClientInputError(ErrorCode.invalidUrl, `url: ${seed.reason}`, rid);
    return [seed.url];
  }
  const seeds: string[] = [];
  data.urls!.forEach((raw, index) => {
    const seed = normaliseUrl(raw, undefined, limits.maxUrlLength);
    if (!seed.ok) throw new ClientInputError(ErrorCode.invalidRequest, `urls[${index}]: ${seed.reason}`, rid);
    if (!seeds.includes(seed.url)) seeds.push(seed.url);
  });
  return seeds;
}

export function parseCrawlRequest(body: string | undefined | null, limits: Limits, catalog: Catalog = NO_CATALOG): CrawlRequest {
  const message = parseFrame(body, limits);
  const rid = echoableRequestId(message);
  const parsed = clientMessageSchemas(limits, catalog).crawl.safeParse(message);
  if (!parsed.success) throw new ClientInputError(ErrorCode.invalidRequest, describeIssues(parsed.error), rid);
  const seeds = seedsOf(parsed.data, limits, rid);
  // The archive keeps every request as it was sent: the headers and cookies would be written with it.
  if ((parsed.data.headers !== undefined || parsed.data.cookies !== undefined) && parsed.data.formats?.includes('archive')) {
    throw new ClientInputError(ErrorCode.invalidRequest, 'formats: "archive" records every request as sent, so it cannot be used with headers or cookies (they would be written into the archive)', rid);
  }
  if (parsed.data.proxy !== undefined && !limits.allowCrawlProxy) {
    throw new ClientInputError(ErrorCode.invalidRequest, 'proxy: this stack does not allow a crawl to name its own proxy (its operator can allow it: allowCrawlProxy)', rid);
  }
  // Actions click and type in a live page: without a browser there is none to run them in.
  if (parsed.data.render === 'http' && parsed.data.actions?.length) {
    throw new ClientInputError(ErrorCode.invalidRequest, 'render: "http" fetches pages without a browser, so it cannot run `actions`; use "browser" or "auto"', rid);
  }
  return {
    url: seeds[0]!,
    ...(parsed.data.urls !== undefined ? { seeds } : {}),
    ...(parsed.data.sitemap === true ? { sitemap: true as const } : {}),
    depth: parsed.data.depth ?? DEFAULT_DEPTH,
    maxPages: parsed.data.maxPages ?? limits.defaultMaxPages,
    scope: parsed.data.scope ?? 'host',
    include: parsed.data.include ?? [],
    exclude: parsed.data.exclude ?? [],
    maxAgeSeconds: parsed.data.maxAge ?? 0,
    // By default a job has the time its hosts' pace needs for maxPages (core/estimate.ts).
    timeLimitSeconds: parsed.data.timeLimit ?? defaultTimeLimitSeconds(parsed.data.maxPages ?? limits.defaultMaxPages, seeds, parsed.data.hostRate, limits),
    ...(parsed.data.timeLimit !== undefined ? { timeLimitAsked: true as const } : {}),
    ...(parsed.data.estimate === true ? { estimate: true as const } : {}),
    ...(parsed.data.budgetUsd !== undefined ? { budgetUsd: parsed.data.budgetUsd } : {}),
    ...(parsed.data.since !== undefined ? { since: parsed.data.since } : {}),
    block: [...new Set(parsed.data.block ?? [])].sort(),
    obeyRobots: parsed.data.robots ?? true,
    formats: [...new Set(parsed.data.formats ?? DEFAULT_FORMATS)].sort(),
    ...(parsed.data.extract !== undefined ? { extract: parsed.data.extract } : {}),
    ...(parsed.data.hostRate !== undefined ? { hostRate: parsed.data.hostRate } : {}),
    ...(parsed.data.actions?.length ? { actions: parsed.data.actions } : {}),
    ...(parsed.data.autoscroll === false ? { autoscroll: false as const } : {}),
    ...(parsed.data.consent !== undefined && parsed.data.consent !== 'reject' ? { consent: parsed.data.consent } : {}),
    ...(parsed.data.headers && Object.keys(parsed.data.headers).length > 0 ? { headers: parsed.data.headers } : {}),
    ...(parsed.data.cookies?.length ? { cookies: parsed.data.cookies.map(({ name, value, path }) => ({ name, value, ...(path !== undefined ? { path } : {}) })) } : {}),
    ...(parsed.data.proxy !== undefined ? { proxy: parsed.data.proxy } : {}),
    ...(parsed.data.webhook !== undefined ? { webhook: { url: parsed.data.webhook.url, secret: parsed.data.webhook.secret, events: eventsOf(parsed.data.webhook) } } : {}),
    ...(parsed.data.render !== undefined && parsed.data.render !== 'browser' ? { render: parsed.data.render } : {}),
    requestId: parsed.data.requestId,
  };
}

export function parseJobRequest(body: string | undefined | null, action: 'status' | 'cancel' | 'redrive', limits: Limits): JobRequest {
  const message = parseFrame(body, limits);
  const rid = echoableRequestId(message);
  const parsed = clientMessageSchemas(limits)[action].safeParse(message);
  if (!parsed.success) throw new ClientInputError(ErrorCode.invalidRequest, describeIssues(parsed.error), rid);
  return { jobId: parsed.data.jobId, requestId: parsed.data.requestId };
}

export function errorMessage(error: ClientInputError): ServerMessage {
  return {
    type: 'error',
    code: error.code,
    message: error.message,
    ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
    ...(error.jobId !== undefined ? { jobId: error.jobId } : {}),
  };
}
