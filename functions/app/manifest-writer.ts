// Writes a finished job's manifest (manifest.json and manifest.jsonl) while reading its frontier a
// Query page at a time, in bounded memory whatever the job's size:
// 1. each page's items become manifest entries, cut into sorted runs of MANIFEST_SORT.runSize and
//    spilled (temporary files on Lambda), merged MANIFEST_SORT.fanIn at a time;
// 2. the exports read the done pages in manifest order (one merged pass), then manifest.jsonl is
//    written in one pass and manifest.json in four (pages, levels, errors, skipped), each streamed to S3
//    as a multipart upload.
// A `since` crawl's change report rides on the same sort: after this job's items, the earlier job's
// frontier is read a Query page at a time, and each of its pages this job did not reach (no item
// here, or only a `capped` marker: a batched read of this job's items per page of the earlier one)
// becomes a `removed` entry; the lists of changes are then streamed in four more passes. Neither
// job's page list is ever held whole.
// So at most runSize + a Query page of entries (while sorting) or fanIn (while merging) are held;
// the runs take the job's size on disk, compressed. A finisher that dies leaves only temporary
// files and incomplete uploads behind: the one that resumes sorts and writes everything again.
import { emptyChangeCounts, hadPage, type ChangeCounts } from '../core/changes.js';
import type { FinalStatus, JobRecord, PageSummary } from '../core/job.js';
import { manifestEntryOf, manifestJsonChunks, manifestLines, manifestLinesObjectKey, manifestOrder, type ManifestEntry } from '../core/manifest.js';
import type { FrontierStore, HostRateGate, ResultStore } from '../core/ports.js';
import { DEFAULT_HOST_RATE_CEILING } from '../core/host-rate.js';
import { HostTally, type HostStats } from '../core/host-stats.js';
import { MemoryRunStore, sortIntoRuns, type DisposableRunStore, type SortOptions, type SortStats } from '../core/sorted-runs.js';

export interface ManifestSortOptions extends SortOptions {
  /** frontier items per Query page */
  pageSize: number;
}

/** ~5,000 entries of ~0.5 KB in memory while sorting; 32 open runs while merging. */
export const MANIFEST_SORT: ManifestSortOptions = { runSize: 5_000, fanIn: 32, pageSize: 1_000 };

const entryCodec = {
  encode: (entry: ManifestEntry) => JSON.stringify(entry),
  decode: (line: string) => JSON.parse(line) as ManifestEntry,
};

export interface ManifestWriteDeps {
  frontier: FrontierStore;
  results: ResultStore;
  sortRuns?: () => Promise<DisposableRunStore>;
  /** the shared host gate, for each host's rate now (manifest `hosts`); absent: every host at the ceiling */
  hostRate?: Pick<HostRateGate, 'rates'>;
  limits?: { hostRateCeiling?: number };
}

/**
 * Writes manifest.jsonl, then manifest.json at `key` (last: a manifest in S3 means everything it
 * points at is there), after `exports` has had its pass over the done pages in manifest order.
 * Returns what the sort held at most and, for a `since` crawl, the change report's counts.
 */
export async function writeManifest(
  job: JobRecord,
  status: FinalStatus,
  finishedAt: number,
  key: string,
  deps: ManifestWriteDeps,
  exports: (pages: () => AsyncIterable<PageSummary>) => Promise<void> = async () => {},
  options: ManifestSortOptions = MANIFEST_SORT,
): Promise<SortStats & { changes?: ChangeCounts }> {
  const store = await (deps.sortRuns ?? (async () => new MemoryRunStore()))();
  try {
    let seq = 0;
    // The manifest's `hosts`, counted on the same read of the frontier (core/host-stats.ts).
    const tally = new HostTally();
    async function* entries(): AsyncGenerator<ManifestEntry[]> {
      for await (const page of deps.frontier.listPages(job.jobId, options.pageSize)) {
        for (const record of page) tally.add(record);
        yield page.flatMap((record) => manifestEntryOf(job, record, seq++) ?? []);
      }
      if (job.since) for await (const removed of unreachedPages(job, job.since.jobId, deps.frontier, options.pageSize)) yield removed.map((entry) => ({ ...entry, seq: seq++ }));
    }
    const sorted = await sortIntoRuns(entries(), manifestOrder, store, entryCodec, options);
    const hosts = await hostStatsOf(tally, deps);
    await exports(() => donePages(sorted.pass()));
    await deps.results.putLines(manifestLinesObjectKey(key), manifestLines(job, status, finishedAt, sorted.pass(), hosts), 'application/x-ndjson');
    const changes = job.since ? emptyChangeCounts() : undefined;
    await deps.results.putText(key, manifestJsonChunks(job, status, finishedAt, () => sorted.pass(), hosts, changes), 'application/json');
    return { ...sorted.stats, ...(changes ? { changes } : {}) };
  } finally {
    await store.dispose();
  }
}

/** The tally with each host's shared rate now, one batch read of the gate's host items. */
async function hostStatsOf(tally: HostTally, deps: ManifestWriteDeps): Promise<HostStats[]> {
  const ceiling = deps.limits?.hostRateCeiling ?? DEFAULT_HOST_RATE_CEILING;
  const hosts = tally.hosts();
  const rates = deps.hostRate?.rates && hosts.length > 0 ? await deps.hostRate.rates(hosts, ceiling) : {};
  return tally.list(rates, ceiling);
}

async function* donePages(entries: AsyncIterable<ManifestEntry>): AsyncGenerator<PageSummary> {
  for await (const entry of entries) if (entry.page) yield entry.page;
}

/**
 * The earlier job's pages that `job` did not reach, a page of the earlier frontier at a time: it has
 * no item for the URL, or only a `capped` marker. A URL it failed or did not get to crawl is in its
 * errors, not removed; one it found gone (404/410) is a page whose `change` says `removed`.
 */
async function* unreachedPages(job: JobRecord, earlierJobId: string, frontier: FrontierStore, pageSize: number): AsyncGenerator<ManifestEntry[]> {
  for await (const page of frontier.listPages(earlierJobId, pageSize)) {
    const had = page.filter((record) => record.state === 'done' && hadPage(record.summary));
    if (had.length === 0) continue;
    const now = await frontier.existing(job.jobId, had.map((record) => record.urlKey));
    const unreached = had.filter((record) => {
      const state = now.get(record.urlKey)?.state;
      return state === undefined || state === 'capped';
    });
    yield unreached.map((record) => ({ depth: record.depth, url: record.url, seq: 0, levelled: false, removed: true as const }));
  }
}
