// Bounding the strings a page or a site chooses before they are stored in a DynamoDB item or sent
// in a message (see STORED_TEXT_BYTES): cut at a character boundary, with a marker, so the whole
// item stays far below DynamoDB's 400 KB (and a message below API Gateway's 128 KB). Where such a
// string is a key or must stay whole to mean anything (a URL to fetch, a revisit's target), the
// writer does not cut it: it keeps it out (see fitsStored).
import type { FrontierRecord, PageFailure, PageSummary } from './job.js';
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

/** Whether `text` is stored as it is (no cut) under `maxBytes` of UTF-8. */
export function fitsStored(text: string, maxBytes: number): boolean {
  return boundText(text, maxBytes) === text;
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

/**
 * A frontier item written whole (an alias, a sitemap warning): every string in it that a page or
 * a site chose, bounded. Its `urlKey` was made from the whole URL and stays as it is.
 */
export function boundFrontierItem(record: FrontierRecord): FrontierRecord {
  return {
    ...record,
    url: bounded(record.url, STORED_TEXT_BYTES.url),
    parent: bounded(record.parent, STORED_TEXT_BYTES.url),
    ...(record.aliasOf !== undefined ? { aliasOf: bounded(record.aliasOf, STORED_TEXT_BYTES.url) } : {}),
    ...(record.summary !== undefined ? { summary: boundSummary(record.summary) } : {}),
    ...(record.failure !== undefined ? { failure: boundFailure(record.failure) } : {}),
  };
}
