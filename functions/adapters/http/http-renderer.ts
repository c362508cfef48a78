// `render: "http"`: a page fetched and parsed without a browser. The same port as the browser's
// renderer (core/render-ports.ts), so the journey (claim, robots, the host's slot, store, admit,
// settle) is the one crawl-page.ts runs for either. The host's slot is taken right before the
// request (`beforeNavigation`), as the browser takes it before its navigation; links are resolved
// as a browser resolves them (base URL applied) and normalised later by the same code; the page
// products get the document and, for the archive, the HTTP exchanges instead of a tab.
import type { FetchedRender, HttpRendering, Logger, PageFacts, RenderedPage, RenderOptions } from '../../core/ports.js';
import { looksLikeAppShell } from '../../core/render-choice.js';
import { RenderError } from '../browser/errors.js';
import { MAX_HTML_BYTES, PRODUCT_TIMEOUT_MS } from '../browser/page-read.js';
import type { RequestGuard } from '../browser/request-guard.js';
import { collectProducts, productsFor } from '../products/collect-products.js';
import { isHtmlDocument } from '../products/content-cap.js';
import type { ProductRegistry } from '../products/page-product.js';
import { countUsage } from '../usage/usage-meter.js';
import { decodeHtml, parseHtmlPage } from './html-page.js';
import { fetchPage, type FetchedPage } from './page-fetch.js';
import { parseProxyUrl, pickUpstream, type UpstreamProxy } from '../../core/upstream-proxy.js';
import { responseHeadersOf } from '../../core/pushback.js';

/** Redirect hops followed, as Chromium's limit (20). */
const MAX_REDIRECTS = 20;

export interface HttpRendererOptions {
  guard?: RequestGuard;
  userAgent: string;
  log: Logger;
  products?: ProductRegistry;
  productTimeoutMs?: number;
  /** body bytes read (default: the browser's DOM cap, 10 MiB) */
  maxBytes?: number;
  /** the stack's upstream proxies, as the browser's (a crawl's own `proxy` comes with its page) */
  upstreams?: () => Promise<readonly UpstreamProxy[]>;
  /** for tests: replaces the pinned fetch */
  fetch?: typeof fetch;
}

export class HttpPageRenderer implements HttpRendering {
  constructor(private readonly options: HttpRendererOptions) {}

  async render(url: string, options: RenderOptions): Promise<RenderedPage> {
    // An unknown product fails the page before its host is asked anything, as in the browser.
    this.productsOf(options);
    return (await this.fetch(url, options)).withProducts(options);
  }

  /**
   * The upstream proxy of the page, as the browser's egress proxy picks it: the crawl's own, else
   * the stack's for its host; a list that cannot be read fails the page (never straight out instead).
   */
  private async upstreamOf(url: string, options: RenderOptions): Promise<UpstreamProxy | undefined> {
    if (options.proxy !== undefined) {
      const parsed = parseProxyUrl(options.proxy);
      if (!parsed.ok) throw new RenderError('network', `the crawl's proxy ${parsed.reason}`, false);
      return parsed.proxy;
    }
    if (!this.options.upstreams) return undefined;
    const proxies = await this.options.upstreams().catch((error: Error) => {
      throw new RenderError('network', `the stack's upstream proxies could not be read: ${error.message}`, true);
    });
    return pickUpstream({ key: options.jobId ?? '', proxies }, new URL(url).hostname);
  }

  /** The page fetched and parsed, its products not made yet (render-auto.ts may not keep it). */
  async fetch(url: string, options: RenderOptions): Promise<FetchedRender> {
    const started = Date.now();
    await options.beforeNavigation?.();
    // a request of the page to its host, as a browser's navigation (no tab: tabsOpened stays as it is)
    countUsage({ navigations: 1 });
    const upstream = await this.upstreamOf(url, options);
    const fetched = await fetchPage(url, {
      ...(upstream ? { upstream } : {}),
      userAgent: this.options.userAgent,
      maxBytes: this.options.maxBytes ?? MAX_HTML_BYTES,
      maxRedirects: MAX_REDIRECTS,
      timeoutMs: options.navigationTimeoutMs,
      ...(this.options.guard ? { guard: this.options.guard } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
    });
    const fetchedAt = Date.now();
    if (fetched.truncated) this.options.log.warn('page body truncated', { url, maxBytes: this.options.maxBytes ?? MAX_HTML_BYTES });
    const html = htmlOf(fetched);
    const parsed = html ? parseHtmlPage(html, fetched.finalUrl) : undefined;
    const read = Date.now();
    const page: RenderedPage = {
      requestedUrl: url,
      finalUrl: fetched.finalUrl,
      documentUrl: fetched.finalUrl,
      status: fetched.status,
      // what the pushback judgement reads (core/pushback.ts) and a later `since` crawl asks with (core/changes.ts)
      ...responseFieldsOf(fetched.headers),
      contentType: fetched.contentType,
      title: parsed?.title ?? '',
      html,
      links: parsed?.links ?? [],
      ...(parsed?.linksOmitted ? { linksOmitted: parsed.linksOmitted } : {}),
      redirectChain: fetched.redirectChain,
      timings: { navigationMs: fetchedAt - started, settleMs: 0, extractMs: read - fetchedAt, totalMs: read - started },
      renderer: 'http',
    };
    return {
      page,
      facts: parsed ? { links: parsed.links, text: parsed.text, appShell: looksLikeAppShell(parsed.shell) } : null,
      withProducts: async (renderOptions) => {
        const made = await collectProducts(
          null,
          this.productsOf(renderOptions),
          { url, status: fetched.status, contentType: fetched.contentType, headers: fetched.headers, html, finalUrl: fetched.finalUrl, exchanges: fetched.exchanges },
          this.options.productTimeoutMs ?? PRODUCT_TIMEOUT_MS,
          this.options.log,
        );
        return made ? { ...page, products: made, timings: { ...page.timings, totalMs: Date.now() - started } } : page;
      },
    };
  }

  factsOf(page: RenderedPage): PageFacts {
    const parsed = page.html ? parseHtmlPage(page.html, page.finalUrl) : undefined;
    return { links: page.links, text: parsed?.text ?? '', appShell: false };
  }

  async close(): Promise<void> {}

  private productsOf(options: RenderOptions) {
    return productsFor(this.options.products, options, (name) => new RenderError('browser', `no page product named "${name}"`, false));
  }
}

/** The document's HTML as delivered; empty for other types (a PDF, an image), as the browser gives. */
function htmlOf(fetched: FetchedPage): string {
  const type = fetched.contentType;
  // no declared type: HTML if it looks like it, as a browser sniffs
  const sniffedHtml = type === null && /^\s*(<!doctype html|<html|<head|<body)/i.test(Buffer.from(fetched.body.subarray(0, 512)).toString('latin1'));
  if (!sniffedHtml && !isHtmlDocument(type, 'x')) return '';
  if (type === null && !sniffedHtml) return '';
  return decodeHtml(fetched.body, type);
}

/** The allow-listed response headers (core/pushback.ts) and the validators of the final answer, as the browser's renderer keeps them. */
function responseFieldsOf(headers: Record<string, string>): Pick<RenderedPage, 'responseHeaders' | 'etag' | 'lastModified'> {
  const kept = responseHeadersOf(headers);
  return {
    ...(kept ? { responseHeaders: kept } : {}),
    ...(headers.etag ? { etag: headers.etag } : {}),
    ...(headers['last-modified'] ? { lastModified: headers['last-modified'] } : {}),
  };
}
