// Schedules (issue #29, DESIGN.md "Sites change"): when a recurring crawl runs, said as `every`
// ("N minutes|hours|days") or as a Unix cron expression, and what a stored schedule holds.
// Pure: the EventBridge Scheduler expression is derived here, so the route (AWS) and the local
// scheduler (local/emulators/scheduler.ts) read the same one.
import { CronExpressionParser } from 'cron-parser';
import type { WebhookOptions } from './webhook-options.js';

const UNIT_SECONDS = { minute: 60, hour: 3600, day: 86_400 } as const;
type Unit = keyof typeof UNIT_SECONDS;

/** The longest interval `every` may say: a year (EventBridge takes more, but beyond it is a typo). */
export const MAX_EVERY_SECONDS = 366 * 86_400;

/** What an interval or cron expression was understood as: the EventBridge expression and the shortest gap between two runs. */
export interface ScheduleTiming {
  /** `rate(5 minutes)` or `cron(0 9 ? * MON-FRI *)`: EventBridge Scheduler's own syntax, always UTC */
  expression: string;
  /** the shortest time between two runs (for a cron, over the occurrences checked) */
  minGapSeconds: number;
}

export type TimingResult = { ok: true; timing: ScheduleTiming } | { ok: false; reason: string };

/**
 * `every`: a whole number and a unit, "1 minute", "15 minutes", "2 hours", "1 day". Nothing else
 * (no "1.5 hours", no "hourly"): a schedule read back must mean one thing.
 */
export function parseEvery(every: string): TimingResult {
  const match = /^\s*([1-9][0-9]{0,5})\s+(minute|minutes|hour|hours|day|days)\s*$/i.exec(every);
  if (!match) return { ok: false, reason: 'must be a whole number and a unit: "N minute(s)", "N hour(s)" or "N day(s)", e.g. "1 hour"' };
  const count = Number(match[1]);
  const unit = match[2]!.toLowerCase().replace(/s$/, '') as Unit;
  const seconds = count * UNIT_SECONDS[unit];
  if (seconds > MAX_EVERY_SECONDS) return { ok: false, reason: 'must be at most 366 days' };
  // EventBridge wants the singular for 1 and the plural otherwise: rate(1 hour), rate(2 hours).
  return { ok: true, timing: { expression: `rate(${count} ${count === 1 ? unit : `${unit}s`})`, minGapSeconds: seconds } };
}

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** occurrences looked at to find a cron's shortest gap: more than a day of per-minute runs, and the gaps of minute and hour fields repeat daily */
const CRON_SAMPLES = 2000;
/** a fixed start for that look, so the same expression always gets the same answer (a leap year's January) */
const CRON_SAMPLE_FROM = Date.UTC(2028, 0, 1);

/**
 * `cron`: a Unix cron expression, five fields (minute hour day-of-month month day-of-week), in UTC,
 * as crontab(5) writes them: numbers, `*`, lists, ranges and steps; months JAN–DEC and weekdays
 * SUN–SAT (0 and 7 are Sunday) by name too. Not the extensions that only some crons know (`L`, `#`,
 * `W`, `?`, `H`, `@daily`), and not a day of month and a day of week at once: Unix cron runs on
 * either, EventBridge cannot say that (it wants `?` in one of the two).
 * Converted to EventBridge's six-field form: `cron(min hour dom month dow year)`, with its weekdays
 * named (its numbers start at 1 for Sunday, Unix's at 0) and `?` where Unix has `*`.
 */
export function parseCron(cron: string): TimingResult {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return { ok: false, reason: `must have five fields (minute hour day-of-month month day-of-week), in UTC; got ${fields.length}` };
  const bad = fields.findIndex((f) => !/^[0-9A-Za-z*,/-]+$/.test(f));
  if (bad >= 0) return { ok: false, reason: `field ${bad + 1} (${JSON.stringify(fields[bad]!.slice(0, 32))}): only numbers, names, *, lists (,), ranges (-) and steps (/)` };
  const named = fields.findIndex((f, i) => i !== 3 && i !== 4 && /[A-Za-z]/.test(f));
  if (named >= 0) return { ok: false, reason: `field ${named + 1}: names are for months and weekdays only` };
  // Only whole names there (JAN, MON): not the `L` of "last Friday" (5L), which EventBridge spells otherwise.
  for (const [index, names] of [[3, MONTH_NAMES], [4, DAY_NAMES]] as const) {
    const unknown = (fields[index]!.toUpperCase().match(/[A-Z]+/g) ?? []).find((word) => !names.includes(word));
    if (unknown) return { ok: false, reason: `field ${index + 1}: ${JSON.stringify(unknown.slice(0, 16))} is not a ${index === 3 ? 'month (JAN–DEC)' : 'weekday (SUN–SAT)'}` };
  }
  const [minute, hour, dom, month, dow] = fields.map((f) => f.toUpperCase()) as [string, string, string, string, string];
  let parsed;
  try {
    parsed = CronExpressionParser.parse([minute, hour, dom, month, dow].join(' '), { tz: 'UTC', currentDate: new Date(CRON_SAMPLE_FROM) });
  } catch (error) {
    return { ok: false, reason: String((error as Error).message).slice(0, 200) };
  }
  const domAny = dom === '*';
  const dowAny = dow === '*';
  if (!domAny && !dowAny) return { ok: false, reason: 'give a day of month or a day of week, not both (use * for the other): EventBridge Scheduler cannot run on either' };
  // Weekdays as names, from the parsed set: EventBridge's numbers are not Unix's (1 = Sunday there).
  const days = [...new Set(parsed.fields.dayOfWeek.values.map((d) => Number(d) % 7))].sort((a, b) => a - b);
  const eventBridgeDow = dowAny ? '?' : days.map((d) => DAY_NAMES[d]).join(',');
  const eventBridgeDom = domAny && !dowAny ? '?' : dom;
  const expression = `cron(${minute} ${hour} ${eventBridgeDom} ${month} ${eventBridgeDow} *)`;
  let previous = parsed.next().getTime();
  let minGap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < CRON_SAMPLES && parsed.hasNext(); i += 1) {
    const next = parsed.next().getTime();
    minGap = Math.min(minGap, next - previous);
    previous = next;
  }
  // A cron that runs once in the years looked at (29 February…) has no gap: a year.
  return { ok: true, timing: { expression, minGapSeconds: Number.isFinite(minGap) ? Math.round(minGap / 1000) : MAX_EVERY_SECONDS } };
}

/** The Unix cron an EventBridge cron(…) expression came from (parseCron's inverse, enough for cron-parser). */
export function unixCronOf(expression: string): string | undefined {
  const match = /^cron\((.+)\)$/.exec(expression);
  if (!match) return undefined;
  const [minute, hour, dom, month, dow] = match[1]!.trim().split(/\s+/);
  return [minute, hour, dom, month, dow].map((f) => (f === '?' ? '*' : f)).join(' ');
}

/** Seconds of a rate(N unit) expression, or undefined for another kind. */
export function rateSecondsOf(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  return match ? Number(match[1]) * UNIT_SECONDS[match[2] as Unit] : undefined;
}

/**
 * The next run of an expression strictly after `after` (epoch ms), as the local scheduler fires it.
 * A rate counts from the schedule's start (`from`), as EventBridge Scheduler's does.
 */
export function nextRunAfter(expression: string, from: number, after: number, minuteMs = 60_000): number | undefined {
  const rate = rateSecondsOf(expression);
  if (rate !== undefined) {
    const period = (rate / 60) * minuteMs;
    return from + (Math.floor((after - from) / period) + 1) * period;
  }
  const cron = unixCronOf(expression);
  if (cron === undefined) return undefined;
  try {
    return CronExpressionParser.parse(cron, { tz: 'UTC', currentDate: new Date(after) }).next().getTime();
  } catch {
    return undefined;
  }
}

/** A schedule's item (jobs table, under its own key shape: adapters/dynamodb/schedule-store.ts). */
export interface ScheduleRecord {
  scheduleId: string;
  /** the client that made it (core/owners.ts): only it sees or removes it, and its runs are its jobs */
  owner: string;
  /** the connection that made it: its runs' `accepted`, `progress` and `completed` go there while it is open */
  connectionId: string;
  /** as the client gave it: one of the two */
  every?: string;
  cron?: string;
  /** the EventBridge Scheduler expression (core/schedule.ts) */
  expression: string;
  /** the crawl each run submits, as the client gave it (validated as `crawl` is) */
  crawl: Record<string, unknown>;
  /** where each run's webhook deliveries go (core/webhook-options.ts) */
  webhook?: WebhookOptions;
  createdAt: number;
  /** runs started (a job submitted) */
  runs: number;
  /** firings skipped because the previous run was still running */
  skipped: number;
  /** the scheduled time (epoch ms) of the last firing acted on: a repeated delivery of it is dropped */
  lastFiredAt?: number;
  /** the last run's job, and the `since` it was given */
  lastJobId?: string;
  lastSince?: string;
  /** the latest run known to have succeeded: the next run's `since` */
  lastSucceededJobId?: string;
  lastSkippedAt?: number;
  /** why the last firing started no job (a quota, a refused option), when it did not */
  lastError?: string;
  /** unscheduled at: kept a while (expiresAt) so a firing already on its way finds it gone */
  deletedAt?: number;
}

/** What `schedules` shows of one (core/server-messages.ts schedulesMessage). */
// A type, not an interface: it must fit the schema's open object (an index signature).
export type ScheduleView = {
  scheduleId: string;
  every?: string;
  cron?: string;
  crawl: Record<string, unknown>;
  webhook?: { url: string; events?: string[] };
  createdAt: string;
  runs: number;
  skipped: number;
  lastRunAt?: string;
  lastJobId?: string;
  lastSince?: string;
  lastSucceededJobId?: string;
  lastSkippedAt?: string;
  lastError?: string;
};

/** What `schedules` shows of one: never the webhook's secret. */
export function scheduleView(s: ScheduleRecord): ScheduleView {
  return {
    scheduleId: s.scheduleId,
    ...(s.every !== undefined ? { every: s.every } : {}),
    ...(s.cron !== undefined ? { cron: s.cron } : {}),
    crawl: s.crawl,
    ...(s.webhook ? { webhook: { url: s.webhook.url, ...(s.webhook.events ? { events: s.webhook.events } : {}) } } : {}),
    createdAt: new Date(s.createdAt).toISOString(),
    runs: s.runs,
    skipped: s.skipped,
    ...(s.lastFiredAt !== undefined ? { lastRunAt: new Date(s.lastFiredAt).toISOString() } : {}),
    ...(s.lastJobId !== undefined ? { lastJobId: s.lastJobId } : {}),
    ...(s.lastSince !== undefined ? { lastSince: s.lastSince } : {}),
    ...(s.lastSucceededJobId !== undefined ? { lastSucceededJobId: s.lastSucceededJobId } : {}),
    ...(s.lastSkippedAt !== undefined ? { lastSkippedAt: new Date(s.lastSkippedAt).toISOString() } : {}),
    ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
  };
}

/** What a target invocation carries: EventBridge Scheduler puts the firing's time in place of the placeholder. */
export interface ScheduleFiring {
  scheduleId: string;
  /** ISO time the firing was scheduled for; a retried or repeated delivery carries the same */
  scheduledTime?: string;
}
export const SCHEDULED_TIME_PLACEHOLDER = '<aws.scheduler.scheduled-time>';

/**
 * The deployed stack's minimum interval (infra/settings.ts scheduleMinIntervalMinutes): each run is
 * a whole crawl of up to maxPages pages at its hosts' pace (200 pages at 2 a second is minutes), a
 * run is skipped while the previous one runs, and every run spends the client's pages of the day
 * (a 200-page crawl every minute is 288,000 pages a day, past the default quota of 100,000). Sites
 * change over hours; EventBridge's own floor of one minute is for a stack that sets it (the tests).
 */
export const DEFAULT_SCHEDULE_MIN_INTERVAL_SECONDS = 15 * 60;
/** schedules one client may keep: each fires on its own, and `schedules` lists them in one answer */
export const DEFAULT_MAX_SCHEDULES_PER_CLIENT = 10;
