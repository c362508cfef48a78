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

/** Bounds the field if it holds a string (a record read back from storage may lack one). */
function bounded<T>(value: T, maxBytes: number): T {
  return (typeof value === 'string' ? boundText(value, maxBytes) : value) as T;
}

export function boundSummary(summary: PageSummary): PageSummary {
  return {
    ...summary,
    url: bounded(summary.url, STORED_TEXT_BYTES.url),
    finalUrl: bounded(summary.finalUrl, STORED_TEXT_BYTES.url),
    parent: bounded(summary.parent, STORED_TEXT_BYTES.url),
    title: bounded(summary.title, STORED_TEXT_BYTES.title),
  };
}

export function boundFailure(failure: PageFailure): PageFailure {
  return { ...failure, url: bounded(failure.url, STORED_TEXT_BYTES.url), error: bounded(failure.error, STORED_TEXT_BYTES.error) };
}
