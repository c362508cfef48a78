// Renders one URL in a new tab of the shared browser: navigate (bounded), let the network settle
// (bounded) so script- and fetch()-inserted links exist, then read everything in one in-page call.
// The tab is always closed; a hung or crashed browser is replaced.
// Tabs share the default context: @sparticuz/chromium runs --single-process, where incognito
// contexts cannot be created, so cookies persist within one execution environment.
import type { Browser, HTTPResponse, Page } from 'puppeteer-core';
import type { Logger, PageRenderer, RenderedPage, RenderOptions } from '../../core/ports.js';
import { closeBrowser, discardBrowser, leaseBrowser, type BrowserLease } from './chromium.js';
import { RenderError } from './errors.js';
import type { RequestGuard } from './request-guard.js';

const MAX_HTML_BYTES = 10 * 1024 * 1024;
/** Beyond navigation and settle, what extraction and teardown may take before we call the page hung. */
const WATCHDOG_SLACK_MS = 15_000;

export interface RendererOptions {
  chromePath?: string;
  chromiumBinDir?: string;
  extraArgs?: string[];
  log: Logger;
  /** checks every request of the page (navigation, redirects, subresources); none = allow all */
  guard?: RequestGuard;
  /** beyond navigation and settle, how long extraction may take before the page counts as hung */
  watchdogSlackMs?: number;
  /** pages a browser serves before it is replaced (bounds its memory) */
  recycleAfterPages?: number;
}

const RECYCLE_AFTER_PAGES = 100;

function isHtml(contentType: string | null): boolean {
  return contentType === null || /^(text\/html|application\/xhtml\+xml)/i.test(contentType);
}

export class PuppeteerRenderer implements PageRenderer {
  constructor(private readonly options: RendererOptions) {}

  async render(url: string, options: RenderOptions): Promise<RenderedPage> {
    const watchdogMs = options.navigationTimeoutMs + options.settleMaxMs + (this.options.watchdogSlackMs ?? WATCHDOG_SLACK_MS);
    let timer: NodeJS.Timeout | undefined;
    const watchdog = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RenderError('browser', `page did not finish within ${watchdogMs} ms; browser replaced`, true)), watchdogMs);
    });
    const used: { browser?: Browser } = {};
    try {
      return await Promise.race([this.renderInContext(url, options, used), watchdog]);
    } catch (error) {
      if (error instanceof RenderError && error.kind === 'browser') await discardBrowser(used.browser);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async renderInContext(url: string, options: RenderOptions, used: { browser?: Browser }): Promise<RenderedPage> {
    const started = Date.now();
    let page: Page | undefined;
    let lease: BrowserLease | undefined;
    try {
      lease = await leaseBrowser({ ...this.options, recycleAfterPages: this.options.recycleAfterPages ?? RECYCLE_AFTER_PAGES }).catch(
        (error: Error) => {
          throw new RenderError('browser', `browser failed to start: ${error.message}`, true);
        },
      );
      used.browser = lease.browser;
      page = await lease.browser.newPage();
      const tab = page;
      this.tame(tab);
      // Each crawl sees the site as it is now: no answers (or permanent redirects) from a cache
      // filled by an earlier job in this warm browser.
      await tab.setCacheEnabled(false);
      const blocked: string[] = [];
      if (this.options.guard) await this.guard(tab, this.options.guard, blocked);

      // The last main-frame document response, also when navigation aborts (downloads).
      let mainResponse: HTTPResponse | undefined;
      let onMainResponse: (() => void) | undefined;
      tab.on('response', (response) => {
        if (response.request().isNavigationRequest() && response.frame() === tab.mainFrame()) {
          mainResponse = response;
          onMainResponse?.();
        }
      });

      let navigationError: Error | undefined;
      const response = await page
        .goto(url, { waitUntil: 'domcontentloaded', timeout: options.navigationTimeoutMs })
        .catch((error: Error) => {
          navigationError = error;
          return null;
        });
      if (!response && !mainResponse && /ERR_ABORTED/.test(navigationError?.message ?? '')) {
        // A download aborts the navigation, sometimes before its response event is delivered.
        await new Promise<void>((resolve) => {
          onMainResponse = resolve;
          setTimeout(resolve, 1000);
        });
      }
      const navigated = Date.now();
      const main = response ?? mainResponse;
      // A refused request or an unfollowed redirect is a failure, not a document.
      if (!main || (navigationError && (blocked.length > 0 || (main.status() >= 300 && main.status() < 400)))) {
        throw this.classify(navigationError, url, blocked);
      }

      const contentType = main.headers()['content-type'] ?? null;
      const redirectChain = main.request().redirectChain().map((r) => r.url());
      const downloaded = /ERR_ABORTED/.test(navigationError?.message ?? '');
      const timedOut = navigationError?.name === 'TimeoutError';
      // A timeout after the document arrived leaves a partial DOM: still worth reading (a page
      // whose scripts hang the renderer is caught by the watchdog instead).
      if (navigationError && !downloaded && !timedOut) throw this.classify(navigationError, url, blocked);
      if (downloaded || !isHtml(contentType)) {
        // A download or other non-HTML document: recorded with its status, nothing to extract.
        return {
          requestedUrl: url,
          finalUrl: main.url(),
          status: main.status(),
          contentType,
          title: '',
          html: '',
          links: [],
          redirectChain,
          timings: { navigationMs: navigated - started, settleMs: 0, extractMs: 0, totalMs: Date.now() - started },
        };
      }

      await page.waitForNetworkIdle({ idleTime: options.settleIdleMs, timeout: options.settleMaxMs, concurrency: 0 }).catch(() => {
        // Pages that poll forever never go idle; the cap is the answer for them.
      });
      const settled = Date.now();
      const extracted = await page.evaluate(() => {
        const links = new Set<string>();
        for (const element of Array.from(document.querySelectorAll('a[href], area[href]'))) {
          const href = (element as HTMLAnchorElement | HTMLAreaElement).href;
          if (typeof href === 'string' && href) links.add(href);
        }
        const doctype = document.doctype ? `<!DOCTYPE ${document.doctype.name}>` : '';
        return { title: document.title, links: [...links], html: doctype + document.documentElement.outerHTML };
      });
      const html = extracted.html.length > MAX_HTML_BYTES ? extracted.html.slice(0, MAX_HTML_BYTES) : extracted.html;
      const done = Date.now();
      return {
        requestedUrl: url,
        finalUrl: page.url(),
        status: main.status(),
        contentType,
        title: extracted.title,
        html,
        links: extracted.links,
        redirectChain,
        timings: { navigationMs: navigated - started, settleMs: settled - navigated, extractMs: done - settled, totalMs: done - started },
      };
    } catch (error) {
      if (error instanceof RenderError) throw error;
      throw this.classify(error as Error, url, []);
    } finally {
      await page?.close().catch((error: Error) => this.options.log.warn('closing a tab failed', { url, error: error.message }));
      await lease?.release();
    }
  }

  async close(): Promise<void> {
    await closeBrowser();
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

  private async guard(page: Page, guard: RequestGuard, blocked: string[]): Promise<void> {
    await page.setRequestInterception(true);
    page.on('request', (request) => {
      if (request.isInterceptResolutionHandled()) return;
      guard(request.url())
        .then((verdict) => {
          if (verdict.allowed) return request.continue();
          blocked.push(`${request.url()}: ${verdict.reason}`);
          this.options.log.warn('request blocked', { url: request.url(), reason: verdict.reason });
          return request.abort('blockedbyclient');
        })
        .catch(() => {
          // the page went away while we decided
        });
    });
  }

  private classify(error: Error | undefined, url: string, blocked: string[]): RenderError {
    const message = error?.message ?? 'no response';
    if (blocked.length > 0 && /ERR_BLOCKED_BY_CLIENT|net::ERR/.test(message)) {
      return new RenderError('blocked', `blocked: ${blocked[0]}`, false);
    }
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
