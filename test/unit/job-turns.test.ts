import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JobTurns, TurnWaitTimeoutError, type Turn } from '../../functions/core/job-turns.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** What has settled so far: the turn, its error, or 'pending'. */
function track(promise: Promise<Turn>): { state: 'pending' | 'granted' | 'timed out'; turn?: Turn; error?: unknown } {
  const tracked: { state: 'pending' | 'granted' | 'timed out'; turn?: Turn; error?: unknown } = { state: 'pending' };
  promise.then(
    (turn) => Object.assign(tracked, { state: 'granted', turn }),
    (error: unknown) => Object.assign(tracked, { state: 'timed out', error }),
  );
  return tracked;
}

describe('JobTurns', () => {
  it('lets one job use the resource many at a time, and tells who held it before', async () => {
    const turns = new JobTurns();
    const first = await turns.take('A', 1_000);
    const second = await turns.take('A', 1_000);
    expect(first.previous).toBeUndefined();
    expect(second.previous).toBe('A');
    expect(turns.holding).toBe(2);
  });

  it("makes another job wait until the holder's last user is done, then grants all its waiters at once", async () => {
    const turns = new JobTurns();
    const a1 = await turns.take('A', 10_000);
    const a2 = await turns.take('A', 10_000);
    const b1 = track(turns.take('B', 10_000));
    const b2 = track(turns.take('B', 10_000));
    await vi.advanceTimersByTimeAsync(0);
    expect([b1.state, b2.state]).toEqual(['pending', 'pending']);
    a1.release();
    a1.release(); // a second release is nothing
    await vi.advanceTimersByTimeAsync(0);
    expect(b1.state).toBe('pending');
    a2.release();
    await vi.advanceTimersByTimeAsync(0);
    expect([b1.state, b2.state]).toEqual(['granted', 'granted']);
    expect(b1.turn?.previous).toBe('A');
    expect(turns.holding).toBe(2);
  });

  it("queues the holder's newcomers behind a waiting job (first come, first served)", async () => {
    const turns = new JobTurns();
    const a1 = await turns.take('A', 10_000);
    const b = track(turns.take('B', 10_000));
    const a2 = track(turns.take('A', 10_000));
    await vi.advanceTimersByTimeAsync(0);
    expect([b.state, a2.state]).toEqual(['pending', 'pending']);
    a1.release();
    await vi.advanceTimersByTimeAsync(0);
    expect([b.state, a2.state]).toEqual(['granted', 'pending']);
    b.turn!.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(a2.state).toBe('granted');
    expect(a2.turn?.previous).toBe('B');
  });

  it('gives up a wait at its bound, and lets the waiters behind it on', async () => {
    const turns = new JobTurns();
    const a1 = await turns.take('A', 10_000);
    const b = track(turns.take('B', 5_000));
    const a2 = track(turns.take('A', 10_000));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(b.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(b.state).toBe('timed out');
    expect(b.error).toBeInstanceOf(TurnWaitTimeoutError);
    expect(b.error).toMatchObject({ job: 'B', holder: 'A', waitedMs: 5_000 });
    // B no longer waits: A's newcomer joins A's users at once
    expect(a2.state).toBe('granted');
    expect(turns.queued).toBe(0);
    a1.release();
    a2.turn!.release();
    expect(turns.holding).toBe(0);
  });
});
