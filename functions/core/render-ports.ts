// The renderer's ports: what the browser is asked to do with a URL, what it saw there, and what the
// page products (markdown, screenshot, archive, an extractor) made of it. One family, kept apart
// from the stores' ports; ports.ts re-exports them all, and like it this file imports no SDK.

import type { PageAction } from './page-actions.js';
import type { SeedCredentials } from './seed-credentials.js';
import type { ConsentMode, Renderer } from './vocabulary.js';

export type { ConsentMode } from './vocabulary.js';

/** What the browser saw when it loaded a URL. */
export interface RenderedPage {
  requestedUrl: string;
  /** page.url() after redirects and client-side navigations settled (history.pushState/replaceState included) */
  finalUrl: string;
  /**
   * URL of the response whose document is shown: where HTTP redirects (and a navigation the page
   * made itself to another document) ended. Unlike finalUrl, never changed by the History API, so
   * only it may alias another URL. Absent in records stored before it existed.
   */
  documentUrl?: string;
  /** HTTP status of the main document response; null if no response was seen */
  status: number | null;
  /**
   * the main document response's headers of a fixed lowercase allow-list (core/block-signals.ts
   * RESPONSE_HEADER_ALLOW_LIST, filled by core/pushback.ts responseHeadersOf): what tells a
   * throttle's Retry-After or a challenge (core/pushback.ts); absent when none was sent
   */
  responseHeaders?: Record<string, string>;
  contentType: string | null;
  title: string;
  /** serialised DOM after settling (empty for non-HTML documents) */
  html: string;
  /** absolute hrefs as the browser resolved them (document base URL applied), not yet normalised */
  links: string[];
  /**
   * distinct links the page had beyond the ones in `links`: the browser hands over at most
   * MAX_LINKS_READ (core/limits.ts) and only counts the rest (absent: none)
   */
  linksOmitted?: number;
  /** URLs of the redirect hops before finalUrl, in order */
  redirectChain: string[];
  timings: { navigationMs: number; settleMs: number; extractMs: number; totalMs: number };
  /** what each asked product made of the page, by product name */
  products?: Record<string, ProductOutput>;
  /** what the job's actions could not do on this page (a selector not found, a step that navigated away), in order */
  actionNotes?: string[];
  /** what made the page: Chromium or a plain HTTP fetch (absent in records stored before `render`: the browser) */
  renderer?: Renderer;
  /** under `render: "auto"`, why that renderer (core/render-choice.ts RenderReason) */
  renderReason?: string;
  /** the main document's ETag and Last-Modified response headers, when it sent them (a later `since` crawl asks with them) */
  etag?: string;
  lastModified?: string;
  /** SHA-256 of the page's whitespace-normalised main text (core/changes.ts says what is hashed); absent for non-HTML documents */
  contentHash?: string;
  /**
   * a document read from its bytes instead of a DOM (PDF, DOCX): its kind and size, its page count,
   * and, when it has no text, why (`skipped`: too big or no body; `error`: not readable)
   */
  document?: { kind: 'pdf' | 'docx'; bytes: number; pages?: number; truncated?: true; skipped?: string; error?: string };
  /** what was done with a consent banner before the page was read (absent: `consent: "leave"`, or a page not read as HTML) */
  consent?: ConsentOutcome;
}

/**
 * A consent banner's fate on one page. `result`: `rejected`/`accepted` (its manager's button was
 * pressed), `hidden` (a manager known only by its look: its banner hidden, nothing pressed),
 * `none` (no banner of a known manager), `failed` (one was found but its rule did not work),
 * `timeout` (not answered within the renderer's bound).
 */
export interface ConsentOutcome {
  action: 'reject' | 'accept';
  result: 'rejected' | 'accepted' | 'hidden' | 'none' | 'failed' | 'timeout';
  /** the consent manager's name in autoconsent's rules (e.g. "cookie-script", "onetrust") */
  cmp?: string;
  /** labels of the buttons pressed, in order (their text, else their id) */
  clicked?: string[];
}

export interface RenderOptions {
  navigationTimeoutMs: number;
  /** network considered settled after this long without requests */
  settleIdleMs: number;
  /** upper bound on the settle wait after the load event */
  settleMaxMs: number;
  /** subresource types (puppeteer's resourceType) not to load */
  block?: readonly string[];
  /** page products (markdown, screenshot, archive…) this job wants of the page, in order */
  products?: readonly ProductRequest[];
  /**
   * Awaited when the tab is ready, right before the navigation: the host-rate gate's slot, taken
   * as late as possible so a slow tab or browser start does not bunch navigations together. May
   * throw HostSlotDeferredError (core/host-rate.ts), which render() passes on unchanged.
   */
  beforeNavigation?: () => Promise<void>;
  /** scroll to the bottom, bounded, so lazy content loads (default true) */
  autoscroll?: boolean;
  /** consent banners: rejected (default), accepted, or left as shown */
  consent?: ConsentMode;
  /** steps run after the page settled, in order, before it is read */
  actions?: readonly PageAction[];
  /** headers and cookies for requests to these origins (scheme://host:port) only */
  credentials?: SeedCredentials & { origins: readonly string[] };
  /**
   * the crawl's own upstream proxy (`http://user:pass@host:port`), instead of the stack's: a secret,
   * never logged nor written to results (its masked form names it in errors)
   */
  proxy?: string;
  /**
   * the job the page belongs to: pages of different jobs never share cookies, storage or cache
   * (pages without one count as one job of their own)
   */
  jobId?: string;
}

/** A page product asked of the renderer: its name and, for some, one option (the extractor's name). */
export interface ProductRequest {
  name: string;
  option?: string;
}

/** A file a product made for a page; stored beside the page record (jobs/{jobId}/…). */
export interface ProductFile {
  /** what the file is, e.g. "screenshot"; part of its S3 key */
  name: string;
  extension: string;
  contentType: string;
  body: Uint8Array | string;
}

export interface ProductOutput {
  /** JSON-safe fields for the page record and its pages.jsonl line (e.g. {markdown: "…"}) */
  fields?: Record<string, unknown>;
  files?: ProductFile[];
  /** why this product has nothing for the page (e.g. "no screenshot of a PDF"); not a page error */
  skipped?: string;
  /** the product failed on this page (an extractor threw); the page itself is fine */
  error?: string;
}

export interface PageRenderer {
  /** throws RenderError for navigation failures (timeout, DNS, refused, crash) */
  render(url: string, options: RenderOptions): Promise<RenderedPage>;
  close(): Promise<void>;
}

/** What a conditional request (If-None-Match / If-Modified-Since) is asked with: a page's stored validators. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

/**
 * The answer to a conditional GET: `status` 304 means the document did not change; null means no
 * answer (network, the egress guard), with why in `error`. `validators`: what the answer sent anew.
 */
export interface ConditionalAnswer {
  status: number | null;
  validators?: Validators;
  error?: string;
}

/** Asks a URL's host whether the document changed since `validators`, through the egress guard; reads no body. */
export interface ConditionalFetcher {
  fetch(url: string, validators: Validators): Promise<ConditionalAnswer>;
}

/** What `render: "auto"` judges a page by (core/render-choice.ts). */
export interface PageFacts {
  /** links as found (not yet normalised) */
  links: string[];
  /** the page's visible text */
  text: string;
  /** the HTML is an app shell: its content comes only from scripts */
  appShell: boolean;
}

/** A page fetched without a browser, before its products are made. */
export interface FetchedRender {
  page: RenderedPage;
  /** null for a document that is not HTML */
  facts: PageFacts | null;
  /** makes the job's products of this fetch (no second request) and gives the page with them */
  withProducts(options: RenderOptions): Promise<RenderedPage>;
}

/** The renderer without a browser, as `auto` uses it: fetch first, products only for a page it keeps. */
export interface HttpRendering extends PageRenderer {
  fetch(url: string, options: RenderOptions): Promise<FetchedRender>;
  /** the facts of a page another renderer made (the browser's), read the same way as a fetch's */
  factsOf(page: RenderedPage): PageFacts;
}

/** Where a job's learning of page types is kept (the job item), shared by its environments. */
export interface RenderLearning {
  /** one more comparison of a page of `type`: counted atomically; the verdict follows (core/render-choice.ts) */
  record(jobId: string, type: string, same: boolean): Promise<void>;
}
