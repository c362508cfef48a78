// The finisher's bounded, order-keeping reads (core/ordered-pool.ts).
import { describe, expect, it } from 'vitest';
import { mapInOrder } from '../../functions/core/ordered-pool.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('mapInOrder', () => {
  it('yields results in the order of the items, whatever order they finish in', async () => {
    const delays = [30, 1, 20, 5, 0, 10];
    const out: number[] = [];
    for await (const value of mapInOrder(delays, 3, (ms) => new Promise<number>((resolve) => setTimeout(() => resolve(ms), ms)))) out.push(value);
    expect(out).toEqual(delays);
  });

  it('never has more than the limit in flight, and reaches the limit', async () => {
    let inFlight = 0;
    let most = 0;
    const work = async (n: number) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await tick();
      await tick();
      inFlight--;
      return n;
    };
    const out: number[] = [];
    for await (const value of mapInOrder(Array.from({ length: 50 }, (_, i) => i), 16, work)) out.push(value);
    expect(out).toHaveLength(50);
    expect(most).toBe(16);
  });

  it('throws a failure in its turn, after the results before it', async () => {
    const out: number[] = [];
    const run = async () => {
      for await (const value of mapInOrder([1, 2, 3, 4], 4, async (n) => {
        if (n === 3) throw new Error('three');
        await tick();
        return n;
      })) out.push(value);
    };
    await expect(run()).rejects.toThrow('three');
    expect(out).toEqual([1, 2]);
  });
});
