// The manifest: the job's one-file summary, built from the frontier when the job finishes.
// Two ways to the same bytes: buildManifest holds the whole job (small jobs, tests, the reference);
// manifestJsonChunks/manifestLines stream it from passes over the entries in manifest order, so a
// job of a million pages is written in bounded memory (app/manifest-writer.ts).
import { isReopenedPage } from './depth.js';
import { isSkipped, type FinalStatus, type FrontierRecord, type JobRecord, type PageSummary } from './job.js';
import { usageOf, type Usage } from './usage.js';
import type { HostStats } from './host-stats.js';
import { blockedFieldsOf } from './pushback.js';
import { CHANGE_KINDS, type ChangeCounts, type ChangeKind } from './vocabulary.js';

export interface Manifest {
  jobId: string;
  url: string;
  depth: number;
  status: FinalStatus;
  startedAt: string;
  finishedAt: string;
  pages: PageSummary[];
  levels: string[][];
  errors: { url: string; error: string }[];
  /**
   * URLs the crawl found but did not fetch because robots.txt disallows them: not failures (the
   * job's status, `failed` and redrive leave them out), listed in `levels` at the depth found
   */
  skipped: SkippedUrl[];
  /** in-scope URLs that were not admitted because maxPages was reached */
  capped: number;
  /** links pages had past the stack's maxLinksPerPage, not followed (app/admit-children.ts), when any */
  linksDropped?: number;
  /** the seeds of a crawl started from `urls` */
  seeds?: string[];
  /** URLs still waiting for their host's slot when the job ended (politeness), when any */
  delayed?: number;
  /** times URLs went back to the queue to wait for their host's slot, when any */
  hostWaits?: number;
  /**
   * what the job used and its estimated cost (core/usage.ts, core/prices.ts), as counted when it
   * began finishing: the work after its last settle (the finish itself) is not in it
   */
  usage: Usage;
  /** why the job ended early ('budget', 'time limit reached', 'job cancelled'…), when it did */
  endReason?: string;
  /** pages whose answer was a bot challenge or block page (in `pages`, `state: "blocked"`), when any (core/pushback.ts) */
  blocked?: number;
  /** more pages were blocked than crawled and failed together */
  mostlyBlocked?: true;
  /** per host the job navigated to: its navigations, throttles (429/503) and blocked pages, and the host's shared rate now (core/host-stats.ts) */
  hosts?: HostStats[];
  /** a `since` crawl: the URLs of each kind against the earlier job, each list in manifest order (core/changes.ts) */
  changes?: Record<ChangeKind, string[]>;
}

export interface SkippedUrl {
  url: string;
  /** why it was not fetched, e.g. `disallowed by robots.txt (line 2)` */
  reason: string;
}

/**
 * What one frontier item contributes to the manifest: a page, or an error; `levelled` when its URL
 * is listed in `levels` (every URL of the crawl, not a warning). `seq` is the item's place in the
 * frontier read, the last tie-break, so a streamed sort orders ties as the in-memory one does.
 */
export interface ManifestEntry {
  depth: number;
  url: string;
  seq: number;
  page?: PageSummary;
  error?: string;
  /** a URL skipped (robots.txt): its reason; listed under `skipped`, not `errors` */
  skipped?: string;
  levelled: boolean;
  /**
   * a `since` crawl: a page of the earlier job this one did not reach (app/manifest-writer.ts);
   * listed only in `changes.removed`
   */
  removed?: true;
}

/** The entry's kind in a `since` crawl's change report, if it has one. */
export function changeOfEntry(entry: ManifestEntry): ChangeKind | undefined {
  return entry.removed ? 'removed' : entry.page?.change;
}

/** Manifest order: by depth, then URL, then frontier order. A total order over a job's entries. */
export const manifestOrder = (a: ManifestEntry, b: ManifestEntry) =>
  a.depth - b.depth || (a.url < b.url ? -1 : a.url > b.url ? 1 : 0) || a.seq - b.seq;

/** The entry of one frontier item, or null for what the manifest does not list. */
export function manifestEntryOf(job: Pick<JobRecord, 'endReason'>, record: FrontierRecord, seq: number): ManifestEntry | null {
  // Aliases stand for a page listed under its own URL; capped URLs were never admitted (counted in `capped`).
  if (record.state === 'alias' || record.state === 'capped') return null;
  const at = { depth: record.depth, url: record.url, seq };
  // A warning (a sitemap that could not be used) is no URL of the crawl: listed, not levelled.
  if (record.state === 'warning') return { ...at, error: record.failure?.error ?? 'warning', levelled: false };
  if (record.state === 'done' && record.summary) return { ...at, page: record.summary, levelled: true };
  // A challenge or block page (core/pushback.ts): listed as the page it was, `state: "blocked"` with its blockReason.
  if (record.state === 'blocked' && record.summary) return { ...at, page: { ...record.summary, depth: record.depth, parent: record.parent }, levelled: true };
  if (isSkipped(record)) return { ...at, skipped: record.failure?.error ?? 'disallowed by robots.txt', levelled: true };
  if (record.state === 'failed') return { ...at, error: record.failure?.error ?? 'failed', levelled: true };
  // A page reopened to admit its links at a smaller depth (core/depth.ts) when the job ended: it was crawled.
  if (isReopenedPage(record)) return { ...at, page: { ...record.summary!, depth: record.depth, parent: record.parent }, levelled: true };
  // Only a cancelled or timed-out job finishes with URLs still open.
  return { ...at, error: `not crawled: ${job.endReason ?? 'job ended'}`, levelled: true };
}

/** The manifest's fields other than pages, levels and errors, split where those three go. */
function manifestEnds(job: JobRecord, status: FinalStatus, finishedAt: number, hosts?: HostStats[]) {
  return {
    head: {
      jobId: job.jobId,
      url: job.url,
      ...(job.seeds ? { seeds: job.seeds } : {}),
      depth: job.depth,
      status,
      startedAt: new Date(job.startedAt).toISOString(),
      finishedAt: new Date(finishedAt).toISOString(),
    },
    tail: {
      capped: job.capped ?? 0,
      ...(job.linksDropped ? { linksDropped: job.linksDropped } : {}),
      ...(job.delayed ? { delayed: job.delayed } : {}),
      ...(job.hostWaits ? { hostWaits: job.hostWaits } : {}),
      usage: usageOf(job),
      ...(job.endReason !== undefined ? { endReason: job.endReason } : {}),
      ...blockedFieldsOf(job),
      ...(hosts && hosts.length > 0 ? { hosts } : {}),
    },
  };
}

/** `removed`: a `since` crawl's entries for the earlier job's pages it did not reach (see ManifestEntry). */
export function buildManifest(job: JobRecord, records: FrontierRecord[], status: FinalStatus, finishedAt: number, hosts?: HostStats[], removed: ManifestEntry[] = []): Manifest {
  const entries = [...records.flatMap((record, seq) => manifestEntryOf(job, record, seq) ?? []), ...removed].sort(manifestOrder);
  const pages: PageSummary[] = [];
  const errors: { url: string; error: string }[] = [];
  const skipped: SkippedUrl[] = [];
  const levels: string[][] = [];
  const changes = job.since ? (Object.fromEntries(CHANGE_KINDS.map((kind) => [kind, [] as string[]])) as Record<ChangeKind, string[]>) : undefined;
  for (const entry of entries) {
    const change = changeOfEntry(entry);
    if (changes && change) changes[change].push(entry.url);
    if (entry.removed) continue;
    if (entry.page) pages.push(entry.page);
    else if (entry.skipped !== undefined) skipped.push({ url: entry.url, reason: entry.skipped });
    else errors.push({ url: entry.url, error: entry.error! });
    if (entry.levelled) (levels[entry.depth] ??= []).push(entry.url);
  }
  const { head, tail } = manifestEnds(job, status, finishedAt, hosts);
  return { ...head, pages, levels: Array.from(levels, (level) => level ?? []), errors, skipped, ...(changes ? { changes } : {}), ...tail } as Manifest;
}

/**
 * manifest.json as text chunks, byte for byte JSON.stringify(buildManifest(…)) of the same entries.
 * `pass()` must yield every entry in manifestOrder; it is called four times (pages, levels,
 * errors, skipped), and four more for a `since` crawl's changes (one per kind), so nothing but the
 * current entry (and the passes' own buffers) is held. `counts`, when given, is filled with the changes' counts.
 */
export async function* manifestJsonChunks(
  job: JobRecord,
  status: FinalStatus,
  finishedAt: number,
  pass: () => AsyncIterable<ManifestEntry>,
  hosts?: HostStats[],
  counts?: ChangeCounts,
): AsyncGenerator<string> {
  const { head, tail } = manifestEnds(job, status, finishedAt, hosts);
  yield `${JSON.stringify(head).slice(0, -1)},"pages":[`;
  let first = true;
  for await (const entry of pass()) {
    if (!entry.page || entry.removed) continue;
    yield `${first ? '' : ','}${JSON.stringify(entry.page)}`;
    first = false;
  }
  yield '],"levels":[';
  // Levels open and close as the depth moves on; a depth with no URL is an empty level, as in
  // buildManifest (Array.from fills holes with []).
  let depth = -1;
  for await (const entry of pass()) {
    if (!entry.levelled) continue;
    if (entry.depth !== depth) {
      let text = depth >= 0 ? '],' : '';
      for (let gap = depth + 1; gap < entry.depth; gap++) text += '[],';
      yield `${text}[${JSON.stringify(entry.url)}`;
      depth = entry.depth;
    } else {
      yield `,${JSON.stringify(entry.url)}`;
    }
  }
  yield `${depth >= 0 ? ']' : ''}],"errors":[`;
  first = true;
  for await (const entry of pass()) {
    if (entry.page || entry.removed || entry.skipped !== undefined) continue;
    yield `${first ? '' : ','}${JSON.stringify({ url: entry.url, error: entry.error })}`;
    first = false;
  }
  yield '],"skipped":[';
  first = true;
  for await (const entry of pass()) {
    if (entry.skipped === undefined) continue;
    yield `${first ? '' : ','}${JSON.stringify({ url: entry.url, reason: entry.skipped })}`;
    first = false;
  }
  if (job.since) {
    // One pass per kind: the four lists are streamed, never held.
    yield '],"changes":{';
    for (const [index, kind] of CHANGE_KINDS.entries()) {
      yield `${index > 0 ? '],' : ''}${JSON.stringify(kind)}:[`;
      let count = 0;
      for await (const entry of pass()) {
        if (changeOfEntry(entry) !== kind) continue;
        yield `${count > 0 ? ',' : ''}${JSON.stringify(entry.url)}`;
        count++;
      }
      if (counts) counts[kind] = count;
    }
    yield ']}';
  } else {
    yield ']';
  }
  yield `,${JSON.stringify(tail).slice(1)}`;
}

/**
 * manifest.jsonl, the same manifest as JSON Lines, one pass: a first line
 * `{"type":"job", jobId, url, seeds?, depth, status, startedAt, finishedAt, capped, delayed?, hostWaits?, usage, endReason?}`,
 * then one line per URL in manifest order (depth, then URL): `{"type":"page", …PageSummary}` or
 * `{"type":"error", url, depth, error}`, `{"type":"skipped", url, depth, reason}` (robots.txt), or
 * `{"type":"warning", url, error}` (not a URL of the crawl, so in no level), or for a `since` crawl
 * `{"type":"removed", url, depth}` (a page of the earlier job not reached now, at its depth there).
 * A level of manifest.json is the page and error lines of one depth.
 */
export async function* manifestLines(
  job: JobRecord,
  status: FinalStatus,
  finishedAt: number,
  entries: AsyncIterable<ManifestEntry>,
  hosts?: HostStats[],
): AsyncGenerator<string> {
  const { head, tail } = manifestEnds(job, status, finishedAt, hosts);
  yield JSON.stringify({ type: 'job', ...head, ...tail });
  for await (const entry of entries) {
    // a `since` crawl's page of the earlier job it did not reach
    if (entry.removed) yield JSON.stringify({ type: 'removed', url: entry.url, depth: entry.depth });
    else if (entry.page) yield JSON.stringify({ type: 'page', ...entry.page });
    else if (entry.skipped !== undefined) yield JSON.stringify({ type: 'skipped', url: entry.url, depth: entry.depth, reason: entry.skipped });
    else if (entry.levelled) yield JSON.stringify({ type: 'error', url: entry.url, depth: entry.depth, error: entry.error });
    else yield JSON.stringify({ type: 'warning', url: entry.url, error: entry.error });
  }
}

/** Where the JSON Lines variant of the manifest lies: beside manifest.json. */
export function manifestLinesObjectKey(manifestKey: string): string {
  return manifestKey.replace(/\.json$/, '.jsonl');
}
