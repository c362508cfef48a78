// The schedule actions' messages (issue #29): `schedule`, `unschedule`, `schedules`, checked here
// against the schemas of core/messages.ts (clientMessageSchemas), beside the crawl they carry.
import { ClientInputError, ErrorCode } from './errors.js';
import type { Limits } from './limits.js';
import { clientMessageSchemas, describeIssues, echoableRequestId, parseCrawlRequest, parseFrame, type Catalog } from './messages.js';
import { DEFAULT_MAX_SCHEDULES_PER_CLIENT, DEFAULT_SCHEDULE_MIN_INTERVAL_SECONDS, parseCron, parseEvery, type ScheduleTiming } from './schedule.js';
import type { WebhookOptions } from './webhook-options.js';

export interface ScheduleRequest {
  every?: string;
  cron?: string;
  timing: ScheduleTiming;
  /** the crawl as given (validated as `crawl` is): each run submits it */
  crawl: Record<string, unknown>;
  webhook?: WebhookOptions;
  requestId?: string;
}

export interface ScheduleIdRequest {
  scheduleId: string;
  requestId?: string;
}

/**
 * `schedule`: exactly one of `every` and `cron`, no more often than the stack's minimum interval,
 * and a crawl that `crawl` itself would accept (the same checks, named under `crawl`). A schedule
 * keeps its crawl for every run: headers, cookies and its own proxy (secrets) are refused, not kept at rest.
 */
export function parseScheduleRequest(body: string | undefined | null, limits: Limits, catalog: Catalog = { extractors: [] }): ScheduleRequest {
  const message = parseFrame(body, limits);
  const rid = echoableRequestId(message);
  const inner = message.crawl;
  if (typeof inner === 'object' && inner !== null) {
    for (const secret of ['headers', 'cookies', 'proxy'] as const) {
      if (secret in inner) throw new ClientInputError(ErrorCode.invalidRequest, `crawl.${secret}: not allowed on a schedule (a schedule keeps its crawl for every run, and credentials are not kept at rest)`, rid);
    }
  }
  const parsed = clientMessageSchemas(limits, catalog).schedule.safeParse(message);
  if (!parsed.success) throw new ClientInputError(ErrorCode.invalidRequest, describeIssues(parsed.error), rid);
  const { every, cron, crawl, webhook } = parsed.data;
  if ((every === undefined) === (cron === undefined)) throw new ClientInputError(ErrorCode.invalidRequest, 'give either every (e.g. "1 hour") or cron (five fields, UTC), exactly one', rid);
  const field = every !== undefined ? 'every' : 'cron';
  const timing = every !== undefined ? parseEvery(every) : parseCron(cron!);
  if (!timing.ok) throw new ClientInputError(ErrorCode.invalidRequest, `${field}: ${timing.reason}`, rid);
  const minimum = limits.scheduleMinIntervalSeconds ?? DEFAULT_SCHEDULE_MIN_INTERVAL_SECONDS;
  if (timing.timing.minGapSeconds < minimum) {
    throw new ClientInputError(ErrorCode.invalidRequest, `${field}: runs ${describeSeconds(timing.timing.minGapSeconds)} apart; this stack's minimum interval is ${describeSeconds(minimum)}`, rid);
  }
  // The same checks as a crawl (one seed or the other, formats with credentials…), named under crawl.
  try {
    parseCrawlRequest(JSON.stringify({ ...crawl, action: 'crawl' }), { ...limits, maxFrameBytes: Number.MAX_SAFE_INTEGER }, catalog);
  } catch (error) {
    if (error instanceof ClientInputError) throw new ClientInputError(error.code, `crawl: ${error.message}`, rid);
    throw error;
  }
  return {
    ...(every !== undefined ? { every } : { cron }),
    timing: timing.timing,
    crawl: crawl as Record<string, unknown>,
    ...(webhook ? { webhook } : {}),
    ...(parsed.data.requestId !== undefined ? { requestId: parsed.data.requestId } : {}),
  };
}

function describeSeconds(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day(s)`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour(s)`;
  if (seconds % 60 === 0) return `${seconds / 60} minute(s)`;
  return `${seconds} s`;
}

export function parseScheduleIdRequest(body: string | undefined | null, limits: Limits): ScheduleIdRequest {
  const message = parseFrame(body, limits);
  const rid = echoableRequestId(message);
  const parsed = clientMessageSchemas(limits).unschedule.safeParse(message);
  if (!parsed.success) throw new ClientInputError(ErrorCode.invalidRequest, describeIssues(parsed.error), rid);
  return { scheduleId: parsed.data.scheduleId, ...(parsed.data.requestId !== undefined ? { requestId: parsed.data.requestId } : {}) };
}

export function parseSchedulesRequest(body: string | undefined | null, limits: Limits): { requestId?: string } {
  const message = parseFrame(body, limits);
  const rid = echoableRequestId(message);
  const parsed = clientMessageSchemas(limits).schedules.safeParse(message);
  if (!parsed.success) throw new ClientInputError(ErrorCode.invalidRequest, describeIssues(parsed.error), rid);
  return parsed.data.requestId !== undefined ? { requestId: parsed.data.requestId } : {};
}

/** The most schedules one client may keep (the stack's setting, else the default). */
export function maxSchedulesOf(limits: Limits): number {
  return limits.maxSchedulesPerClient ?? DEFAULT_MAX_SCHEDULES_PER_CLIENT;
}
