import { describe, expect, it } from 'vitest';
import { median, medianRatios, medianRound, ratio, roundOrder, spreadOf, statsByVariant, type RoundFigures } from '../../bench/round-stats.js';

const round = (variant: string, pagesPerSecond: number, cpuSeconds = 10, peakRssMb = 1000): RoundFigures => ({
  variant,
  pagesPerSecond,
  cpuSeconds,
  peakRssMb,
  peakRssWithoutEmulatorsMb: peakRssMb - 100,
});

describe('bench round statistics', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it('reports median, min, max and the spread relative to the median, ignoring missing values', () => {
    expect(spreadOf([2.66, 3.32, 2.81])).toEqual({ median: 2.81, min: 2.66, max: 3.32, relativeSpread: 0.235, rounds: 3 });
    expect(spreadOf([5, undefined, null, Number.NaN])).toEqual({ median: 5, min: 5, max: 5, relativeSpread: 0, rounds: 1 });
    expect(spreadOf([])).toBeNull();
  });

  it('computes every ratio from medians, not from the best round', () => {
    // Crawlee's best round (4.0) is an outlier; its median is 2.0.
    const rounds = [
      round('project', 2.0, 30, 3000), round('project', 2.2, 32, 3100), round('project', 1.8, 31, 2900),
      round('crawlee', 4.0, 20, 1000), round('crawlee', 2.0, 21, 1100), round('crawlee', 1.9, 22, 1200),
      round('bare', 2.5, 20, 1000), round('bare', 2.4, 21, 1000), round('bare', 2.6, 22, 1000),
    ];
    const stats = statsByVariant(['project', 'crawlee', 'bare'], rounds);
    expect(stats.map((s) => [s.variant, s.pagesPerSecond.median, s.cpuSeconds.median, s.peakRssMb.median])).toEqual([
      ['project', 2.0, 31, 3000],
      ['crawlee', 2.0, 21, 1100],
      ['bare', 2.5, 21, 1000],
    ]);
    const ratios = medianRatios(stats, false);
    expect(ratios).toMatchObject({
      projectVsCrawleePagesPerSecond: 1,
      projectVsBarePagesPerSecond: 0.8,
      projectVsCrawleePeakRss: 2.73,
      projectWithoutEmulatorsVsCrawleePeakRss: 2.64,
      projectVsCrawleeCpuSeconds: 1.48,
    });
    expect(ratios).not.toHaveProperty('projectFormatsVsProjectPagesPerSecond');
  });

  it('gives the formats ratio when the variant ran, null for a variant that did not', () => {
    const stats = statsByVariant(['project', 'project-formats', 'crawlee'], [round('project', 4), round('project-formats', 3)]);
    expect(stats.map((s) => s.variant)).toEqual(['project', 'project-formats']);
    const ratios = medianRatios(stats, true);
    expect(ratios.projectFormatsVsProjectPagesPerSecond).toBe(0.75);
    expect(ratios.projectVsCrawleePagesPerSecond).toBeNull();
    expect(ratio(1, 0)).toBeNull();
  });

  it('gives the auto-scroll ratio (project over project-noscroll) only when that variant ran', () => {
    const stats = statsByVariant(['project', 'project-noscroll'], [round('project', 3.6), round('project-noscroll', 4), round('project', 3.4), round('project-noscroll', 4.2), round('project', 3.5), round('project-noscroll', 3.8)]);
    expect(medianRatios(stats, false).projectVsNoAutoscrollPagesPerSecond).toBe(0.88);
    expect(medianRatios(statsByVariant(['project'], [round('project', 3)]), false)).not.toHaveProperty('projectVsNoAutoscrollPagesPerSecond');
  });

  it('gives the PSS ratio from medians when both variants sampled PSS, null for results without it', () => {
    const withPss = (variant: string, pss: number): RoundFigures => ({ ...round(variant, 3), peakPssMb: pss });
    const stats = statsByVariant(['project', 'crawlee'], [withPss('project', 1500), withPss('project', 1800), withPss('project', 1600), withPss('crawlee', 1000), withPss('crawlee', 900), withPss('crawlee', 1100)]);
    expect(stats[0]!.peakPssMb).toMatchObject({ median: 1600, min: 1500, max: 1800 });
    expect(medianRatios(stats, false).projectVsCrawleePeakPss).toBe(1.6);
    const old = statsByVariant(['project', 'crawlee'], [round('project', 3), round('crawlee', 3)]);
    expect(old[0]!.peakPssMb).toBeNull();
    expect(medianRatios(old, false).projectVsCrawleePeakPss).toBeNull();
  });

  it('picks the round of median pages/s to stand for a variant', () => {
    const rounds = [round('bare', 3, 1), round('bare', 1, 2), round('bare', 2, 3), round('crawlee', 9)];
    expect(medianRound(rounds, 'bare')?.cpuSeconds).toBe(3);
    expect(medianRound(rounds.slice(0, 2), 'bare')?.pagesPerSecond).toBe(1);
    expect(medianRound(rounds, 'project')).toBeUndefined();
  });

  it('rotates the order so each variant takes every place over as many rounds as variants', () => {
    const orders = [0, 1, 2].map((r) => roundOrder(['project', 'crawlee', 'bare'], r));
    expect(orders).toEqual([
      ['project', 'crawlee', 'bare'],
      ['crawlee', 'bare', 'project'],
      ['bare', 'project', 'crawlee'],
    ]);
    for (const variant of ['project', 'crawlee', 'bare']) expect(new Set(orders.map((o) => o.indexOf(variant)))).toEqual(new Set([0, 1, 2]));
  });
});
