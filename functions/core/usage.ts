// What a job used: counts gathered while its messages are handled, kept on its counter items
// (core/counter-shards.ts) and summed with its other counters; the manifest's `usage` is made here.
import { costOfUsage, PRICES, type PriceTable } from './prices.js';

/**
 * The counts a job accumulates. `mbMs` is billed milliseconds times the memory (MB) of the function
 * that spent them: the routes and the crawler have different memory, and Lambda bills GB-seconds.
 */
export const USAGE_COUNTERS = [
  'invocations',
  'messagesReceived',
  'deferrals',
  'tabsOpened',
  'navigations',
  'billedMs',
  'mbMs',
  'dynamoWriteUnits',
  'dynamoReadUnits',
  's3Puts',
  's3Gets',
] as const;
export type UsageCounter = (typeof USAGE_COUNTERS)[number];
export type UsageCounts = Partial<Record<UsageCounter, number>>;

/** The manifest's `usage` (names fixed by DESIGN.md "Contract, third part"), plus `gbSeconds`. */
export interface Usage {
  invocations: number;
  messagesReceived: number;
  deferrals: number;
  tabsOpened: number;
  navigations: number;
  billedMs: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  s3Puts: number;
  s3Gets: number;
  /** Lambda compute in GB-seconds (billed ms × each function's memory): what the duration is billed on */
  gbSeconds: number;
  estimatedCostUsd: number;
}

/** Where a count lies on a job's counter item (the job item or a shard): `usage_<name>`. */
export function usageAttribute(counter: UsageCounter): string {
  return `usage_${counter}`;
}
export const USAGE_ATTRIBUTES: readonly string[] = USAGE_COUNTERS.map(usageAttribute);

export function addUsage(into: UsageCounts, more: UsageCounts): UsageCounts {
  for (const counter of USAGE_COUNTERS) {
    const value = more[counter];
    if (value) into[counter] = (into[counter] ?? 0) + value;
  }
  return into;
}

export function isEmptyUsage(counts: UsageCounts | undefined): boolean {
  return !counts || USAGE_COUNTERS.every((counter) => !counts[counter]);
}

/** The counts as stored on an item (or a job read with its shards summed). */
export function usageCountsOf(item: object): UsageCounts {
  const stored = item as Record<string, unknown>;
  const counts: UsageCounts = {};
  for (const counter of USAGE_COUNTERS) {
    const value = Number(stored[usageAttribute(counter)] ?? 0);
    if (Number.isFinite(value) && value !== 0) counts[counter] = value;
  }
  return counts;
}

/** Rounded so that JSON shows a money figure, not float noise (a millionth of a cent). */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}

/**
 * The cost of a manifest's usage, from its published figures alone (gbSeconds for the compute), so
 * that anyone can check it against the price table.
 */
export function costOfPublishedUsage(usage: Omit<Usage, 'estimatedCostUsd'>, prices: PriceTable = PRICES): number {
  return roundUsd(costOfUsage({ ...usage, mbMs: usage.gbSeconds * 1024 * 1000 }, prices));
}

/** The manifest's usage of a job read with its counters summed. */
export function usageOf(item: object, prices: PriceTable = PRICES): Usage {
  const c = usageCountsOf(item);
  const n = (counter: UsageCounter) => Math.round((c[counter] ?? 0) * 100) / 100;
  const counts = {
    invocations: n('invocations'),
    messagesReceived: n('messagesReceived'),
    deferrals: n('deferrals'),
    tabsOpened: n('tabsOpened'),
    navigations: n('navigations'),
    billedMs: n('billedMs'),
    dynamoWriteUnits: n('dynamoWriteUnits'),
    dynamoReadUnits: n('dynamoReadUnits'),
    s3Puts: n('s3Puts'),
    s3Gets: n('s3Gets'),
    gbSeconds: Math.round(((c.mbMs ?? 0) / 1024 / 1000) * 1e6) / 1e6,
  };
  return { ...counts, estimatedCostUsd: costOfPublishedUsage(counts, prices) };
}
