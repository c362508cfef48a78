// Renders one URL in a new tab of the shared browser: navigate (bounded), let the network settle
// (bounded) so script- and fetch()-inserted links exist, then read links, title and DOM in one
// in-page call. The tab (and its context) is always closed; a hung or crashed browser is replaced.
//
// Isolation between pages: a browser that supports it (a multi-process Chrome, CHROME_PATH) gives
// every page its own incognito BrowserContext (measured: no dearer than a tab of the default one).
// @sparticuz/chromium runs --single-process (required on Lambda), where incognito contexts cannot
// be created; there tabs share the default context, with the HTTP cache disabled, service workers
// bypassed, and cookies plus the target origin's storage cleared (~1 ms) whenever no other page
// is open in the browser.
//
// SSRF: every connection of the browser goes through its egress proxy (egress-proxy.ts), which is
// where the address policy is enforced; the request guard checks a tab's own requests early so a
// refused page fails with the guard's reason. Pop-ups, shared workers and service workers are also
// denied in the page (the proxy would stop their traffic anyway).
import type { Browser, BrowserContext, HTTPResponse, Page } from 'puppeteer-core';
import type { Logger, PageRenderer, ProductOutput, RenderedPage, RenderOptions } from '../../core/ports.js';
import type { PageProduct, ProductContext, ProductRegistry } from '../products/page-product.js';
import { closeBrowser, consoleLogger, discardBrowser, egressProxyOf, leaseBrowser, supportsBrowserContexts, type BrowserLease } from './chromium.js';
import type { HostCheck } from './egress-policy.js';
import { EGRESS_ERROR_HEADER, EGRESS_REASON_HEADER, type EgressErrorCode, type EgressFailure } from './egress-proxy.js';
import { RenderError } from './errors.js';
import { HostSlotDeferredError } from '../../core/host-rate.js';
import type { RequestGuard } from './request-guard.js';
import { actOnPage, behavioursBudgetMs, prepareBehaviours } from './page-behaviours.js';
import { credentialHeaders, type TabCredentials } from './seed-credentials.js';

export const MAX_HTML_BYTES = 10 * 1024 * 1024;
/** Beyond navigation and settle, what extraction and teardown may take before we call the page hung. */
const WATCHDOG_SLACK_MS = 15_000;
const RECYCLE_AFTER_PAGES = 100;
/** A download aborts the navigation, sometimes before its response event is delivered. */
const ABORTED_RESPONSE_WAIT_MS = 1_000;
/** A page that navigates itself while we read it is read again, this many times at most. */
const EXTRACT_ATTEMPTS = 3;

/**
 * Runs in every document before its scripts: no pop-ups, shared workers or service workers (none
 * is needed to read a page, and each opens connections the tab's request guard never sees). A
 * page can get around this (e.g. through a fresh about:blank frame); the egress proxy cannot be.
 */
const DENY_DETACHED_CONTEXTS = `(() => {
  try { Object.defineProperty(window, 'open', { value: function open() { return null; }, writable: false, configurable: false }); } catch {}
  try { delete window.SharedWorker; } catch {}
  try { Object.defineProperty(Navigator.prototype, 'serviceWorker', { get() { return undefined; }, configurable: false }); } catch {}
})();`;

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
}

/** A product's collect may take this long on one page (an extractor, a full-page screenshot). */
export const PRODUCT_TIMEOUT_MS = 10_000;

/** What one render went through; decides whether a failure condemns the browser. */
interface Attempt {
  browser?: Browser;
  phase: 'launch' | 'open' | 'navigate' | 'settle' | 'extract';
  crashed: boolean;
  hung: boolean;
}

interface Extracted {
  title: string;
  links: string[];
  html: string;
}

function isHtml(contentType: string | null): boolean {
  return contentType === null || /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType);
}

const isRedirect = (response: HTTPResponse): boolean => response.status() >= 300 && response.status() < 400 && 'location' in response.headers();

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function capUtf8(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const cut = Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8');
  return cut.endsWith('\uFFFD') ? cut.slice(0, -1) : cut;
}

/** The proxy's own answer for a target it refused or could not reach (sites cannot fake it: the proxy strips the header). */
function egressFailureOf(response: HTTPResponse): EgressFailure | undefined {
  const headers = response.headers();
  const code = headers[EGRESS_ERROR_HEADER];
  return code ? { code: code as EgressErrorCode, reason: headers[EGRESS_REASON_HEADER] ?? code } : undefined;
}

export class PuppeteerRenderer implements PageRenderer {
  private readonly log: Logger;

  constructor(private readonly options: RendererOptions = {}) {
    this.log = options.log ?? consoleLogger;
  }

  async render(url: string, options: RenderOptions): Promise<RenderedPage> {
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
    try {
      return await Promise.race([this.renderInTab(url, options, attempt), watchdog]);
    } catch (error) {
      // Not a failure: the page was never requested, the tab is closed, the browser is fine.
      if (error instanceof HostSlotDeferredError) throw error;
      const failure = error instanceof RenderError ? error : this.classify(error as Error, url, []);
      // A dead, hung or half-working browser is replaced; a page that merely misbehaved is not
      // reason enough to take the other tabs down with it.
      const browser = attempt.browser;
      const condemned =
        attempt.hung ||
        attempt.phase === 'open' ||
        browser?.connected === false ||
        // a crashed tab takes a --single-process browser with it; a system Chrome survives it
        (attempt.crashed && browser !== undefined && !supportsBrowserContexts(browser));
      if (failure.kind === 'browser' && browser && condemned) {
        this.log.warn('browser discarded', { url, phase: attempt.phase, error: failure.message });
        await discardBrowser(browser);
      }
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  private async renderInTab(url: string, options: RenderOptions, attempt: Attempt): Promise<RenderedPage> {
    const started = Date.now();
    let lease: BrowserLease | undefined;
    let context: BrowserContext | undefined;
    let page: Page | undefined;
    try {
      lease = await leaseBrowser({
        ...this.options,
        hosts: this.options.hosts ?? this.options.guard?.hosts,
        log: this.log,
        recycleAfterPages: this.options.recycleAfterPages ?? RECYCLE_AFTER_PAGES,
      }).catch(
        (error: Error) => {
          throw new RenderError('browser', `browser failed to start: ${error.message}`, true);
        },
      );
      attempt.browser = lease.browser;
      attempt.phase = 'open';
      const isolated = supportsBrowserContexts(lease.browser);
      if (isolated) context = await lease.browser.createBrowserContext({ downloadBehavior: { policy: 'deny' } });
      page = await (context ?? lease.browser).newPage();
      const tab = page;
      tab.on('error', () => {
        // the page's renderer crashed (with --single-process: the whole browser)
        attempt.crashed = true;
      });
      this.tame(tab);
      // Each crawl sees the site as it is now: no answers (or permanent redirects) from a cache or
      // a service worker filled by an earlier job in this warm browser.
      await Promise.all([
        tab.setCacheEnabled(false),
        tab.setBypassServiceWorker(true),
        tab.evaluateOnNewDocument(DENY_DETACHED_CONTEXTS),
        prepareBehaviours(tab, options),
        // The crawler names itself (the token robots.txt rules are matched against), not HeadlessChrome.
        ...(this.options.userAgent ? [tab.setUserAgent({ userAgent: this.options.userAgent })] : []),
      ]);
      if (!isolated && lease.exclusive) await this.forgetEarlierPages(tab, url);
      const blocked: string[] = [];
      const skipped = new Set(options.block ?? []);
      if (this.options.guard || skipped.size > 0 || options.credentials) await this.intercept(tab, this.options.guard, skipped, blocked, options.credentials);
      const products = this.productsFor(options);
      for (const product of products) await product.beforeNavigate?.(tab, url);

      // The main frame's document responses, also for aborted navigations (downloads) and for
      // navigations the page starts itself while it settles.
      let firstDocument: HTTPResponse | undefined;
      let lastDocument: HTTPResponse | undefined;
      let onDocument: (() => void) | undefined;
      tab.on('response', (response) => {
        if (!response.request().isNavigationRequest() || response.frame() !== tab.mainFrame()) return;
        if (isRedirect(response)) return;
        firstDocument ??= response;
        lastDocument = response;
        onDocument?.();
      });
      // A navigation the egress proxy refused to tunnel (https) fails as ERR_TUNNEL_CONNECTION_FAILED;
      // the proxy knows why, by the URL that failed.
      let failedNavigation: string | undefined;
      tab.on('requestfailed', (request) => {
        if (request.isNavigationRequest() && request.frame() === tab.mainFrame()) failedNavigation = request.url();
      });
      const proxy = egressProxyOf(lease.browser);
      const tunnelFailure = (): EgressFailure | undefined => proxy?.failureFor(failedNavigation ?? url);

      // The host's navigation slot (politeness), as close to the request as the tab allows.
      await options.beforeNavigation?.();
      attempt.phase = 'navigate';
      let navigationError: Error | undefined;
      const response = await tab.goto(url, { waitUntil: 'domcontentloaded', timeout: options.navigationTimeoutMs }).catch((error: Error) => {
        navigationError = error;
        return null;
      });
      const aborted = /net::ERR_ABORTED/.test(navigationError?.message ?? '');
      if (!response && !firstDocument && aborted) {
        await new Promise<void>((resolve) => {
          onDocument = resolve;
          setTimeout(resolve, ABORTED_RESPONSE_WAIT_MS);
        });
      }
      const navigated = Date.now();
      const main = response ?? firstDocument;
      // The proxy's answer for a connection it refused or could not make is a failure, not a page.
      const refused = main && egressFailureOf(main);
      if (refused) throw this.fromEgress(refused, main.url());
      // A refused request or an unfollowed redirect is a failure, not a document.
      if (!main || (navigationError && (blocked.length > 0 || isRedirect(main)))) throw this.classify(navigationError, url, blocked, tunnelFailure());
      const timedOut = navigationError?.name === 'TimeoutError';
      // A timeout after the document started to arrive leaves a partial DOM: still worth reading.
      if (navigationError && !aborted && !timedOut) throw this.classify(navigationError, url, blocked, tunnelFailure());

      const mainType = main.headers()['content-type'] ?? null;
      // ERR_ABORTED with the tab still on about:blank: Chromium turned the document into a download.
      const downloaded = aborted && !/^https?:/.test(tab.url());
      if (downloaded || !isHtml(mainType)) {
        const made = await this.collectProducts(tab, products, {
          url,
          status: main.status(),
          contentType: mainType,
          headers: main.headers(),
          html: '',
          finalUrl: main.url(),
        });
        return {
          requestedUrl: url,
          finalUrl: main.url(),
          documentUrl: main.url(),
          status: main.status(),
          contentType: mainType,
          title: '',
          html: '',
          links: [],
          redirectChain: main.request().redirectChain().map((r) => r.url()),
          timings: { navigationMs: navigated - started, settleMs: 0, extractMs: 0, totalMs: Date.now() - started },
          ...(made ? { products: made } : {}),
        };
      }

      attempt.phase = 'settle';
      // Nothing settles while the document itself is still arriving; its partial DOM is read at once.
      if (!timedOut) await this.settle(tab, options);
      // Scroll, then the job's actions, then settle again if they set anything going.
      const behaviours = timedOut ? { notes: [] } : await actOnPage(tab, options, () => this.settle(tab, options));
      const settled = Date.now();

      attempt.phase = 'extract';
      const extracted = await this.extract(tab, options);
      // The page may have navigated itself (script, meta refresh) while it settled: report the
      // document that is actually shown.
      const shown =
        lastDocument && lastDocument !== main && isHtml(lastDocument.headers()['content-type'] ?? null) && !egressFailureOf(lastDocument) ? lastDocument : main;
      const maxBytes = this.options.maxHtmlBytes ?? MAX_HTML_BYTES;
      const html = capUtf8(extracted.html, maxBytes);
      if (html.length < extracted.html.length) this.log.warn('serialised DOM truncated', { url, maxBytes });
      const read = Date.now();
      const made = await this.collectProducts(tab, products, {
        url,
        status: shown.status(),
        contentType: shown.headers()['content-type'] ?? null,
        headers: shown.headers(),
        html,
        finalUrl: tab.url(),
      });
      const done = Date.now();
      return {
        requestedUrl: url,
        finalUrl: tab.url(),
        documentUrl: shown.url(),
        status: shown.status(),
        contentType: shown.headers()['content-type'] ?? null,
        title: extracted.title,
        html,
        links: extracted.links,
        redirectChain: shown.request().redirectChain().map((r) => r.url()),
        timings: { navigationMs: navigated - started, settleMs: settled - navigated, extractMs: read - settled, totalMs: done - started },
        ...(made ? { products: made } : {}),
        ...(behaviours.notes.length > 0 ? { actionNotes: behaviours.notes } : {}),
      };
    } catch (error) {
      if (error instanceof RenderError || error instanceof HostSlotDeferredError) throw error;
      throw this.classify(error as Error, url, []);
    } finally {
      // Closing the context closes its tab and any pop-up it opened.
      await (context ?? page)
        ?.close()
        .catch((error: Error) => this.log.warn(context ? 'closing a browser context failed' : 'closing a tab failed', { url, error: error.message }));
      await lease?.release();
    }
  }

  async close(): Promise<void> {
    await closeBrowser();
  }

  private productsFor(options: RenderOptions): PageProduct[] {
    const registry = this.options.products;
    if (!registry || !options.products?.length) return [];
    return options.products.map((request) => {
      const product = registry(request);
      if (!product) throw new RenderError('browser', `no page product named "${request.name}"`, false);
      return product;
    });
  }

  /** Each product on the settled tab, one at a time, bounded; a product's failure is its own, not the page's. */
  private async collectProducts(tab: Page, products: PageProduct[], context: ProductContext): Promise<Record<string, ProductOutput> | undefined> {
    if (products.length === 0) return undefined;
    const budgetMs = this.options.productTimeoutMs ?? PRODUCT_TIMEOUT_MS;
    const made: Record<string, ProductOutput> = {};
    for (const product of products) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<ProductOutput>((resolve) => {
        timer = setTimeout(() => resolve({ error: `${product.name} did not finish within ${budgetMs} ms` }), budgetMs);
      });
      try {
        made[product.name] = await Promise.race([product.collect(tab, context), timeout]);
      } catch (error) {
        made[product.name] = { error: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(timer);
      }
      if (made[product.name]?.error) this.log.warn('page product failed', { url: context.url, product: product.name, error: made[product.name]?.error });
    }
    return made;
  }

  /** Network idle for settleIdleMs, at most settleMaxMs; a page that never goes idle is not an error. */
  private async settle(page: Page, options: RenderOptions): Promise<void> {
    await page.waitForNetworkIdle({ idleTime: options.settleIdleMs, timeout: options.settleMaxMs, concurrency: 0 }).catch(() => {});
    // The idle window is measured here, not in the page: a page whose main thread was busy through
    // it (a heavy script, a loaded machine) still holds timers that fell due long ago, and the read
    // that follows may run before them. A timer set now runs after every timer due earlier, so
    // waiting for one lets what the page scheduled within the window (links a script adds) happen.
    await page.evaluate(() => new Promise<void>((resolve) => setTimeout(resolve, 0))).catch(() => {});
  }

  /** Links as the browser resolved them (base URL applied), title and DOM, in one call. */
  private async extract(page: Page, options: RenderOptions): Promise<Extracted> {
    const maxChars = this.options.maxHtmlBytes ?? MAX_HTML_BYTES;
    for (let attempt = 1; ; attempt++) {
      try {
        return await page.evaluate((max: number) => {
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
              links.push(href);
            }
          }
          const doctype = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : '';
          const root = document.documentElement ? document.documentElement.outerHTML : '';
          const html = doctype + root;
          return { title: document.title, links, html: html.length > max ? html.slice(0, max) : html };
        }, maxChars);
      } catch (error) {
        const message = (error as Error).message;
        // The page navigated while we read it: read the new document once it has settled.
        if (attempt >= EXTRACT_ATTEMPTS || !/Execution context was destroyed|Cannot find context|context was detached|frame was detached/i.test(message)) {
          throw error;
        }
        await this.settle(page, options);
      }
    }
  }

  /**
   * In the shared default context: forget cookies, and the storage of the origin about to be
   * visited, left by earlier pages. Only called when no other page uses the browser.
   */
  private async forgetEarlierPages(page: Page, url: string): Promise<void> {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return;
    }
    const client = await page.createCDPSession();
    try {
      await client.send('Network.clearBrowserCookies');
      // 'all' would also drop Chromium's shader cache and take ~4 ms instead of ~0.6 ms
      if (origin !== 'null') {
        await client.send('Storage.clearDataForOrigin', { origin, storageTypes: 'local_storage,indexeddb,cache_storage,service_workers,file_systems' });
      }
    } catch (error) {
      this.log.debug('clearing earlier state failed', { url, error: (error as Error).message });
    } finally {
      await client.detach().catch(() => {});
    }
  }

  /** Dialogs would block the page forever; pop-ups are not ours to render. */
  private tame(page: Page): void {
    page.on('dialog', (dialog) => {
      dialog.dismiss().catch(() => {});
    });
    page.on('popup', (popup) => {
      popup?.close().catch(() => {});
    });
  }

  /**
   * Every request passes here: subresources of a skipped type are dropped without a network
   * round trip (the page sees them fail, as with an ad blocker); the rest go through the guard.
   */
  private async intercept(page: Page, guard: RequestGuard | undefined, skipped: ReadonlySet<string>, blocked: string[], credentials?: TabCredentials): Promise<void> {
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (request.isInterceptResolutionHandled()) return;
      if (skipped.has(request.resourceType()) && !request.isNavigationRequest()) {
        request.abort('blockedbyclient').catch(() => {});
        return;
      }
      // The job's headers and cookies, on requests to a seed's host only (seed-credentials.ts).
      if (!guard) {
        request.continue(credentialHeaders(request, credentials)).catch(() => {});
        return;
      }
      guard(request.url())
        .then((verdict) => {
          if (verdict.allowed) return request.continue(credentialHeaders(request, credentials));
          blocked.push(`${request.url()}: ${verdict.reason}`);
          this.log.warn('request blocked', { url: request.url(), reason: verdict.reason });
          return request.abort('blockedbyclient');
        })
        .catch(() => {
          // the page went away while we decided
        });
    });
  }

  /** A failure the egress proxy reported, as the same failure of a direct connection would be. */
  private fromEgress(failure: EgressFailure, url: string): RenderError {
    if (failure.code === 'ERR_BLOCKED_BY_EGRESS_POLICY') return new RenderError('blocked', `blocked: ${url}: ${failure.reason}`, false);
    return this.classify(new Error(`net::${failure.code} at ${url}`), url, []);
  }

  private classify(error: Error | undefined, url: string, blocked: string[], tunnel?: EgressFailure): RenderError {
    const message = error?.message ?? 'no response';
    if (blocked.length > 0 && /ERR_BLOCKED_BY_CLIENT|net::ERR/.test(message)) {
      return new RenderError('blocked', `blocked: ${blocked[0]}`, false);
    }
    if (tunnel && /net::ERR_TUNNEL_CONNECTION_FAILED/.test(message)) return this.fromEgress(tunnel, url);
    if (error?.name === 'TimeoutError' || /timeout/i.test(message)) {
      return new RenderError('timeout', `navigation timed out: ${message}`, true);
    }
    if (/net::ERR_NAME_NOT_RESOLVED|net::ERR_INVALID_URL|net::ERR_UNSAFE_PORT|ERR_INVALID_REDIRECT|ERR_TOO_MANY_REDIRECTS/.test(message)) {
      return new RenderError('network', `${message.split(' at ')[0]}`, false);
    }
    if (/net::ERR_/.test(message)) return new RenderError('network', message.split(' at ')[0] ?? message, true);
    return new RenderError('browser', `browser failure on ${url}: ${message}`, true);
  }
}
