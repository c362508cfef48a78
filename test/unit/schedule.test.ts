// Schedules' timing (core/schedule.ts) and the `schedule` message's checks (core/messages.ts): the
// grammar of `every`, Unix cron converted to EventBridge Scheduler's form, the minimum interval.
import { describe, expect, it } from 'vitest';
import { ClientInputError } from '../../functions/core/errors.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';
import { parseScheduleRequest } from '../../functions/core/schedule-messages.js';
import { nextRunAfter, parseCron, parseEvery, scheduleView, unixCronOf } from '../../functions/core/schedule.js';

describe('every', () => {
  it.each([
    ['1 minute', 'rate(1 minute)', 60],
    ['15 minutes', 'rate(15 minutes)', 900],
    ['1 Hour', 'rate(1 hour)', 3600],
    ['2 hours', 'rate(2 hours)', 7200],
    ['1 days', 'rate(1 day)', 86_400],
  ])('%s → %s', (every, expression, seconds) => {
    expect(parseEvery(every)).toEqual({ ok: true, timing: { expression, minGapSeconds: seconds } });
  });

  it.each(['hourly', '1.5 hours', '0 minutes', '30 seconds', '1 week', '-1 hour', '367 days', ''])('refuses %j', (every) => {
    expect(parseEvery(every).ok).toBe(false);
  });
});

describe('cron (Unix, five fields, UTC) → EventBridge', () => {
  it.each([
    ['* * * * *', 'cron(* * * * ? *)', 60],
    ['*/15 * * * *', 'cron(*/15 * * * ? *)', 900],
    ['30 6 * * 1-5', 'cron(30 6 ? * MON,TUE,WED,THU,FRI *)', 86_400],
    ['0 0 * * 0', 'cron(0 0 ? * SUN *)', 7 * 86_400],
    ['0 0 * * 7', 'cron(0 0 ? * SUN *)', 7 * 86_400],
    ['0 12 * * sat,sun', 'cron(0 12 ? * SUN,SAT *)', 86_400],
    ['0 3 1 * *', 'cron(0 3 1 * ? *)', 28 * 86_400],
    ['0,1 0 * * *', 'cron(0,1 0 * * ? *)', 60],
  ])('%s → %s, at least %i s apart', (cron, expression, gap) => {
    expect(parseCron(cron)).toEqual({ ok: true, timing: { expression, minGapSeconds: gap } });
  });

  it.each([
    ['0 9 1 * 1', /not both/],
    ['0 9 * *', /five fields/],
    ['0 9 * * * *', /five fields/],
    ['0 9 L * *', /names are for months and weekdays/],
    ['0 9 * * 5L', /"L" is not a weekday/],
    ['0 9 * JANUARY *', /"JANUARY" is not a month/],
    ['0 9 * * 1#2', /only numbers/],
    ['61 * * * *', /.+/],
    ['0 MON * * *', /names are for months and weekdays/],
  ])('refuses %j', (cron, reason) => {
    const parsed = parseCron(cron);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it('reads EventBridge crons back for the local scheduler', () => {
    expect(unixCronOf('cron(30 6 ? * MON,TUE *)')).toBe('30 6 * * MON,TUE');
    const monday = Date.UTC(2026, 11, 7, 7, 0); // a Monday, 07:00 UTC
    expect(new Date(nextRunAfter('cron(30 6 ? * MON,TUE *)', 0, monday)!).toISOString()).toBe('2026-12-08T06:30:00.000Z');
  });

  it('counts a rate from its start, a minute being what the local scheduler is told', () => {
    expect(nextRunAfter('rate(2 minutes)', 1_000, 1_000)).toBe(121_000);
    expect(nextRunAfter('rate(2 minutes)', 1_000, 121_000)).toBe(241_000);
    expect(nextRunAfter('rate(1 minute)', 0, 0, 3_000)).toBe(3_000);
  });
});

describe('the schedule message', () => {
  const frame = (message: Record<string, unknown>) => JSON.stringify({ action: 'schedule', crawl: { url: 'https://example.com/' }, ...message });
  const refusal = (message: Record<string, unknown>, limits = DEFAULT_LIMITS) => {
    try {
      parseScheduleRequest(frame(message), limits);
    } catch (error) {
      if (error instanceof ClientInputError) return { code: error.code, message: error.message, requestId: error.requestId };
      throw error;
    }
    return undefined;
  };

  it("refuses an interval below the stack's minimum (15 minutes by default), naming the field", () => {
    expect(refusal({ every: '14 minutes', requestId: 'r1' })).toEqual({ code: 'invalid_request', message: "every: runs 14 minute(s) apart; this stack's minimum interval is 15 minute(s)", requestId: 'r1' });
    expect(refusal({ cron: '*/5 * * * *' })?.message).toMatch(/^cron: runs 5 minute\(s\) apart/);
    expect(refusal({ every: '15 minutes' })).toBeUndefined();
    expect(refusal({ every: '1 minute' }, { ...DEFAULT_LIMITS, scheduleMinIntervalSeconds: 60 })).toBeUndefined();
  });

  it('keeps the crawl as given and checks it as a crawl', () => {
    const request = parseScheduleRequest(frame({ every: '1 hour', crawl: { url: 'https://example.com/', depth: 2 } }), DEFAULT_LIMITS);
    expect(request).toEqual({ every: '1 hour', timing: { expression: 'rate(1 hour)', minGapSeconds: 3600 }, crawl: { url: 'https://example.com/', depth: 2 } });
    expect(refusal({ every: '1 hour', crawl: { depth: 1 } })?.message).toMatch(/^crawl: url: /);
    expect(refusal({ every: '1 hour', crawl: { url: 'https://example.com/', depth: 99 } })?.message).toMatch(/^crawl\.depth: /);
    for (const field of ['estimate', 'requestId', 'since']) expect(refusal({ every: '1 hour', crawl: { url: 'https://example.com/', [field]: true } })?.message, field).toMatch(/unknown field/);
    expect(refusal({ every: '1 hour', crawl: { url: 'https://example.com/', cookies: [] } })?.message).toMatch(/^crawl\.cookies: not allowed on a schedule/);
  });

  it('never shows the webhook secret', () => {
    const view = scheduleView({
      scheduleId: 's',
      owner: 'o',
      connectionId: 'c',
      every: '1 hour',
      expression: 'rate(1 hour)',
      crawl: { url: 'https://example.com/' },
      webhook: { url: 'https://hooks.example.com/', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      createdAt: 0,
      runs: 0,
      skipped: 0,
    });
    expect(JSON.stringify(view)).not.toContain('whsec_');
    expect(view.webhook).toEqual({ url: 'https://hooks.example.com/' });
  });
});
