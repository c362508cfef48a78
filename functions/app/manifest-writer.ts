// Writes a finished job's manifest (manifest.json and manifest.jsonl) while reading its frontier a
// Query page at a time, in bounded memory whatever the job's size:
// 1. each page's items become manifest entries, cut into sorted runs of MANIFEST_SORT.runSize and
//    spilled (temporary files on Lambda), merged MANIFEST_SORT.fanIn at a time;
// 2. the exports read the done pages in manifest order (one merged pass), then manifest.jsonl is
//    written in one pass and manifest.json in four (pages, levels, errors, skipped), each streamed to S3
//    as a multipart upload.
// So at most runSize + a Query page of entries (while sorting) or fanIn (while merging) are held;
// the runs take the job's size on disk, compressed. A finisher that dies leaves only temporary
// files and incomplete uploads behind: the one that resumes sorts and writes everything again.
import type { FinalStatus, JobRecord, PageSummary } from '../core/job.js';
import { manifestEntryOf, manifestJsonChunks, manifestLines, manifestLinesObjectKey, manifestOrder, type ManifestEntry } from '../core/manifest.js';
import type { FrontierStore, ResultStore } from '../core/ports.js';
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
}

/**
 * Writes manifest.jsonl, then manifest.json at `key` (last: a manifest in S3 means everything it
 * points at is there), after `exports` has had its pass over the done pages in manifest order.
 * Returns what the sort held at most.
 */
export async function writeManifest(
  job: JobRecord,
  status: FinalStatus,
  finishedAt: number,
  key: string,
  deps: ManifestWriteDeps,
  exports: (pages: () => AsyncIterable<PageSummary>) => Promise<void> = async () => {},
  options: ManifestSortOptions = MANIFEST_SORT,
): Promise<SortStats> {
  const store = await (deps.sortRuns ?? (async () => new MemoryRunStore()))();
  try {
    let seq = 0;
    async function* entries(): AsyncGenerator<ManifestEntry[]> {
      for await (const page of deps.frontier.listPages(job.jobId, options.pageSize)) {
        yield page.flatMap((record) => manifestEntryOf(job, record, seq++) ?? []);
      }
    }
    const sorted = await sortIntoRuns(entries(), manifestOrder, store, entryCodec, options);
    await exports(() => donePages(sorted.pass()));
    await deps.results.putLines(manifestLinesObjectKey(key), manifestLines(job, status, finishedAt, sorted.pass()), 'application/x-ndjson');
    await deps.results.putText(key, manifestJsonChunks(job, status, finishedAt, () => sorted.pass()), 'application/json');
    return sorted.stats;
  } finally {
    await store.dispose();
  }
}

async function* donePages(entries: AsyncIterable<ManifestEntry>): AsyncGenerator<PageSummary> {
  for await (const entry of entries) if (entry.page) yield entry.page;
}
