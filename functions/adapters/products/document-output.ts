// The Markdown and text products of a document (PDF, DOCX) the renderer read from its bytes
// (adapters/documents): the same cap and marker as a page's, or why there is none.
import type { ProductOutput } from '../../core/ports.js';
import type { DocumentReading } from '../documents/document-reader.js';
import { capWithMarker, MAX_CONTENT_BYTES, truncationMarker } from './content-cap.js';

/**
 * A document's text or Markdown as a product's output (the same cap and marker as a page's); its
 * reason when it was skipped (too big) or could not be read.
 */
export function documentOutput(reading: DocumentReading, field: 'text' | 'markdown', what: string, maxBytes = MAX_CONTENT_BYTES): ProductOutput {
  if ('skipped' in reading) return { skipped: reading.skipped };
  if ('error' in reading) return { error: reading.error };
  // a scanned document is pictures of text: nothing to convert, and the product says so
  if (reading.document.text.trim() === '') return { skipped: `no text in this ${reading.kind.toUpperCase()} document (a scan holds only images)` };
  const capped = capWithMarker(reading.document[field], what, maxBytes);
  const truncated = capped.truncated || reading.document.truncated === true;
  const content = capped.truncated || !truncated ? capped.content : capped.content + truncationMarker(what, maxBytes);
  return { fields: { [field]: content, ...(truncated ? { [`${field}Truncated`]: true } : {}) } };
}
