// AIMD of a host's shared rate (core/host-pushback.ts): halved on a throttle at most once per
// interval at the new rate, never below the floor; raised by a tenth of the ceiling after a run of
// grants, never above the ceiling; a throttle closes the host until its Retry-After.
import { describe, expect, it } from 'vitest';
import { cutRate, dueForRecovery, raisedRate, RATE_FLOOR, RECOVERY_RUN, slowMsFor, throttleWrite } from '../../functions/core/host-pushback.js';

const CEILING = 2;

describe('multiplicative decrease', () => {
  it('halves the rate per throttle, once per interval at the cut rate, down to the floor', () => {
    let state: { rateNow?: number; cutAt?: number } = {};
    let now = 1_000_000;
    const rates: number[] = [];
    for (let i = 0; i < 12; i++) {
      const rate = cutRate(state, now, CEILING);
      rates.push(rate);
      state = { rateNow: rate, cutAt: now };
      now += Math.ceil(1000 / rate); // the next throttle comes one interval at the new rate later
    }
    expect(rates.slice(0, 5)).toEqual([1, 0.5, 0.25, 0.125, 0.0625]);
    expect(Math.min(...rates)).toBe(RATE_FLOOR);
    expect(rates.at(-1)).toBe(RATE_FLOOR);
  });

  it('does not cut again for the throttles of the same moment', () => {
    const first = cutRate({}, 0, CEILING);
    expect(first).toBe(1);
    expect(cutRate({ rateNow: first, cutAt: 0 }, 200, CEILING)).toBe(1);
    expect(cutRate({ rateNow: first, cutAt: 0 }, 1000, CEILING)).toBe(0.5);
  });

  it('never lifts a floor above a ceiling lower than it', () => {
    expect(cutRate({}, 0, 0.01)).toBe(0.01);
  });
});

describe('additive increase', () => {
  it('after a run of grants adds a tenth of the ceiling, up to the ceiling', () => {
    expect(dueForRecovery({ rateNow: 0.5, okRun: RECOVERY_RUN - 1 }, CEILING)).toBe(false);
    expect(dueForRecovery({ rateNow: 0.5, okRun: RECOVERY_RUN }, CEILING)).toBe(true);
    expect(dueForRecovery({ okRun: 5000 }, CEILING)).toBe(false); // never throttled: nothing to recover
    expect(raisedRate(0.5, CEILING)).toBeCloseTo(0.7);
    expect(raisedRate(1.95, CEILING)).toBe(CEILING);
  });
});

describe('a throttle’s write', () => {
  it('cuts, spaces every interval by the difference, and closes the host until its Retry-After, never earlier than booked', () => {
    const w = throttleWrite({ nextSlotAt: 5_000 }, 1_000, CEILING, 11_000);
    expect(w).toEqual({ rateNow: 1, slowMs: 500, cutAt: 1_000, nextSlotAt: 11_000 });
    expect(throttleWrite({ nextSlotAt: 50_000 }, 1_000, CEILING, 11_000).nextSlotAt).toBe(50_000);
    // without a Retry-After: closed for one interval at the new rate
    expect(throttleWrite({}, 1_000, CEILING).nextSlotAt).toBe(2_000);
    expect(slowMsFor(CEILING, CEILING)).toBe(0);
    expect(slowMsFor(RATE_FLOOR, CEILING)).toBe(19_500);
  });
});
