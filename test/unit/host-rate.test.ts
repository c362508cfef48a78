// The slot arithmetic of the per-host rate (core/host-rate.ts): pure, with explicit instants.
import { describe, expect, it } from 'vitest';
import {
  HOST_RATE_JITTER_MS,
  MAX_QUEUE_DELAY_SECONDS,
  SLOT_LEAD_MS,
  decideSlot,
  hostIntervalMs,
  hostKeyOf,
  jobIntervalMs,
  queueDelaySecondsFor,
} from '../../functions/core/host-rate.js';

describe('host interval', () => {
  it('is the ceiling spacing plus the jitter allowance', () => {
    expect(hostIntervalMs(2)).toBe(500 + HOST_RATE_JITTER_MS);
    expect(hostIntervalMs(0.5)).toBe(2000 + HOST_RATE_JITTER_MS);
    expect(HOST_RATE_JITTER_MS).toBe(100);
  });
  it('a robots.txt Crawl-delay slower than the ceiling lowers the rate; a faster one or garbage does not', () => {
    expect(hostIntervalMs(2, 1)).toBe(1000 + HOST_RATE_JITTER_MS);
    expect(hostIntervalMs(2, 0.1)).toBe(500 + HOST_RATE_JITTER_MS);
    expect(hostIntervalMs(2, Number.NaN)).toBe(500 + HOST_RATE_JITTER_MS);
    expect(hostIntervalMs(2, -3)).toBe(500 + HOST_RATE_JITTER_MS);
  });
  it("a job's hostRate matters only when it is slower than the host's pace", () => {
    const host = hostIntervalMs(2);
    expect(jobIntervalMs(undefined, host)).toBeUndefined();
    expect(jobIntervalMs(2, host)).toBeUndefined();
    expect(jobIntervalMs(1, host)).toBe(1000 + HOST_RATE_JITTER_MS);
    expect(jobIntervalMs(1, hostIntervalMs(2, 3))).toBeUndefined();
  });
  it('counts by host and port', () => {
    expect(hostKeyOf('http://127.0.0.1:8000/a?b')).toBe('127.0.0.1:8000');
    expect(hostKeyOf('https://Example.com/')).toBe('example.com');
  });
});

describe('slot decision', () => {
  const now = 1_000_000;
  const lead = SLOT_LEAD_MS;
  it('a host never used, or whose next slot has passed, is granted at once (after the lead that absorbs the write)', () => {
    expect(decideSlot(undefined, now, 550, 1000)).toEqual({ kind: 'grant', at: now + lead, next: now + lead + 550 });
    expect(decideSlot(now - 5000, now, 550, 1000)).toEqual({ kind: 'grant', at: now + lead, next: now + lead + 550 });
  });
  it('a slot within the sleep bound is reserved at the stored instant, and the next moves one interval on', () => {
    expect(decideSlot(now + 400, now, 550, 1000)).toEqual({ kind: 'grant', at: now + 400, next: now + 950 });
    expect(decideSlot(now + 1000, now, 550, 1000)).toEqual({ kind: 'grant', at: now + 1000, next: now + 1550 });
  });
  it('a farther slot is not reserved: wait until it', () => {
    expect(decideSlot(now + 1001, now, 550, 1000)).toEqual({ kind: 'wait', retryInMs: 1001 });
  });
  it('notBefore (the job own slot) pushes the host slot later', () => {
    expect(decideSlot(now + 100, now, 550, 1000, now + 600)).toEqual({ kind: 'grant', at: now + 600, next: now + 1150 });
  });
  it('successive grants are spaced by at least the interval', () => {
    let next: number | undefined;
    const granted: number[] = [];
    for (let i = 0; i < 5; i++) {
      const d = decideSlot(next, now, 550, 10_000);
      if (d.kind !== 'grant') throw new Error('expected a grant');
      granted.push(d.at);
      next = d.next;
    }
    for (let i = 1; i < granted.length; i++) expect(granted[i]! - granted[i - 1]!).toBe(550);
  });
});

describe('queue delay', () => {
  it('whole seconds, at least 1, at most SQS maximum', () => {
    expect(queueDelaySecondsFor(1)).toBe(1);
    expect(queueDelaySecondsFor(1500)).toBe(2);
    expect(queueDelaySecondsFor(2000)).toBe(2);
    expect(queueDelaySecondsFor(10_000_000)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });
});

describe('sweeper and waiting URLs', async () => {
  const { sweepVerdict } = await import('../../functions/app/sweep-jobs.js');
  const job = { startedAt: 1_000, deadlineAt: 1_000_000, lastActivityAt: 2_000 } as import('../../functions/core/job.js').JobRecord;
  it('a job whose URLs wait for their host is not stalled before they are due back', () => {
    expect(sweepVerdict(job, 6_000, 3_000)).toBe('stalled: no page settled recently');
    expect(sweepVerdict({ ...job, lastDelayedAt: 4_000 }, 6_000, 3_000)).toBeNull();
    expect(sweepVerdict({ ...job, lastDelayedAt: 2_500, delayedUntil: 60_000 }, 62_000, 3_000)).toBeNull();
    expect(sweepVerdict({ ...job, lastDelayedAt: 2_500, delayedUntil: 60_000 }, 63_000, 3_000)).toBe('stalled: no page settled recently');
  });
});

describe('jitter allowance at high ceilings', () => {
  it('is at most a fifth of the interval, so a high ceiling is not capped by it', () => {
    expect(hostIntervalMs(1000)).toBe(2);
    expect(hostIntervalMs(20)).toBe(60);
  });
});
