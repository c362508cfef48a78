// Markdown and text go into the page record and into one line of pages.jsonl each, so a huge page
// must not make either huge: they are cut, on a character boundary, and say so at the cut.
import { capUtf8 } from '../browser/renderer.js';

/** Markdown and text of one page are cut to this many UTF-8 bytes (plus the marker). */
export const MAX_CONTENT_BYTES = 1024 * 1024;

export const truncationMarker = (what: string, maxBytes: number): string => `\n\n[… ${what} truncated: longer than ${maxBytes} bytes]\n`;

export function capWithMarker(content: string, what: string, maxBytes = MAX_CONTENT_BYTES): { content: string; truncated: boolean } {
  const cut = capUtf8(content, maxBytes);
  if (cut.length === content.length) return { content, truncated: false };
  return { content: cut + truncationMarker(what, maxBytes), truncated: true };
}

/** The renderer hands products an empty DOM for PDFs, images and other non-HTML documents. */
export function isHtmlDocument(contentType: string | null, html: string): boolean {
  if (html === '') return false;
  return contentType === null || /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType);
}

export function documentKind(contentType: string | null): string {
  return contentType?.split(';')[0]?.trim() || 'non-HTML';
}
