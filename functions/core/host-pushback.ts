// A host's shared rate when it pushes back (429/503): AIMD over the per-host gate that every job
// and crawler environment already shares (core/host-rate.ts, adapters/dynamodb/host-rate-gate.ts).
// The host item keeps, beside its next free slot:
//   rateNow  navigations per second now allowed (absent: the stack's ceiling, never throttled)
//   slowMs   what that adds to every interval (1000/rateNow − 1000/ceiling), so the gate's own
//            update can add it without reading the item first (DynamoDB can add, not divide)
//   cutAt    when the rate was last cut
//   okRun    navigations granted since the last change (counted on the grant's own write)
// Multiplicative decrease: a throttle halves the rate, at most once per interval at the new rate
// (the other throttles of that moment answer navigations made before the cut), never below the
// floor. Additive increase: after RECOVERY_RUN grants with no throttle reported the rate rises by a
// tenth of the ceiling, never above it. Only a throttle or a recovery step costs a write; a host at
// its ceiling costs nothing more than before.

/** the rate is halved on a throttle */
export const RATE_DECREASE_FACTOR = 0.5;
/** the lowest rate a throttled host is cut to (navigations per second): one every 20 s */
export const RATE_FLOOR = 0.05;
/** granted navigations, with no throttle reported, after which the rate rises one step */
export const RECOVERY_RUN = 10;
/** each step is this share of the ceiling */
export const RECOVERY_STEP_SHARE = 0.1;

export interface HostPushbackState {
  rateNow?: number;
  cutAt?: number;
  okRun?: number;
  nextSlotAt?: number;
}

/** The extra spacing (ms) a rate below the ceiling adds to every interval. */
export function slowMsFor(rate: number, ceiling: number): number {
  return rate >= ceiling ? 0 : Math.ceil(1000 / rate - 1000 / ceiling);
}

/** The rate after a throttle reported at `now`, or the same rate when it was cut too recently to cut again. */
export function cutRate(state: HostPushbackState, now: number, ceiling: number): number {
  const current = Math.min(ceiling, state.rateNow ?? ceiling);
  if (state.cutAt !== undefined && now - state.cutAt < 1000 / current) return current;
  return Math.max(Math.min(RATE_FLOOR, ceiling), current * RATE_DECREASE_FACTOR);
}

/** The rate after a run of RECOVERY_RUN grants without a throttle. */
export function raisedRate(rate: number, ceiling: number): number {
  // rounded: steps of a tenth must land on the ceiling, not a float's breadth below it
  return Math.min(ceiling, Math.round((rate + ceiling * RECOVERY_STEP_SHARE) * 1e6) / 1e6);
}

/** Whether the grant just made (the state as that write left it) should raise the rate one step. */
export function dueForRecovery(state: HostPushbackState, ceiling: number): boolean {
  return state.rateNow !== undefined && state.rateNow < ceiling && (state.okRun ?? 0) >= RECOVERY_RUN;
}

/**
 * What a throttle writes to the host item: the cut rate and its spacing, the run restarted, and the
 * host closed (its next free slot moved) until `closeUntil` when the site said when, else one
 * interval at the new rate from now. Never moves the next free slot earlier.
 */
export function throttleWrite(state: HostPushbackState, now: number, ceiling: number, closeUntil?: number): Required<Pick<HostPushbackState, 'rateNow' | 'cutAt' | 'nextSlotAt'>> & { slowMs: number } {
  const rateNow = cutRate(state, now, ceiling);
  const cut = rateNow !== Math.min(ceiling, state.rateNow ?? ceiling);
  const closedUntil = Math.max(state.nextSlotAt ?? 0, closeUntil ?? now + Math.ceil(1000 / rateNow));
  return { rateNow, slowMs: slowMsFor(rateNow, ceiling), cutAt: cut ? now : (state.cutAt ?? now), nextSlotAt: closedUntil };
}
