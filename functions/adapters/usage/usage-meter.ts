// Counting what a job uses while its messages are handled. Each SQS record runs in a scope naming
// its job (AsyncLocalStorage); the SDK middleware (sdk-meters.ts) and the browser count into the
// scope's tally, and the counts are written with writes that happen anyway (the settle, the release
// for a host) or, for what is left, once per job at the end of the invocation (usage-flush.ts).
import { AsyncLocalStorage } from 'node:async_hooks';
import { addUsage, isEmptyUsage, type UsageCounts } from '../../core/usage.js';

/**
 * One invocation's counts, per job, not yet written; and its billed time, shared among the jobs of
 * the batch in proportion to their records (Lambda bills the invocation, not each record).
 */
export class InvocationTally {
  private readonly pending = new Map<string, UsageCounts>();
  private readonly recordsByJob = new Map<string, number>();
  /** billed ms already given to each job (provisional shares written with its settles) */
  private readonly billedByJob = new Map<string, number>();
  private totalRecords = 0;

  constructor(
    readonly startedAt: number,
    /** the memory of the function that runs this invocation (MB) */
    readonly memoryMb: number,
  ) {}

  /** A record of `jobId` received: one message, and the invocation counted once per job. */
  received(jobId: string): void {
    this.totalRecords += 1;
    const first = !this.recordsByJob.has(jobId);
    this.recordsByJob.set(jobId, (this.recordsByJob.get(jobId) ?? 0) + 1);
    this.add(jobId, { messagesReceived: 1, ...(first ? { invocations: 1 } : {}) });
  }

  /** A route's invocation for `jobId` (no queue message): the invocation and its time are the job's. */
  invokedFor(jobId: string): void {
    this.totalRecords += 1;
    this.recordsByJob.set(jobId, (this.recordsByJob.get(jobId) ?? 0) + 1);
    this.add(jobId, { invocations: 1 });
  }

  add(jobId: string, counts: UsageCounts): void {
    let into = this.pending.get(jobId);
    if (!into) this.pending.set(jobId, (into = {}));
    addUsage(into, counts);
  }

  /**
   * The job's counts not yet written, with its share of the invocation's time so far (ms since it
   * started, shared by records), now owed by the caller's write; give them back if it fails.
   */
  take(jobId: string, now: number): UsageCounts | undefined {
    const counts = this.pending.get(jobId) ?? {};
    this.pending.delete(jobId);
    addUsage(counts, this.billedShare(jobId, now - this.startedAt));
    return isEmptyUsage(counts) ? undefined : counts;
  }

  /** Counts a write that failed did not store: written later, by the end-of-invocation flush. */
  putBack(jobId: string, counts: UsageCounts): void {
    // The billed share is owed again (the next take or the drain works it out); the rest as it was.
    const { billedMs = 0, mbMs: _given, ...rest } = counts;
    this.billedByJob.set(jobId, (this.billedByJob.get(jobId) ?? 0) - billedMs);
    this.add(jobId, rest);
  }

  /** At the invocation's end: every job's counts not yet written, with the rest of its billed share. */
  drain(endedAt: number): Map<string, UsageCounts> {
    // Lambda bills each invocation's duration rounded up to the millisecond.
    const billed = Math.max(1, Math.ceil(endedAt - this.startedAt));
    const out = new Map<string, UsageCounts>();
    for (const jobId of new Set([...this.pending.keys(), ...this.recordsByJob.keys()])) {
      const counts = this.pending.get(jobId) ?? {};
      addUsage(counts, this.billedShare(jobId, billed));
      if (!isEmptyUsage(counts)) out.set(jobId, counts);
    }
    this.pending.clear();
    return out;
  }

  /** What the job is owed of `elapsedMs` (its records' share) beyond what it was given already. */
  private billedShare(jobId: string, elapsedMs: number): UsageCounts {
    const records = this.recordsByJob.get(jobId) ?? 0;
    if (records === 0 || this.totalRecords === 0) return {};
    const share = Math.ceil((Math.max(0, elapsedMs) * records) / this.totalRecords);
    const given = this.billedByJob.get(jobId) ?? 0;
    const owed = Math.max(0, share - given);
    if (owed === 0) return {};
    this.billedByJob.set(jobId, given + owed);
    return { billedMs: owed, mbMs: owed * this.memoryMb };
  }
}

interface Scope {
  jobId: string;
  tally: InvocationTally;
}

const scopes = new AsyncLocalStorage<Scope>();

/** Runs `fn` with what it uses counted to `jobId` in `tally`. */
export function withUsageScope<T>(jobId: string, tally: InvocationTally, fn: () => Promise<T>): Promise<T> {
  return scopes.run({ jobId, tally }, fn);
}

/** Whether anything is being counted here (the SDK middleware asks before changing a request). */
export function inUsageScope(): boolean {
  return scopes.getStore() !== undefined;
}

/** Counts to the current scope's job; outside any scope (unit tests, the sweeper) nothing. */
export function countUsage(counts: UsageCounts): void {
  const scope = scopes.getStore();
  if (scope) scope.tally.add(scope.jobId, counts);
}

/**
 * For a write to the job's counters that happens anyway: the counts of `jobId` this invocation has
 * not written yet (none outside a scope, or for another job). Give them back if the write fails.
 */
export function takeUsage(jobId: string, now = Date.now()): { counts: UsageCounts; putBack: () => void } | undefined {
  const scope = scopes.getStore();
  if (!scope || scope.jobId !== jobId) return undefined;
  const counts = scope.tally.take(jobId, now);
  if (!counts) return undefined;
  return { counts, putBack: () => scope.tally.putBack(jobId, counts) };
}

/**
 * How many counter shards each job seen lately has (learned from its settles and releases): the
 * end-of-invocation flush writes to one of them rather than to the job item, which takes every
 * admission. Bounded: forgotten past 1,000 jobs (the flush then writes to the job item).
 */
const counterShardsByJob = new Map<string, number>();
const REMEMBERED_JOBS = 1_000;

export function rememberCounterShards(jobId: string, counterShards: number | undefined): void {
  if (!counterShards || counterShardsByJob.get(jobId) === counterShards) return;
  if (counterShardsByJob.size >= REMEMBERED_JOBS) counterShardsByJob.clear();
  counterShardsByJob.set(jobId, counterShards);
}

export function knownCounterShards(jobId: string): number | undefined {
  return counterShardsByJob.get(jobId);
}
