// The one place page products are registered: the formats a crawl may ask for, the extractors it
// may name, and the registry the renderer uses to make a fresh product for each page.
import { extractors as shippedExtractors, type Extractor } from '../../../extractors/index.js';
import type { Logger, ProductRequest } from '../../core/ports.js';
import type { ArchiveByteBudget } from '../archive/archive-byte-budget.js';
import type { PayloadDigests } from '../archive/payload-digests.js';
import { ArchiveProduct } from './archive.js';
import { ExtractProduct } from './extract.js';
import { ExtractorThreads } from './extractor-threads.js';
import { MarkdownProduct } from './markdown.js';
import type { PageProduct, ProductRegistry } from './page-product.js';
import { ScreenshotProduct } from './screenshot.js';
import { TextProduct } from './text.js';

/** Values of the crawl option `formats` (the contract's, in core). `html` is the page record, not a product. */
export { FORMATS as FORMAT_NAMES, DEFAULT_FORMATS, type Format as FormatName } from '../../core/messages.js';

/** Values of the crawl option `extract`: one per module listed in extractors/index.ts. */
export const EXTRACTOR_NAMES: readonly string[] = Object.keys(shippedExtractors).sort();

export interface ProductRegistryOptions {
  /** the job-wide payload memory the archive product needs; without it `archive` is not available */
  archiveDigests?: PayloadDigests;
  /** the job-wide archive byte cap; none: only the per-page cap */
  archiveBudget?: ArchiveByteBudget;
  /** payload bytes one page's archive keeps (default: the product's) */
  archiveMaxPageBytes?: number;
  log?: Logger;
  /** the extractors jobs may name; default: the shipped ones (extractors/index.ts) */
  extractors?: Readonly<Record<string, Extractor>>;
  /**
   * the worker threads the extractors run in (default: one set per process, over the shipped
   * extractors); extractors named beyond the shipped ones must be in its modules
   */
  extractorThreads?: ExtractorThreads;
  /** the DOM an extractor gets, in bytes (the stack's extractMaxHtmlKb) */
  extractMaxHtmlBytes?: number;
}

let sharedThreads: ExtractorThreads | undefined;

/** What the renderer must make of each page for a job (pure: it lives in core). */
export { productRequestsOf as productRequests } from '../../core/job.js';

/** Makes a fresh product per page (products may hold per-page state, the archive's recorder does). */
export function createProductRegistry(options: ProductRegistryOptions = {}): ProductRegistry {
  const extractors = options.extractors ?? shippedExtractors;
  const threads = () => options.extractorThreads ?? (sharedThreads ??= new ExtractorThreads(options.log ? { log: options.log } : {}));
  return (request: ProductRequest): PageProduct | undefined => {
    switch (request.name) {
      case 'markdown':
        return new MarkdownProduct();
      case 'text':
        return new TextProduct();
      case 'screenshot':
        return new ScreenshotProduct();
      case 'extract': {
        const extractor = request.option !== undefined && Object.hasOwn(extractors, request.option) ? extractors[request.option] : undefined;
        return extractor && request.option
          ? new ExtractProduct(request.option, threads(), options.extractMaxHtmlBytes ? { maxHtmlBytes: options.extractMaxHtmlBytes } : {})
          : undefined;
      }
      case 'archive':
        return options.archiveDigests && request.option
          ? new ArchiveProduct({
              jobId: request.option,
              digests: options.archiveDigests,
              ...(options.archiveBudget ? { budget: options.archiveBudget } : {}),
              ...(options.archiveMaxPageBytes ? { maxPageBytes: options.archiveMaxPageBytes } : {}),
              ...(options.log ? { log: options.log } : {}),
            })
          : undefined;
      default:
        return undefined;
    }
  };
}
