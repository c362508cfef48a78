// Reading the settled page: its links as the browser resolved them, its title and its serialised
// DOM in one in-page call (read again when the page navigates meanwhile), then the page products
// the job asked for, each on the live tab, bounded, its failure its own.
import type { Page } from 'puppeteer-core';
import { MAX_LINKS_READ } from '../../core/limits.js';
import type { Logger, ProductOutput, RenderOptions } from '../../core/ports.js';
import type { PageProduct, ProductContext, ProductRegistry } from '../products/page-product.js';
import { collectProducts, productsFor } from '../products/collect-products.js';
import { RenderError } from './errors.js';
import { settle } from './page-settle.js';

export const MAX_HTML_BYTES = 10 * 1024 * 1024;
/** A page that navigates itself while we read it is read again, this many times at most. */
const EXTRACT_ATTEMPTS = 3;

/** A product's collect may take this long on one page (an extractor, a full-page screenshot). */
export const PRODUCT_TIMEOUT_MS = 10_000;

/** The renderer's options the read uses (RendererOptions, renderer.ts). */
export interface ReadOptions {
  maxHtmlBytes?: number;
  products?: ProductRegistry;
  productTimeoutMs?: number;
  /** distinct links handed over per page (default MAX_LINKS_READ); the rest only counted */
  maxLinks?: number;
}

interface Extracted {
  title: string;
  links: string[];
  /** distinct links beyond `links`, counted in the page, never sent */
  linksOmitted: number;
  html: string;
}

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function capUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const cut = Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8');
  return cut.endsWith('\uFFFD') ? cut.slice(0, -1) : cut;
}

/** Reads settled pages, and makes the products a job asks for of them. */
export class PageReader {
  constructor(
    private readonly options: ReadOptions,
    private readonly log: Logger,
  ) {}

  /** Title, links and the DOM cut to maxHtmlBytes. */
  async read(page: Page, url: string, options: RenderOptions): Promise<Extracted> {
    const maxBytes = this.options.maxHtmlBytes ?? MAX_HTML_BYTES;
    const extracted = await this.extract(page, options);
    const html = capUtf8(extracted.html, maxBytes);
    if (html.length < extracted.html.length) this.log.warn('serialised DOM truncated', { url, maxBytes });
    return { ...extracted, html };
  }

  /** The products a job asks for, fresh for this page; none without a registry or a request. */
  productsFor(options: RenderOptions): PageProduct[] {
    return productsFor(this.options.products, options, (name) => new RenderError('browser', `no page product named "${name}"`, false));
  }

  /** Each product on the settled tab, one at a time, bounded; a product's failure is its own, not the page's. */
  collectProducts(tab: Page, products: PageProduct[], context: ProductContext): Promise<Record<string, ProductOutput> | undefined> {
    return collectProducts(tab, products, context, this.options.productTimeoutMs ?? PRODUCT_TIMEOUT_MS, this.log);
  }

  /** Links as the browser resolved them (base URL applied), title and DOM, in one call. */
  private async extract(page: Page, options: RenderOptions): Promise<Extracted> {
    const maxChars = this.options.maxHtmlBytes ?? MAX_HTML_BYTES;
    for (let attempt = 1; ; attempt++) {
      try {
        // Deduped and cut in the page: a page of 300,000 anchors sends at most maxLinks strings
        // across the DevTools connection into Node; the rest are only counted there.
        return await page.evaluate(
          (max: number, maxLinks: number) => {
            const seen = new Set<string>();
            const links: string[] = [];
            const nodes = document.querySelectorAll('a[href], area[href]');
            for (let i = 0; i < nodes.length; i++) {
              const node = nodes[i] as Element & { href?: unknown };
              let href = node.href;
              // SVG <a href> resolves through an SVGAnimatedString
              if (href && typeof href === 'object' && 'baseVal' in href) {
                try {
                  href = new URL(String((href as SVGAnimatedString).baseVal), document.baseURI).href;
                } catch {
                  href = '';
                }
              }
              if (typeof href === 'string' && href !== '' && !seen.has(href)) {
                seen.add(href);
                if (links.length < maxLinks) links.push(href);
              }
            }
            const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
            const root = document.documentElement ? document.documentElement.outerHTML : '';
            const html = doctype + root;
            return { title: document.title, links, linksOmitted: seen.size - links.length, html: html.length > max ? html.slice(0, max) : html };
          },
          maxChars,
          this.options.maxLinks ?? MAX_LINKS_READ,
        );
      } catch (error) {
        const message = (error as Error).message;
        // The page navigated while we read it: read the new document once it has settled.
        if (attempt >= EXTRACT_ATTEMPTS || !/Execution context was destroyed|Cannot find context|context was detached|frame was detached/i.test(message)) {
          throw error;
        }
        await settle(page, options);
      }
    }
  }
}
