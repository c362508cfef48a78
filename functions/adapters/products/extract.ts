// Runs the extractor a job named (extractors/<name>.ts) on each page and keeps its JSON. Whatever an
// extractor does wrong stays that page's product error: a throw, a hang or a loop that never yields
// (it runs in a worker thread, extractor-threads.ts, terminated at its time limit: the crawler's
// event loop, and so the batch's other pages, never wait on it), or an answer that is not JSON (a
// function, a cycle, a BigInt, a Map) or is too big to keep in a page record and one line of
// pages.jsonl. What it reads is bounded too: the DOM it gets is cut to maxHtmlBytes.
import type { Page } from 'puppeteer-core';
import type { ProductOutput } from '../../core/ports.js';
import { capUtf8, PRODUCT_TIMEOUT_MS } from '../browser/page-read.js';
import type { ExtractorThreads } from './extractor-threads.js';
import type { PageProduct, ProductContext } from './page-product.js';

export { toJson, type JsonCheck } from './extract-json.js';

/** An extractor's answer, serialised, may be this big. */
export const MAX_EXTRACT_BYTES = 1024 * 1024;
/** The DOM an extractor gets, in UTF-8 bytes, unless the stack says otherwise (extractMaxHtmlKb). */
export const EXTRACT_MAX_HTML_BYTES = 2 * 1024 * 1024;

export interface ExtractOptions {
  maxBytes?: number;
  maxHtmlBytes?: number;
  /** the extractor's time limit; the renderer's product budget also ends it (abort) */
  timeoutMs?: number;
}

export class ExtractProduct implements PageProduct {
  readonly name = 'extract';
  private readonly abort = new AbortController();

  constructor(
    readonly extractorName: string,
    private readonly threads: ExtractorThreads,
    private readonly options: ExtractOptions = {},
  ) {}

  async collect(tab: Page | null, context: ProductContext): Promise<ProductOutput> {
    const outcome = await this.threads.run({
      name: this.extractorName,
      input: {
        html: capUtf8(context.html, this.options.maxHtmlBytes ?? EXTRACT_MAX_HTML_BYTES),
        url: context.url,
        finalUrl: context.finalUrl,
        status: context.status,
        headers: context.headers,
      },
      maxBytes: this.options.maxBytes ?? MAX_EXTRACT_BYTES,
      tab,
      timeoutMs: this.options.timeoutMs ?? PRODUCT_TIMEOUT_MS,
      signal: this.abort.signal,
    });
    if ('error' in outcome) return { error: outcome.error.message };
    return { fields: { data: outcome.data } };
  }

  /** The renderer's product budget ran out: the extractor's thread is terminated now. */
  cancel(): void {
    this.abort.abort();
  }
}

