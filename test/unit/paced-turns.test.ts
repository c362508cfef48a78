// Paced children (core/paced-turns.ts): the turns a page's children on its host are given at once,
// and the queue delays that bring each message to its turn.
import { describe, expect, it } from 'vitest';
import { HOST_SLOT_MAX_SLEEP_MS, HostTicket, MAX_QUEUE_DELAY_SECONDS, SLOT_LEAD_MS } from '../../functions/core/host-rate.js';
import { assignTurns, turnDelaySeconds } from '../../functions/core/paced-turns.js';

const now = 10_000_000;

describe('assignTurns', () => {
  it('n children take n consecutive turns, one interval apart, after the turns given out', () => {
    expect(assignTurns(now, now + 400, now + 3_000, 600, 3)).toEqual({ turns: [now + 3_000, now + 3_600, now + 4_200], backlogUntil: now + 4_800 });
  });
  it('on a host without a backlog, the first turn is its next free slot', () => {
    expect(assignTurns(now, now + 400, undefined, 600, 2)).toEqual({ turns: [now + 400, now + 1_000], backlogUntil: now + 1_600 });
  });
  it('on an idle host, the first turn is now with the lead (a stale backlog or slot counts for nothing)', () => {
    expect(assignTurns(now, now - 9_000, now - 5_000, 600, 1)).toEqual({ turns: [now + SLOT_LEAD_MS], backlogUntil: now + SLOT_LEAD_MS + 600 });
  });
  it('the turns are the ones n URLs taking a ticket one after the other would get', () => {
    let backlog: number | undefined = now + 2_000;
    const oneByOne: number[] = [];
    for (let i = 0; i < 5; i++) {
      const turn = HostTicket.next(now, now + 500, backlog);
      oneByOne.push(turn);
      backlog = turn + 600;
    }
    const atOnce = assignTurns(now, now + 500, now + 2_000, 600, 5);
    expect(atOnce.turns).toEqual(oneByOne);
    expect(atOnce.backlogUntil).toBe(backlog);
  });
  it('no children, no turns, the backlog unchanged', () => {
    expect(assignTurns(now, undefined, now + 2_000, 600, 0)).toEqual({ turns: [], backlogUntil: now + 2_000 });
  });
});

describe('turnDelaySeconds', () => {
  it('whole seconds rounded down: the message comes at most a second early, when its turn is due', () => {
    expect(turnDelaySeconds(now + 2_999, now)).toBe(2);
    expect(turnDelaySeconds(now + 3_000, now)).toBe(3);
    for (const ahead of [0, 150, 999, 1_000, 4_321, 59_999]) {
      const arrives = now + turnDelaySeconds(now + ahead, now) * 1000;
      expect(arrives).toBeLessThanOrEqual(now + ahead);
      expect(HostTicket.isDue(now + ahead, arrives, HOST_SLOT_MAX_SLEEP_MS)).toBe(true);
    }
  });
  it('a turn already passed goes at once; one beyond SQS’s limit comes at 900 s and waits again', () => {
    expect(turnDelaySeconds(now - 5_000, now)).toBe(0);
    expect(turnDelaySeconds(now + 2_000_000, now)).toBe(MAX_QUEUE_DELAY_SECONDS);
  });
  it('a lower bound (half the stall timeout) caps it too', () => {
    expect(turnDelaySeconds(now + 500_000, now, 120)).toBe(120);
    expect(turnDelaySeconds(now + 5_000, now, 120)).toBe(5);
  });
});
