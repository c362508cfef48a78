// What changed between a `since` crawl and the earlier job it names (DESIGN.md "Sites change").
//
// What is hashed (PageSummary.contentHash): the page's main text. From the rendered DOM, scripts,
// styles, hidden elements and consent banners are removed, then nav, header, footer, aside and form
// (and elements with their ARIA roles); Mozilla's Readability picks the article from what is left
// (else the body is taken); its text nodes are joined by spaces, every run of whitespace made one
// space and the ends trimmed; SHA-256 of that, as UTF-8, in hex (adapters/products/markdown.ts
// mainTextOf, adapters/products/content-hash.ts). So a rotating footer, a nonce in a script or an
// attribute, a menu entry, an ad slot or reflowed markup is no change; a changed sentence of the
// article is. Pages recorded before the hash existed are compared by `sha256` (the whole rendered
// HTML) instead; a non-HTML document (a PDF) has no hash and is compared so too.
import { createTwoFilesPatch } from 'diff';
import type { PageSummary } from './job.js';
import type { ChangeCounts, ChangeKind } from './vocabulary.js';

export { CHANGE_KINDS, type ChangeCounts, type ChangeKind } from './vocabulary.js';

/** A page answering one of these is gone: `removed` when the earlier job had it. */
export function isGoneStatus(status: number | null | undefined): boolean {
  return status === 404 || status === 410;
}

/** The main text as it is hashed: whitespace runs made one space, ends trimmed. */
export function normaliseMainText(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/** Whether the earlier job had the page: it recorded it, and not as gone. */
export function hadPage(earlier: Pick<PageSummary, 'status'> | null | undefined): boolean {
  return earlier != null && !isGoneStatus(earlier.status);
}

/**
 * The page's change against the earlier job's summary of the same URL (null: the earlier job did
 * not record it as a page). `now` is this crawl's page. A page gone now that the earlier job had
 * as gone too (or not at all) is no change: undefined.
 */
export function changeOf(
  earlier: Pick<PageSummary, 'status' | 'sha256' | 'contentHash'> | null | undefined,
  now: Pick<PageSummary, 'status' | 'sha256' | 'contentHash'>,
): ChangeKind | undefined {
  if (isGoneStatus(now.status)) return hadPage(earlier) ? 'removed' : undefined;
  if (!hadPage(earlier)) return 'added';
  const both = earlier!.contentHash !== undefined && now.contentHash !== undefined;
  const same = both ? earlier!.contentHash === now.contentHash : earlier!.sha256 === now.sha256;
  return same ? 'unchanged' : 'changed';
}

export function emptyChangeCounts(): ChangeCounts {
  return { added: 0, changed: 0, unchanged: 0, removed: 0 };
}

/** A diff longer than this is cut (with a marker): pages.jsonl carries one per changed page. */
export const MAX_DIFF_BYTES = 64 * 1024;
/**
 * Lines added plus removed past which no diff is computed: Myers' diff costs (lines × edits), and a
 * page rewritten whole (measured: 5,000 lines each side, ~9 s) would stall the finisher; such a page
 * gets a one-line note instead.
 */
export const MAX_DIFF_EDITS = 2_000;

/**
 * The unified diff of a page's Markdown (or text) in the earlier job against this one, a few lines
 * of context, cut at `maxBytes` on a line boundary with a marker saying so.
 */
export function unifiedDiff(url: string, before: string, after: string, maxBytes = MAX_DIFF_BYTES): string {
  const patch = createTwoFilesPatch(`${url} (earlier)`, `${url} (now)`, before, after, undefined, undefined, { context: 2, maxEditLength: MAX_DIFF_EDITS });
  if (patch === undefined) return `\\ more than ${MAX_DIFF_EDITS} lines changed: no diff\n`;
  if (Buffer.byteLength(patch, 'utf8') <= maxBytes) return patch;
  let cut = Buffer.from(patch, 'utf8').subarray(0, maxBytes).toString('utf8');
  cut = cut.slice(0, Math.max(0, cut.lastIndexOf('\n') + 1));
  return `${cut}\\ diff cut at ${maxBytes} bytes\n`;
}
