// The bytes of a document the browser was shown or downloaded instead of a page (a PDF, a DOCX):
// the main response's body as Chromium received it, when it kept it; else fetched once more with
// the crawler's own guarded GET (every hop asked of the same egress guard as the browser's
// requests, through the same upstream proxy, at most the document cap read): a second request of
// the document to its host (headless Chromium downloads a PDF and keeps no body of it). A document whose Content-Length is over the cap is not
// fetched at all.
import type { HTTPResponse } from 'puppeteer-core';
import { guardedGet } from '../http/guarded-fetch.js';
import { documentTooBig, MAX_DOCUMENT_BYTES } from '../documents/document-reader.js';
import type { RequestGuard } from './request-guard.js';
import type { UpstreamProxy } from '../../core/upstream-proxy.js';

/** How long reading the body may take, either way. */
const BODY_TIMEOUT_MS = 15_000;

export interface DocumentBody {
  bytes?: Uint8Array;
  /** why there are no bytes */
  why?: string;
}

export async function documentBody(
  main: HTTPResponse,
  options: { guard?: RequestGuard; userAgent?: string; maxDocumentBytes?: number; upstreams?: () => Promise<readonly UpstreamProxy[]> },
): Promise<DocumentBody> {
  const max = options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  const declared = Number(main.headers()['content-length']);
  const tooBig = documentTooBig(Number.isFinite(declared) ? declared : undefined, { maxBytes: max });
  if (tooBig) return { why: tooBig };
  // Chromium keeps the body of a response it rendered (its PDF viewer); not of a download.
  const kept = await withTimeout(main.content(), BODY_TIMEOUT_MS).catch(() => undefined);
  if (kept && kept.byteLength > 0) return { bytes: kept };
  const fetched = await guardedGet(main.url(), {
    ...(options.guard ? { guard: options.guard } : {}),
    ...(options.upstreams ? { upstreams: options.upstreams } : {}),
    userAgent: options.userAgent ?? 'crawler',
    accept: '*/*',
    maxBytes: max + 1,
    maxRedirects: 5,
    timeoutMs: BODY_TIMEOUT_MS,
  });
  if (!fetched.body) return { why: `the document could not be fetched: ${fetched.error ?? `status ${fetched.status}`}` };
  if (fetched.truncated || fetched.body.byteLength > max) return { why: `document larger than ${max} bytes: not read` };
  return { bytes: fetched.body };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)))]).finally(() => clearTimeout(timer));
}
