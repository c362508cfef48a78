import { describe, expect, it } from 'vitest';
import { clientQuotaFor, exceedsDay, pagesToGiveBack, quotaError, quotaNoteOf, utcDay } from '../../functions/core/client-quota.js';

const limits = { maxRunningJobsPerClient: 2, maxPagesPerClientPerDay: 100 };
const noon = Date.UTC(2026, 11, 7, 12);

describe('per-client quotas', () => {
  it('count nothing without a client (auth off) or with both quotas off', () => {
    expect(clientQuotaFor(undefined, 10, limits, noon, true)).toBeUndefined();
    expect(clientQuotaFor('alice', 10, { maxRunningJobsPerClient: 0, maxPagesPerClientPerDay: 0 }, noon, true)).toBeUndefined();
  });

  it("take a start's pages from its UTC day, and the defaults when the stack sets none", () => {
    expect(clientQuotaFor('alice', 10, limits, noon, true)).toEqual({ principal: 'alice', maxRunningJobs: 2, maxPagesPerDay: 100, day: '2026-12-07', pages: 10, refund: true });
    expect(clientQuotaFor('alice', 10, {}, noon, true)).toMatchObject({ maxRunningJobs: 10, maxPagesPerDay: 100_000 });
    // pages are not counted when that quota is off
    expect(clientQuotaFor('alice', 10, { maxRunningJobsPerClient: 1, maxPagesPerClientPerDay: 0 }, noon, true)).toMatchObject({ pages: 0 });
    expect(utcDay(Date.UTC(2026, 11, 7, 23, 59, 59))).toBe('2026-12-07');
    expect(utcDay(Date.UTC(2026, 11, 8))).toBe('2026-12-08');
  });

  it('give back what a job took and did not admit, never more, and nothing for a redrive', () => {
    const job = quotaNoteOf(clientQuotaFor('alice', 10, limits, noon, true)!);
    expect(job).toEqual({ day: '2026-12-07', running: true, pages: 10, refund: true });
    expect(pagesToGiveBack(job, 1)).toBe(9);
    expect(pagesToGiveBack(job, 10)).toBe(0);
    expect(pagesToGiveBack(job, 12)).toBe(0);
    expect(pagesToGiveBack(quotaNoteOf(clientQuotaFor('alice', 3, limits, noon, false)!), 1)).toBe(0);
  });

  it('refuse a start larger than a whole day at once, and name the quota in the error', () => {
    const big = clientQuotaFor('alice', 101, limits, noon, true)!;
    expect(exceedsDay(big)).toBe(true);
    expect(exceedsDay(clientQuotaFor('alice', 100, limits, noon, true))).toBe(false);
    expect(exceedsDay(undefined)).toBe(false);
    const pages = quotaError('client-pages-quota', big, 'r1');
    expect(pages).toMatchObject({ code: 'quota_exceeded', requestId: 'r1' });
    expect(pages.message).toMatch(/^quota maxPagesPerClientPerDay: this would take 101 pages \(its maxPages\) from today's 100/);
    expect(quotaError('client-jobs-quota', big).message).toMatch(/^quota maxRunningJobsPerClient: this client already has 2 running jobs/);
  });
});
