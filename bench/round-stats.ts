// Statistics over a variant's rounds: the bench reports the median and the spread, and compares
// variants by their medians, since a single round (or the best of a few) moved by a quarter between
// two runs of the same code on this machine. Pure: no I/O, so it is unit-tested apart from the bench.

export interface Spread {
  /** the median of the rounds (the mean of the two middle values for an even count) */
  median: number;
  min: number;
  max: number;
  /** (max − min) / median: 0.1 means the rounds spread over 10 % of the median */
  relativeSpread: number;
  rounds: number;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Median, min, max and relative spread of the finite values; null when there are none. */
export function spreadOf(values: readonly (number | null | undefined)[]): Spread | null {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (finite.length === 0) return null;
  const mid = median(finite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  return { median: round(mid, 2), min: round(min, 2), max: round(max, 2), relativeSpread: mid !== 0 ? round((max - min) / mid, 3) : 0, rounds: finite.length };
}

/** a / b rounded to two decimals; null when either is missing or b is 0 */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return typeof a === 'number' && typeof b === 'number' && b !== 0 && Number.isFinite(a) && Number.isFinite(b) ? round(a / b, 2) : null;
}

/** The figures of one round that the bench summarises. */
export interface RoundFigures {
  variant: string;
  pagesPerSecond: number;
  cpuSeconds: number;
  peakRssMb: number;
  peakRssWithoutEmulatorsMb: number;
  /** absent in results from before PSS was sampled */
  peakPssMb?: number;
}

export interface VariantStats {
  variant: string;
  pagesPerSecond: Spread;
  cpuSeconds: Spread;
  peakRssMb: Spread;
  peakRssWithoutEmulatorsMb: Spread;
  /** null for results from before PSS was sampled */
  peakPssMb: Spread | null;
}

/** Per variant (in the order given), the spread of each figure over its rounds. */
export function statsByVariant(variants: readonly string[], rounds: readonly RoundFigures[]): VariantStats[] {
  return variants.flatMap((variant) => {
    const mine = rounds.filter((r) => r.variant === variant);
    if (mine.length === 0) return [];
    const of = (pick: (r: RoundFigures) => number) => spreadOf(mine.map(pick))!;
    return [
      {
        variant,
        pagesPerSecond: of((r) => r.pagesPerSecond),
        cpuSeconds: of((r) => r.cpuSeconds),
        peakRssMb: of((r) => r.peakRssMb),
        peakRssWithoutEmulatorsMb: of((r) => r.peakRssWithoutEmulatorsMb),
        peakPssMb: spreadOf(mine.map((r) => r.peakPssMb)),
      },
    ];
  });
}

/** The bench's ratios, every one from medians. Keys kept from the earlier best-round report. */
export function medianRatios(stats: readonly VariantStats[], withFormats: boolean): Record<string, number | null> {
  const of = (variant: string) => stats.find((s) => s.variant === variant);
  const project = of('project');
  const crawlee = of('crawlee');
  const bare = of('bare');
  return {
    projectVsCrawleePagesPerSecond: ratio(project?.pagesPerSecond.median, crawlee?.pagesPerSecond.median),
    projectVsBarePagesPerSecond: ratio(project?.pagesPerSecond.median, bare?.pagesPerSecond.median),
    projectVsCrawleePeakRss: ratio(project?.peakRssMb.median, crawlee?.peakRssMb.median),
    projectVsCrawleePeakPss: ratio(project?.peakPssMb?.median, crawlee?.peakPssMb?.median),
    projectWithoutEmulatorsVsCrawleePeakRss: ratio(project?.peakRssWithoutEmulatorsMb.median, crawlee?.peakRssMb.median),
    projectVsCrawleeCpuSeconds: ratio(project?.cpuSeconds.median, crawlee?.cpuSeconds.median),
    projectVsBareCpuSeconds: ratio(project?.cpuSeconds.median, bare?.cpuSeconds.median),
    ...(withFormats ? { projectFormatsVsProjectPagesPerSecond: ratio(of('project-formats')?.pagesPerSecond.median, project?.pagesPerSecond.median) } : {}),
    // What auto-scroll (on by default) costs: the project against itself with it off.
    ...(of('project-noscroll') ? { projectVsNoAutoscrollPagesPerSecond: ratio(project?.pagesPerSecond.median, of('project-noscroll')?.pagesPerSecond.median) } : {}),
    // render: "http" | "auto" against the browser mode (issue #31's goal for auto: ≥ 3× on a static site).
    ...(of('project-http') ? { httpVsProjectPagesPerSecond: ratio(of('project-http')?.pagesPerSecond.median, project?.pagesPerSecond.median) } : {}),
    ...(of('project-auto') ? { autoVsProjectPagesPerSecond: ratio(of('project-auto')?.pagesPerSecond.median, project?.pagesPerSecond.median) } : {}),
  };
}

/**
 * The round whose pages/s is the variant's median (the lower middle one for an even count): its
 * page set, breakdown and memory curve stand for the variant where one round must be chosen.
 */
export function medianRound<T extends { variant: string; pagesPerSecond: number }>(rounds: readonly T[], variant: string): T | undefined {
  const mine = rounds.filter((r) => r.variant === variant).sort((a, b) => a.pagesPerSecond - b.pagesPerSecond);
  return mine[Math.floor((mine.length - 1) / 2)];
}

/** The order of the variants in each round: rotated by one a round, so each takes every place in turn. */
export function roundOrder<T>(variants: readonly T[], roundIndex: number): T[] {
  return variants.map((_, i) => variants[(i + roundIndex) % variants.length]!);
}
