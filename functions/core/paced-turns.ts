// Pacing a page's children on its host (issue 27: "a URL's message received about once"). Sent at
// once, the children of a page on a busy host nearly all find the host's slot taken and are sent
// back to wait for a turn in the host's backlog (HostTicket): every such URL is received twice. So
// the parent reserves their turns when it sends them — the same turns they would each have taken
// on their first delivery, all in one write of the gate item — and each message is delayed until
// its turn, carrying the turn, so that it arrives as a URL on its turn and is served then.
// Pure arithmetic; the write is the gate's (adapters/dynamodb/host-rate-gate.ts reserveTurns).
import { HostTicket, MAX_QUEUE_DELAY_SECONDS } from './host-rate.js';

export interface ReservedTurns {
  /** one turn per child, in order, one interval apart */
  turns: number[];
  /** the gate's new end of the backlog: one interval past the last turn */
  backlogUntil: number;
}

/**
 * `count` consecutive turns after the host's last turn given out (`backlog`), its next free slot
 * (`nextSlot`) and now (with the lead) — the turns `count` URLs taking a ticket one after the
 * other would get (HostTicket.next).
 */
export function assignTurns(now: number, nextSlot: number | undefined, backlog: number | undefined, intervalMs: number, count: number): ReservedTurns {
  const first = HostTicket.next(now, nextSlot, backlog);
  const turns = Array.from({ length: count }, (_, i) => first + i * intervalMs);
  return { turns, backlogUntil: first + count * intervalMs };
}

/**
 * The DelaySeconds that brings a message to its turn: whole seconds rounded down, so it arrives up
 * to a second before the turn (then it is due: HostTicket.isDue holds a turn within the sleep bound
 * as due, and the tab sleeps until the slot) rather than after it, plus the poller's own lag. At
 * most SQS's 900 s, or `maxSeconds`: a turn further ahead is reached by waiting again (host-gate.ts
 * takeHostSlot sends it back without asking the gate, and that wait counts as the job's activity).
 */
export function turnDelaySeconds(turnAt: number, now: number, maxSeconds = MAX_QUEUE_DELAY_SECONDS): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, maxSeconds, Math.max(0, Math.floor((turnAt - now) / 1000)));
}
