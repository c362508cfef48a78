// Bounding the strings a page's frontier item stores (see STORED_TEXT_BYTES): cut at a character
// boundary, with a marker, so the whole item stays far below DynamoDB's 400 KB.
import type { PageFailure, PageSummary } from './job.js';
import { STORED_TEXT_BYTES, TRUNCATION_MARKER } from './limits.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `text` if it fits in `maxBytes` of UTF-8, else its longest prefix that fits with TRUNCATION_MARKER after it. */
export function boundText(text: string, maxBytes: number): string {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: most strings are decided without encoding them.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  const markerBytes = encoder.encode(TRUNCATION_MARKER).length;
  const marker = maxBytes >= markerBytes ? TRUNCATION_MARKER : '';
  let end = marker ? maxBytes - markerBytes : maxBytes;
  // Back off to the first byte of a character (continuation bytes are 10xxxxxx).
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return decoder.decode(bytes.subarray(0, end)) + marker;
}

export function boundSummary(summary: PageSummary): PageSummary {
  return {
    ...summary,
    url: boundText(summary.url, STORED_TEXT_BYTES.url),
    finalUrl: boundText(summary.finalUrl, STORED_TEXT_BYTES.url),
    parent: summary.parent === null ? null : boundText(summary.parent, STORED_TEXT_BYTES.url),
    title: boundText(summary.title, STORED_TEXT_BYTES.title),
  };
}

export function boundFailure(failure: PageFailure): PageFailure {
  return { ...failure, url: boundText(failure.url, STORED_TEXT_BYTES.url), error: boundText(failure.error, STORED_TEXT_BYTES.error) };
}
