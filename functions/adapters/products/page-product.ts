// What a page yields beyond its DOM, title and links (Markdown, text, a screenshot, an archive of
// its exchanges, an extractor's JSON) is a page product chosen per job. Each product is its own
// module behind this interface; the renderer calls the hooks on the live tab and never knows which
// products exist, so a new product is one new file plus a registration (./registry.ts).
import type { Page } from 'puppeteer-core';
import type { ProductOutput, ProductRequest } from '../../core/ports.js';
import type { DocumentReading } from '../documents/document-reader.js';
import type { Exchange } from './archive/exchange-recorder.js';

export interface ProductContext {
  /** the URL asked for (normalised) */
  url: string;
  /** the main document's HTTP status and content type */
  status: number | null;
  contentType: string | null;
  /** response headers of the main document, lower-case names */
  headers: Record<string, string>;
  /** the serialised DOM the renderer read (empty for non-HTML documents) */
  html: string;
  /** the URL the tab shows after it settled */
  finalUrl: string;
  /** a PDF or DOCX read from its bytes (adapters/documents): its text and Markdown, or why there are none */
  document?: DocumentReading;
  /**
   * the page's HTTP exchanges when it was fetched without a browser (`render: "http"`): there is no
   * tab then, and these are everything that was requested
   */
  exchanges?: Exchange[];
}

export interface PageProduct {
  readonly name: string;
  /** before navigation, on the fresh tab (a recorder attaches here); must not navigate */
  beforeNavigate?(tab: Page, url: string): Promise<void>;
  /**
   * After the page settled and was read, before the tab closes. Problems of the page's content are
   * answered as `error`/`skipped`, not thrown; a throw counts as the product's error for that page.
   * `tab` is null for a page fetched without a browser: the product works from `context` alone.
   */
  collect(tab: Page | null, context: ProductContext): Promise<ProductOutput>;
  /** the product's time budget ran out: stop what collect started (an extractor's thread) */
  cancel?(): void;
}

/** Makes the product a job asked for; undefined for an unknown name (validated earlier, at submit). */
export type ProductRegistry = (request: ProductRequest) => PageProduct | undefined;
