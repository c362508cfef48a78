// A page's tab, from lease to close: the shared browser is leased (launched on first use, retired
// after its share of pages: chromium.ts), a tab opened in it and made fit for an untrusted page,
// and closed again however the render ended; a browser that a failed render left dead, hung or
// half-working is discarded. What happens in the tab in between is the page phases' business
// (page-navigation.ts, page-settle.ts, page-read.ts); they join the tab's set-up through `prepare`.
//
// Isolation between pages: a browser that supports it (a multi-process Chrome, CHROME_PATH) gives
// every page its own incognito BrowserContext (measured: no dearer than a tab of the default one).
// @sparticuz/chromium runs --single-process (required on Lambda), where incognito contexts cannot
// be created; there tabs share the default context, which serves one job at a time and is replaced
// by a fresh browser before another job's page (chromium.ts, takeBrowserTurn). Within a job, the
// HTTP cache is disabled, service workers bypassed, and cookies plus the target origin's storage
// cleared (~1 ms) whenever no other page is open in the browser.
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import type { Logger } from '../../core/ports.js';
import type { UpstreamRoute } from '../../core/upstream-proxy.js';
import { discardBrowser, egressProxyOf, leaseBrowser, supportsBrowserContexts, type BrowserLease, type BrowserOptions } from './chromium.js';
import type { EgressProxy } from './egress-proxy.js';
import { RenderError } from './errors.js';
import type { RequestGuard } from './request-guard.js';
import { countUsage } from '../usage/usage-meter.js';

const RECYCLE_AFTER_PAGES = 100;

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

/** What one render went through; decides whether a failure condemns the browser. */
export interface Attempt {
  browser?: Browser;
  phase: 'launch' | 'open' | 'navigate' | 'settle' | 'extract';
  crashed: boolean;
  hung: boolean;
}

/** The renderer's options a tab is leased and opened with (RendererOptions, renderer.ts). */
export interface TabOptions extends BrowserOptions {
  /** without `hosts`, the browser's egress proxy enforces the guard's host check */
  guard?: RequestGuard;
  recycleAfterPages?: number;
  userAgent?: string;
  /** the job the page is for: a browser whose pages share state serves one job at a time (chromium.ts) */
  job?: string;
  /** the upstream proxies the page's connections leave through (absent: straight to the sites) */
  route?: UpstreamRoute;
}

export interface OpenTab {
  page: Page;
  /** the egress proxy of the browser the tab is in: it knows why a tunnel failed (on this tab's route) */
  egress: Pick<EgressProxy, 'failureFor'> | undefined;
}

/** One page's tab (in its own BrowserContext where the browser allows) and its browser lease. */
export class BrowserTab {
  private lease: BrowserLease | undefined;
  private context: BrowserContext | undefined;
  private page: Page | undefined;

  constructor(
    private readonly options: TabOptions,
    private readonly log: Logger,
  ) {}

  /**
   * Leases the browser and opens the tab, ready to navigate; `prepare` is the page phases' own
   * set-up of the fresh tab. Whatever was opened before a failure is closed by close().
   */
  async open(url: string, attempt: Attempt, prepare: (page: Page) => Promise<void>): Promise<OpenTab> {
    const lease = await leaseBrowser({
      ...this.options,
      hosts: this.options.hosts ?? this.options.guard?.hosts,
      log: this.log,
      recycleAfterPages: this.options.recycleAfterPages ?? RECYCLE_AFTER_PAGES,
    }).catch((error: Error) => {
      throw new RenderError('browser', `browser failed to start: ${error.message}`, true);
    });
    this.lease = lease;
    attempt.browser = lease.browser;
    // The watchdog gave up on this render while the browser started: no tab for a page nobody awaits.
    if (attempt.hung) throw new RenderError('browser', 'page abandoned while the browser started', true);
    attempt.phase = 'open';
    const isolated = supportsBrowserContexts(lease.browser);
    const egress = egressProxyOf(lease.browser);
    const route = this.options.route;
    // The job's upstream proxies: its context's own listener of the egress proxy, loopback
    // included (as the launch flags say for the default context: nothing bypasses the proxy);
    // a browser without contexts serves this job alone, so its one listener takes the route.
    const proxyServer = isolated && route && egress ? await egress.listenerFor(route) : undefined;
    if (!isolated) egress?.useRoute(route);
    if (isolated) {
      this.context = await lease.browser.createBrowserContext({
        downloadBehavior: { policy: 'deny' },
        ...(proxyServer ? { proxyServer, proxyBypassList: ['<-loopback>'] } : {}),
      });
    }
    const page = await (this.context ?? lease.browser).newPage();
    countUsage({ tabsOpened: 1 });
    this.page = page;
    page.on('error', () => {
      // the page's renderer crashed (with --single-process: the whole browser)
      attempt.crashed = true;
    });
    tame(page);
    // Each crawl sees the site as it is now: no answers (or permanent redirects) from a cache or
    // a service worker filled by an earlier job in this warm browser.
    await Promise.all([
      page.setCacheEnabled(false),
      page.setBypassServiceWorker(true),
      page.evaluateOnNewDocument(DENY_DETACHED_CONTEXTS),
      prepare(page),
      // The crawler names itself (the token robots.txt rules are matched against), not HeadlessChrome.
      ...(this.options.userAgent ? [page.setUserAgent({ userAgent: this.options.userAgent })] : []),
    ]);
    if (!isolated && lease.exclusive) await this.forgetEarlierPages(page, url);
    return { page, egress: egress && { failureFor: (url: string) => egress.failureFor(url, route?.key ?? '') } };
  }

  /** Closes what open() opened, and gives the browser back. */
  async close(url: string): Promise<void> {
    const context = this.context;
    // Closing the context closes its tab and any pop-up it opened.
    await (context ?? this.page)
      ?.close()
      .catch((error: Error) => this.log.warn(context ? 'closing a browser context failed' : 'closing a tab failed', { url, error: error.message }));
    await this.lease?.release();
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
}

/** Dialogs would block the page forever; pop-ups are not ours to render. */
function tame(page: Page): void {
  page.on('dialog', (dialog) => {
    dialog.dismiss().catch(() => {});
  });
  page.on('popup', (popup) => {
    popup?.close().catch(() => {});
  });
}

/**
 * After a failed render: a dead, hung or half-working browser is replaced; a page that merely
 * misbehaved is not reason enough to take the other tabs down with it.
 */
export async function discardIfCondemned(attempt: Attempt, failure: RenderError, url: string, log: Logger): Promise<void> {
  const browser = attempt.browser;
  const condemned =
    attempt.hung ||
    attempt.phase === 'open' ||
    browser?.connected === false ||
    // a crashed tab takes a --single-process browser with it; a system Chrome survives it
    (attempt.crashed && browser !== undefined && !supportsBrowserContexts(browser));
  if (failure.kind === 'browser' && browser && condemned) {
    log.warn('browser discarded', { url, phase: attempt.phase, error: failure.message });
    await discardBrowser(browser);
  }
}
