// A page of a finished job, as a remote client reads it: its line in pages.jsonl (Markdown, text)
// through the job's presigned resultsUrl, and its record (the rendered HTML) through the line's
// presigned recordUrl. Lines are streamed: a big job's export is never held whole.
import { fetchJsonLines, type ResultLine } from '../local/results-tree.js';

export type PageFormat = 'markdown' | 'text' | 'html';

export type PageLine = ResultLine & { recordUrl?: string; skipped?: Record<string, string> };

/** The URL as the crawler writes it, for a lenient match (a trailing slash, a fragment). */
function comparable(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    return parsed.href.replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** The line of `url` (its requested or final URL) in the job's pages.jsonl, or undefined. */
export async function findPage(resultsUrl: string, url: string): Promise<PageLine | undefined> {
  const wanted = comparable(url);
  for await (const line of fetchJsonLines<PageLine>(resultsUrl)) {
    if (comparable(line.url) === wanted || (line.finalUrl !== undefined && comparable(line.finalUrl) === wanted)) return line;
  }
  return undefined;
}

export async function pageContent(line: PageLine, format: PageFormat): Promise<string | undefined> {
  if (format === 'markdown') return line.markdown;
  if (format === 'text') return line.text;
  if (!line.recordUrl) return undefined;
  const response = await fetch(line.recordUrl);
  if (!response.ok) throw new Error(`page record: HTTP ${response.status}`);
  const record = (await response.json()) as { page?: { html?: string } };
  return record.page?.html;
}
