// A document's bytes (PDF, DOCX) made into text, Markdown, a title and links, for any renderer: the
// browser's (the main response's body) or a plain HTTP one. Bounded in size (a document larger
// than maxBytes is skipped, and a caller should not read more than that of its body) and in time
// and memory: each document is converted in a worker thread of its own (document-thread.ts) that
// is terminated when it does not answer in time; a heap limit ends one that allocates too much.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ConvertedDocument } from './convert-document.js';
import { documentKindOf, type DocumentKind } from './document-kinds.js';
import { DOCUMENT_THREAD_MARK, type ConvertReply, type ConvertRequest } from './document-thread.js';

export { documentKindOf, type DocumentKind } from './document-kinds.js';
export type { ConvertedDocument } from './convert-document.js';

/** A document larger than this is not read (its body is not fetched beyond it). */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;
/** How long one document may take to convert, its thread's start included. */
export const DOCUMENT_TIMEOUT_MS = 20_000;
/** The converting thread's heap: a document that needs more fails alone. */
const THREAD_HEAP_MB = 256;
/** Text read at most, in characters: the products keep at most 1 MiB of it (products/content-cap.ts). */
const MAX_TEXT_CHARS = 1024 * 1024;
const MAX_PDF_PAGES = 2_000;
const MAX_DOCUMENT_LINKS = 1_000;

export interface DocumentOptions {
  maxBytes?: number;
  timeoutMs?: number;
}

export type DocumentReading =
  | { kind: DocumentKind; bytes: number; document: ConvertedDocument }
  /** not read: too big (or no body to read); `skipped` says why */
  | { kind: DocumentKind; bytes: number; skipped: string }
  /** read, but not convertible (damaged, encrypted, not what its type said, too slow) */
  | { kind: DocumentKind; bytes: number; error: string };

/** Whether a response of this type and size (its Content-Length, when known) is worth fetching whole. */
export function documentTooBig(declaredBytes: number | undefined, options: DocumentOptions = {}): string | undefined {
  const max = options.maxBytes ?? MAX_DOCUMENT_BYTES;
  return declaredBytes !== undefined && declaredBytes > max ? `document larger than ${max} bytes (${declaredBytes}): not read` : undefined;
}

/**
 * The document at `url` as text; undefined when its type is not a document the crawler reads.
 * `bytes` undefined: the caller could not get the body (said as `skipped`, with `why`).
 */
export async function readDocument(
  input: { bytes: Uint8Array | undefined; contentType: string | null; url: string; why?: string },
  options: DocumentOptions = {},
): Promise<DocumentReading | undefined> {
  const kind = documentKindOf(input.contentType, input.url);
  if (!kind) return undefined;
  const max = options.maxBytes ?? MAX_DOCUMENT_BYTES;
  if (!input.bytes) return { kind, bytes: 0, skipped: input.why ?? 'the document body could not be read' };
  const bytes = input.bytes.byteLength;
  if (bytes > max) return { kind, bytes, skipped: `document larger than ${max} bytes (${bytes}): not read` };
  const limits = { maxChars: MAX_TEXT_CHARS, maxPages: MAX_PDF_PAGES, maxLinks: MAX_DOCUMENT_LINKS };
  const reply = await inThread({ bytes: input.bytes, kind, url: input.url, limits }, options.timeoutMs ?? DOCUMENT_TIMEOUT_MS);
  return reply.type === 'done' ? { kind, bytes, document: reply.document } : { kind, bytes, error: `${kind.toUpperCase()} not readable: ${reply.error}` };
}

declare const __filename: string | undefined;

/** As the extractors' threads (extractor-threads.ts): the bundle itself, or the source under tsx. */
function threadCode(): { code: string | URL; eval: boolean } {
  if (typeof __filename === 'string' && !__filename.endsWith('.ts')) return { code: pathToFileURL(__filename), eval: false };
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  const source = pathToFileURL(join(dirname(here), 'document-thread.ts')).href;
  const tsx = pathToFileURL(join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  return { code: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); })`, eval: true };
}

/** One thread per document, always terminated after it: a converter's state never outlives its document. */
function inThread(request: ConvertRequest, timeoutMs: number): Promise<ConvertReply> {
  const { code, eval: isEval } = threadCode();
  const worker = new Worker(code, {
    eval: isEval,
    workerData: { [DOCUMENT_THREAD_MARK]: true },
    resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    stdout: false,
    stderr: false,
  });
  return new Promise<ConvertReply>((resolve) => {
    let settled = false;
    const finish = (reply: ConvertReply) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.removeAllListeners('message');
      void worker.terminate();
      resolve(reply);
    };
    const timer = setTimeout(() => finish({ type: 'failed', error: `did not finish within ${timeoutMs} ms; its thread was terminated` }), timeoutMs);
    worker.on('message', (message: ConvertReply | { type: 'ready' }) => {
      if (message.type === 'ready') worker.postMessage(request);
      else finish(message);
    });
    worker.on('error', (error) => finish({ type: 'failed', error: `its thread failed: ${error.message}` }));
    worker.on('exit', (exitCode) => finish({ type: 'failed', error: `its thread exited (${exitCode})` }));
  });
}
