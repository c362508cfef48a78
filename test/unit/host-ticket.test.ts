// Turns in a host's backlog (core/host-rate.ts HostTicket): the arithmetic the gate decides with.
import { describe, expect, it } from 'vitest';
import { decideSlot, HOST_SLOT_MAX_SLEEP_MS, HostTicket, SLOT_LEAD_MS } from '../../functions/core/host-rate.js';

const now = 10_000_000;

describe('HostTicket', () => {
  it('a turn is due when it can be slept for, and until it is long gone', () => {
    expect(HostTicket.isDue(undefined, now, HOST_SLOT_MAX_SLEEP_MS)).toBe(false);
    expect(HostTicket.isDue(now + HOST_SLOT_MAX_SLEEP_MS, now, HOST_SLOT_MAX_SLEEP_MS)).toBe(true);
    expect(HostTicket.isDue(now + HOST_SLOT_MAX_SLEEP_MS + 1, now, HOST_SLOT_MAX_SLEEP_MS)).toBe(false);
    expect(HostTicket.isDue(now - HostTicket.graceMs, now, HOST_SLOT_MAX_SLEEP_MS)).toBe(true);
    expect(HostTicket.isDue(now - HostTicket.graceMs - 1, now, HOST_SLOT_MAX_SLEEP_MS)).toBe(false);
  });
  it('the next turn comes after the turns given out and the next free slot, never before now and the lead', () => {
    expect(HostTicket.next(now, undefined, undefined)).toBe(now + SLOT_LEAD_MS);
    expect(HostTicket.next(now, now + 3000, undefined)).toBe(now + 3000);
    expect(HostTicket.next(now, now + 3000, now + 9000)).toBe(now + 9000);
    expect(HostTicket.next(now, now - 5000, now - 1000)).toBe(now + SLOT_LEAD_MS);
  });
});

describe('decideSlot with a backlog', () => {
  it('a URL without a turn waits for the turns given out, even when the next slot is free', () => {
    expect(decideSlot(now - 100, now, 500, 1000, now, now + 4000)).toEqual({ kind: 'wait', retryInMs: 4000 });
  });
  it('a backlog within the sleep bound only delays the slot', () => {
    expect(decideSlot(now, now, 500, 1000, now, now + 800)).toEqual({ kind: 'grant', at: now + 800, next: now + 1300 });
  });
  it('without a backlog (or for the holder of a due turn) only the next free slot counts', () => {
    expect(decideSlot(now + 300, now, 500, 1000)).toEqual({ kind: 'grant', at: now + 300, next: now + 800 });
  });
});
