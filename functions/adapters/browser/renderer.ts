// Renders one URL in a new tab of the shared browser: navigate (bounded), let the network settle
// (bounded) so script- and fetch()-inserted links exist, then read links, title and DOM in one
// in-page call. The tab (and its context) is always closed; a hung or crashed browser is replaced.
//
// One render goes through these phases, each in its own file:
//   tab-lifecycle.ts    lease the browser, open the tab (isolated from other pages), close it;
//                       whether a failure condemns the browser
//   page-navigation.ts  the request guard, the navigation, and what its failures are
//   page-settle.ts      the network settles; auto-scroll and the job's actions run
//   page-read.ts        links, title and DOM; the page products
// This file runs them in order, under a watchdog, and puts the rendered page together.
import type { HTTPResponse } from 'puppeteer-core';
import type { Logger, PageRenderer, RenderedPage, RenderOptions } from '../../core/ports.js';
import type { ProductRegistry } from '../products/page-product.js';
import { TurnWaitTimeoutError } from '../../core/job-turns.js';
import { closeBrowser, consoleLogger, takeBrowserTurn } from './chromium.js';
import type { HostCheck } from './egress-policy.js';
import { RenderError } from './errors.js';
import { HostSlotDeferredError } from '../../core/host-rate.js';
import { responseHeadersOf } from '../../core/pushback.js';
import type { RequestGuard } from './request-guard.js';
import { ConsentWatch } from './consent.js';
import { documentBody } from './document-body.js';
import { documentKindOf, readDocument, type DocumentReading } from '../documents/document-reader.js';
import { behavioursBudgetMs, prepareBehaviours } from './page-behaviours.js';
import { classify, guardRequests, navigate } from './page-navigation.js';
import { PageReader, PRODUCT_TIMEOUT_MS } from './page-read.js';
import { settlePage } from './page-settle.js';
import { BrowserTab, discardIfCondemned, type Attempt } from './tab-lifecycle.js';
import { parseProxyUrl, pickUpstream, type UpstreamProxy, type UpstreamRoute } from '../../core/upstream-proxy.js';

export { capUtf8, MAX_HTML_BYTES, PRODUCT_TIMEOUT_MS } from './page-read.js';

/** Beyond navigation and settle, what extraction and teardown may take before we call the page hung. */
const WATCHDOG_SLACK_MS = 15_000;

/**
 * How long a page waits while another job's pages have the Lambda-mode browser (chromium.ts,
 * takeBrowserTurn) before it gives up and goes back to the queue as the stack's failure (no
 * attempt used). Pages usually take seconds, so a batch's other jobs mostly just wait; the bound
 * keeps the wait plus the page's own budget (navigation 30 s + settle + slack by default) inside
 * the crawler function's 90 s timeout, and well inside the claim's lease.
 */
export const OTHER_JOB_WAIT_MS = 20_000;

export interface RendererOptions {
  /** a system Chrome/Chromium; default: @sparticuz/chromium */
  chromePath?: string;
  chromiumBinDir?: string;
  extraArgs?: string[];
  log?: Logger;
  /** checks every request of the page (navigation, redirects, subresources); none = allow all */
  guard?: RequestGuard;
  /** hosts the browser's egress proxy lets it connect to; default: the guard's, or any host */
  hosts?: HostCheck;
  /** beyond navigation and settle, how long extraction may take before the page counts as hung */
  watchdogSlackMs?: number;
  /** pages a browser serves before it is replaced (bounds its memory) */
  recycleAfterPages?: number;
  /** the serialised DOM is cut to this many UTF-8 bytes (default 10 MiB) */
  maxHtmlBytes?: number;
  /** makes the page products a job asks for (RenderOptions.products); none = only DOM, title, links */
  products?: ProductRegistry;
  /** how long one product may take on one page before it is that page's product error */
  productTimeoutMs?: number;
  /** the User-Agent every tab sends (and shows as navigator.userAgent); none: Chromium's own */
  userAgent?: string;
  /** how long a page may wait while another job's pages have the browser (default OTHER_JOB_WAIT_MS) */
  otherJobWaitMs?: number;
  /** the stack's upstream proxies (adapters/upstream-proxies.ts); absent or empty: pages go straight to their sites */
  upstreams?: () => Promise<readonly UpstreamProxy[]>;
}

/** The main document's validators (lower-case header names, as puppeteer gives them), for a later `since` crawl. */
function validatorsOf(headers: Record<string, string>): { etag?: string; lastModified?: string } {
  return { ...(headers.etag ? { etag: headers.etag } : {}), ...(headers['last-modified'] ? { lastModified: headers['last-modified'] } : {}) };
}

export class PuppeteerRenderer implements PageRenderer {
  private readonly log: Logger;
  private readonly reader: PageReader;

  constructor(private readonly options: RendererOptions = {}) {
    this.log = options.log ?? consoleLogger;
    this.reader = new PageReader(options, this.log);
  }

  async render(url: string, options: RenderOptions): Promise<RenderedPage> {
    // Pages of one job only in a browser whose pages share cookies and storage; the wait for the
    // turn is not the page's time, so it comes before the watchdog starts.
    const turn = await takeBrowserTurn({ ...this.options, log: this.log }, options.jobId ?? '', this.options.otherJobWaitMs ?? OTHER_JOB_WAIT_MS).catch(
      (error: unknown) => {
        if (error instanceof TurnWaitTimeoutError) throw new RenderError('browser', `${error.message}; the page waits in the queue`, true, 'stack');
        throw new RenderError('browser', `browser could not be made ready: ${(error as Error).message}`, true, 'stack');
      },
    );
    const attempt: Attempt = { phase: 'launch', crashed: false, hung: false };
    const productsMs = (options.products?.length ?? 0) * (this.options.productTimeoutMs ?? PRODUCT_TIMEOUT_MS);
    const watchdogMs =
      options.navigationTimeoutMs + options.settleMaxMs + behavioursBudgetMs(options) + productsMs + (this.options.watchdogSlackMs ?? WATCHDOG_SLACK_MS);
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        attempt.hung = true;
        reject(new RenderError('browser', `page did not finish within ${watchdogMs} ms (${attempt.phase}); browser replaced`, true));
      }, watchdogMs);
    });
    // The turn ends when the tab is closed, even after the watchdog gave up on it: a render left
    // behind must not open its tab beside another job's pages.
    const inTab = this.renderInTab(url, options, attempt);
    inTab.then(turn.release, turn.release);
    try {
      return await Promise.race([inTab, watchdog]);
    } catch (error) {
      // Not a failure: the page was never requested, the tab is closed, the browser is fine.
      if (error instanceof HostSlotDeferredError) throw error;
      const failure = error instanceof RenderError ? error : classify(error as Error, url, []);
      await discardIfCondemned(attempt, failure, url, this.log);
      // Before the tab was ready the page had no part in it (the browser did not start, or could
      // not open a tab): the stack's failure, which costs the page no attempt (core/errors.ts).
      // A crash or a hang once the page is loading may be the page's doing (a poison page): it counts.
      if (failure.kind === 'browser' && (attempt.phase === 'launch' || attempt.phase === 'open') && !attempt.hung) {
        throw new RenderError(failure.kind, failure.message, failure.retryable, 'stack');
      }
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  private async renderInTab(url: string, options: RenderOptions, attempt: Attempt): Promise<RenderedPage> {
    const started = Date.now();
    const route = await this.routeOf(options);
    const tab = new BrowserTab({ ...this.options, job: options.jobId ?? '', ...(route ? { route } : {}) }, this.log);
    try {
      let consent: ConsentWatch | undefined;
      const { page, egress } = await tab.open(url, attempt, async (fresh) => {
        await prepareBehaviours(fresh, options);
        consent = await ConsentWatch.prepare(fresh, options.consent, url);
      });
      const blocked = await guardRequests(page, this.options.guard, options, this.log);
      const products = this.reader.productsFor(options);
      for (const product of products) await product.beforeNavigate?.(page, url);

      const { main, navigatedAt, timedOut, showsHtml, shown } = await navigate(page, url, options, attempt, blocked, egress);
      const navigationMs = navigatedAt - started;
      // A download or another type than HTML: no DOM to settle or read; a document (PDF, DOCX) is
      // read from its bytes instead, in the time the settle and behaviours of a page would take
      // (document-reader.ts bounds it below that); the products still run.
      if (!showsHtml) {
        const contentType = main.headers()['content-type'] ?? null;
        attempt.phase = 'extract';
        const document = await this.readDocument(main, contentType, route);
        const made = await this.reader.collectProducts(page, products, {
          url,
          status: main.status(),
          contentType,
          headers: main.headers(),
          html: '',
          finalUrl: main.url(),
          ...(document ? { document } : {}),
        });
        const read = document && 'document' in document ? document.document : undefined;
        return {
          requestedUrl: url,
          finalUrl: main.url(),
          documentUrl: main.url(),
          ...validatorsOf(main.headers()),
          status: main.status(),
          ...withResponseHeaders(main.headers()),
          contentType,
          title: read?.title ?? '',
          html: '',
          links: read?.links ?? [],
          ...(document ? { document: documentNote(document) } : {}),
          redirectChain: main.request().redirectChain().map((r) => r.url()),
          timings: { navigationMs, settleMs: 0, extractMs: 0, totalMs: Date.now() - started },
          ...(made ? { products: made } : {}),
        };
      }

      attempt.phase = 'settle';
      const behaviours = await settlePage(page, options, timedOut, consent);
      const settled = Date.now();

      attempt.phase = 'extract';
      const extracted = await this.reader.read(page, url, options);
      // Read after the page settled and was read: it may have navigated itself meanwhile.
      const shownDocument = shown();
      const read = Date.now();
      const made = await this.reader.collectProducts(page, products, {
        url,
        status: shownDocument.status(),
        contentType: shownDocument.headers()['content-type'] ?? null,
        headers: shownDocument.headers(),
        html: extracted.html,
        finalUrl: page.url(),
      });
      const done = Date.now();
      return {
        requestedUrl: url,
        finalUrl: page.url(),
        documentUrl: shownDocument.url(),
        status: shownDocument.status(),
        ...withResponseHeaders(shownDocument.headers()),
        contentType: shownDocument.headers()['content-type'] ?? null,
        title: extracted.title,
        html: extracted.html,
        links: extracted.links,
        ...(extracted.linksOmitted ? { linksOmitted: extracted.linksOmitted } : {}),
        redirectChain: shownDocument.request().redirectChain().map((r) => r.url()),
        ...validatorsOf(shownDocument.headers()),
        timings: { navigationMs, settleMs: settled - navigatedAt, extractMs: read - settled, totalMs: done - started },
        ...(made ? { products: made } : {}),
        ...(behaviours.notes.length > 0 ? { actionNotes: behaviours.notes } : {}),
        ...(behaviours.consent ? { consent: behaviours.consent } : {}),
      };
    } catch (error) {
      if (error instanceof RenderError || error instanceof HostSlotDeferredError) throw error;
      throw classify(error as Error, url, []);
    } finally {
      await tab.close(url);
    }
  }

  /**
   * The upstream proxies of the page's job: its own `proxy`, else the stack's list, else none. A
   * list that cannot be read fails the page, named for the list: it never goes out directly instead.
   */
  private async routeOf(options: RenderOptions): Promise<UpstreamRoute | undefined> {
    const key = options.jobId ?? '';
    if (options.proxy !== undefined) {
      const parsed = parseProxyUrl(options.proxy);
      if (!parsed.ok) throw new RenderError('network', `the crawl's proxy ${parsed.reason}`, false);
      return { key, proxies: [parsed.proxy] };
    }
    if (!this.options.upstreams) return undefined;
    const proxies = await this.options.upstreams().catch((error: Error) => {
      throw new RenderError('network', `the stack's upstream proxies could not be read: ${error.message}`, true);
    });
    return proxies.length > 0 ? { key, proxies } : undefined;
  }

  /** A PDF or DOCX main response as text (undefined for any other type); its failure is the document's, not the page's. */
  private async readDocument(main: HTTPResponse, contentType: string | null, route: UpstreamRoute | undefined): Promise<DocumentReading | undefined> {
    if (!documentKindOf(contentType, main.url())) return undefined;
    // A body fetched again goes out the way the page did: through the job's upstream proxy, if any.
    const upstream = route && pickUpstream(route, new URL(main.url()).hostname);
    const body = await documentBody(main, { ...this.options, ...(upstream ? { upstreams: async () => [upstream] } : {}) });
    return readDocument({ bytes: body.bytes, contentType, url: main.url(), ...(body.why ? { why: body.why } : {}) });
  }

  async close(): Promise<void> {
    await closeBrowser();
  }
}

/** The allow-listed response headers the pushback judgement reads (core/pushback.ts), when any. */
function withResponseHeaders(headers: Record<string, string>): { responseHeaders?: Record<string, string> } {
  const kept = responseHeadersOf(headers);
  return kept ? { responseHeaders: kept } : {};
}

/** The page record's note of its document: what it was, and why it has no text if it has none. */
function documentNote(reading: DocumentReading): NonNullable<RenderedPage['document']> {
  if ('document' in reading) {
    const read = reading.document;
    return { kind: reading.kind, bytes: reading.bytes, ...(read.pages !== undefined ? { pages: read.pages } : {}), ...(read.truncated ? { truncated: true } : {}) };
  }
  return { kind: reading.kind, bytes: reading.bytes, ...('skipped' in reading ? { skipped: reading.skipped } : { error: reading.error }) };
}
