// The document's side of its worker thread (document-reader.ts is the crawler's side): a PDF or
// DOCX is whatever a site serves, and PDF.js or mammoth on a hostile one may loop or allocate
// without end. Here that stalls only this thread, which the crawler terminates at its time limit
// (or its heap limit ends), never the crawler's event loop with every other page of the batch.
//
// This file does something only when it is loaded as the thread (workerData carries THREAD_MARK):
// bundled, the crawler's own bundle is the thread's code, so it is imported there for its effect.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { convertDocument, type ConvertedDocument, type ConvertLimits } from './convert-document.js';
import type { DocumentKind } from './document-kinds.js';

export const DOCUMENT_THREAD_MARK = 'crawler-document-thread';

export interface ConvertRequest {
  bytes: Uint8Array;
  kind: DocumentKind;
  url: string;
  limits: ConvertLimits;
}

export type ConvertReply = { type: 'done'; document: ConvertedDocument } | { type: 'failed'; error: string };

/**
 * PDF.js expects the global `Iterator` (Node 22+; Lambda runs 24) and adds what it needs to its
 * prototype. On Node 20 (local runs) the prototype exists unnamed: named here, in this thread only.
 */
function nameIterator(): void {
  const scope = globalThis as { Iterator?: unknown };
  if (scope.Iterator !== undefined) return;
  const prototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object;
  function Iterator(): void {}
  Iterator.prototype = prototype;
  scope.Iterator = Iterator;
}

function serve(): void {
  nameIterator();
  const port = parentPort!;
  port.once('message', (request: ConvertRequest) => {
    convertDocument(request.bytes, request.kind, request.url, request.limits).then(
      (document) => port.postMessage({ type: 'done', document } satisfies ConvertReply),
      (error: unknown) => port.postMessage({ type: 'failed', error: error instanceof Error ? error.message : String(error) } satisfies ConvertReply),
    );
  });
  port.postMessage({ type: 'ready' });
}

if (!isMainThread && (workerData as Record<string, unknown> | null)?.[DOCUMENT_THREAD_MARK] === true) serve();
