// The job's content export, jobs/{jobId}/pages.jsonl: one line per page with what the job asked to
// keep (Markdown, text, an extractor's data, the screenshot's key). Lines are streamed into S3 as
// the page records are read, a few at a time, so the finisher never holds the whole job's content.
import { unifiedDiff, type ChangeKind } from '../core/changes.js';
import type { FrontierRecord, JobRecord, PageSummary } from '../core/job.js';
import { resultsObjectKey } from '../core/keys.js';
import type { PageRecord, ResultStore } from '../core/ports.js';

/** Page records read ahead of the line being written. */
const READ_AHEAD = 8;

export interface ContentLine {
  url: string;
  finalUrl: string;
  depth: number;
  status: number | null;
  title: string;
  markdown?: string;
  text?: string;
  data?: unknown;
  /** S3 key of the viewport PNG, and a presigned URL of it (a client of a deployed stack has no credentials) */
  screenshot?: string;
  screenshotUrl?: string;
  /** presigned URL of the page's whole record (rendered HTML, links, timings): a client without credentials reads the HTML there */
  recordUrl?: string;
  /** why a product has nothing for this page (a screenshot of a PDF), by product */
  skipped?: Record<string, string>;
  /** the page was a bot challenge or block page (core/pushback.ts): its content is what the wall showed */
  state?: 'blocked';
  blockReason?: string;
  /** a `since` crawl: the page against the earlier job (core/changes.ts) */
  change?: ChangeKind;
  /** a changed page: the unified diff of its Markdown (else its text) in the earlier job against now, bounded (core/changes.ts MAX_DIFF_BYTES) */
  diff?: string;
}

/** What a page's diff compares: its Markdown when both records have it, else its text. */
function diffable(record: PageRecord | null): { markdown?: string; text?: string } {
  const field = (product: string, name: string) => {
    const value = record?.outputs?.[product]?.fields?.[name];
    return typeof value === 'string' ? value : undefined;
  };
  return { markdown: field('markdown', 'markdown'), text: field('text', 'text') };
}

/** The diff of a changed page, when both jobs kept its Markdown or both its text. */
export function diffOf(url: string, earlier: PageRecord | null, now: PageRecord | null): string | undefined {
  const before = diffable(earlier);
  const after = diffable(now);
  if (before.markdown !== undefined && after.markdown !== undefined) return unifiedDiff(url, before.markdown, after.markdown);
  if (before.text !== undefined && after.text !== undefined) return unifiedDiff(url, before.text, after.text);
  return undefined;
}

export function contentLine(summary: PageSummary, record: PageRecord | null): ContentLine {
  const outputs = record?.outputs ?? {};
  const line: ContentLine = {
    url: summary.url,
    finalUrl: summary.finalUrl,
    depth: summary.depth,
    status: summary.status,
    title: summary.title,
    ...(summary.state === 'blocked' ? { state: summary.state, ...(summary.blockReason ? { blockReason: summary.blockReason } : {}) } : {}),
  };
  const field = (product: string, name: string) => outputs[product]?.fields?.[name];
  if (typeof field('markdown', 'markdown') === 'string') line.markdown = field('markdown', 'markdown') as string;
  if (typeof field('text', 'text') === 'string') line.text = field('text', 'text') as string;
  const extract = outputs.extract;
  if (extract) line.data = extract.error !== undefined ? { error: extract.error } : (extract.fields?.data ?? null);
  const screenshot = outputs.screenshot?.files?.screenshot;
  if (screenshot) line.screenshot = screenshot;
  const skipped = Object.fromEntries(Object.entries(outputs).flatMap(([name, o]) => (o.skipped !== undefined ? [[name, o.skipped]] : [])));
  if (Object.keys(skipped).length > 0) line.skipped = skipped;
  if (summary.change !== undefined) line.change = summary.change;
  return line;
}

async function* lines(pages: Iterable<PageSummary> | AsyncIterable<PageSummary>, results: ResultStore, urlTtlSeconds: number): AsyncGenerator<string> {
  // Reads run READ_AHEAD pages ahead of the line written; the pages themselves may be a stream.
  const ahead: { page: PageSummary; record: Promise<PageRecord | null>; previous?: Promise<PageRecord | null> }[] = [];
  const lineOf = async ({ page, record, previous }: (typeof ahead)[number]) => {
    const line = contentLine(page, await record);
    // A changed page of a `since` crawl: its diff against the earlier job's record.
    if (previous) {
      const diff = diffOf(page.url, await previous, await record);
      if (diff !== undefined) line.diff = diff;
    }
    if (line.screenshot) line.screenshotUrl = await results.presignGet(line.screenshot, urlTtlSeconds);
    line.recordUrl = await results.presignGet(page.key, urlTtlSeconds);
    return JSON.stringify(line);
  };
  for await (const page of pages) {
    const record = results.getPage(page.key);
    // Awaited in its turn; until then a failure must not count as unhandled.
    record.catch(() => undefined);
    const previous = page.change === 'changed' && page.previousKey ? results.getPage(page.previousKey) : undefined;
    previous?.catch(() => undefined);
    ahead.push({ page, record, ...(previous ? { previous } : {}) });
    if (ahead.length > READ_AHEAD) yield await lineOf(ahead.shift()!);
  }
  while (ahead.length > 0) yield await lineOf(ahead.shift()!);
}

/**
 * Writes pages.jsonl for the job's recorded pages (in manifest order, an array or a stream);
 * idempotent: a resumed finisher rewrites it whole.
 */
export async function writeContentExport(
  job: JobRecord,
  pages: Iterable<PageSummary> | AsyncIterable<PageSummary>,
  results: ResultStore,
  urlTtlSeconds: number,
): Promise<string> {
  const key = resultsObjectKey(job.jobId);
  await results.putLines(key, lines(pages, results, urlTtlSeconds), 'application/x-ndjson');
  return key;
}

/** Done pages in the order the manifest lists them. */
export function donePages(records: FrontierRecord[]): PageSummary[] {
  return records.flatMap((r) => (r.state === 'done' && r.summary ? [r.summary] : []));
}
