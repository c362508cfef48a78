// The tab goes to the page: its requests pass the request guard, it navigates (bounded), and what
// came back is told apart: a document to read (HTML, or another type for the products), or a
// failure named as a RenderError (refused, unreachable, timed out, an unfollowed redirect).
//
// SSRF: every connection of the browser goes through its egress proxy (egress-proxy.ts), which is
// where the address policy is enforced; the request guard checks a tab's own requests early so a
// refused page fails with the guard's reason. Pop-ups, shared workers and service workers are also
// denied in the page (tab-lifecycle.ts; the proxy would stop their traffic anyway).
import type { HTTPResponse, Page } from 'puppeteer-core';
import type { Logger, RenderOptions } from '../../core/ports.js';
import { EGRESS_ERROR_HEADER, EGRESS_REASON_HEADER, type EgressErrorCode, type EgressFailure, type EgressProxy } from './egress-proxy.js';
import { RenderError } from './errors.js';
import type { RequestGuard } from './request-guard.js';
import { credentialHeaders, type TabCredentials } from './seed-credentials.js';
import type { Attempt } from './tab-lifecycle.js';
import { countUsage } from '../usage/usage-meter.js';

/** A download aborts the navigation, sometimes before its response event is delivered. */
const ABORTED_RESPONSE_WAIT_MS = 1_000;

function isHtml(contentType: string | null): boolean {
  return contentType === null || /^\s*(text\/html|application\/xhtml\+xml)/i.test(contentType);
}

const isRedirect = (response: HTTPResponse): boolean => response.status() >= 300 && response.status() < 400 && 'location' in response.headers();

/** The proxy's own answer for a target it refused or could not reach (sites cannot fake it: the proxy strips the header). */
function egressFailureOf(response: HTTPResponse): EgressFailure | undefined {
  const headers = response.headers();
  const code = headers[EGRESS_ERROR_HEADER];
  return code ? { code: code as EgressErrorCode, reason: headers[EGRESS_REASON_HEADER] ?? code } : undefined;
}

/**
 * Intercepts the tab's requests when the guard, the job's skipped types or its credentials need it.
 * Returns the list the guard's refusals are added to as they happen (each "url: reason").
 */
export async function guardRequests(page: Page, guard: RequestGuard | undefined, options: RenderOptions, log: Logger): Promise<string[]> {
  const blocked: string[] = [];
  const skipped = new Set(options.block ?? []);
  if (guard || skipped.size > 0 || options.credentials) await intercept(page, guard, skipped, blocked, log, options.credentials);
  return blocked;
}

/**
 * Every request passes here: subresources of a skipped type are dropped without a network
 * round trip (the page sees them fail, as with an ad blocker); the rest go through the guard.
 */
async function intercept(page: Page, guard: RequestGuard | undefined, skipped: ReadonlySet<string>, blocked: string[], log: Logger, credentials?: TabCredentials): Promise<void> {
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (request.isInterceptResolutionHandled()) return;
    if (skipped.has(request.resourceType()) && !request.isNavigationRequest()) {
      request.abort('blockedbyclient').catch(() => {});
      return;
    }
    // The job's headers and cookies, on requests to a seed's origin only (seed-credentials.ts).
    if (!guard) {
      request.continue(credentialHeaders(request, credentials)).catch(() => {});
      return;
    }
    guard(request.url())
      .then((verdict) => {
        if (verdict.allowed) return request.continue(credentialHeaders(request, credentials));
        blocked.push(`${request.url()}: ${verdict.reason}`);
        log.warn('request blocked', { url: request.url(), reason: verdict.reason });
        return request.abort('blockedbyclient');
      })
      .catch(() => {
        // the page went away while we decided
      });
  });
}

/** Where the navigation ended; a navigation that failed has thrown instead. */
export interface Navigation {
  /** the main document's response */
  main: HTTPResponse;
  /** Date.now() when the navigation ended */
  navigatedAt: number;
  /** the document was still arriving when the navigation timed out: its partial DOM is read at once */
  timedOut: boolean;
  /** an HTML document is shown (not a download, not another content type) */
  showsHtml: boolean;
  /**
   * The page may have navigated itself (script, meta refresh) while it settled: the response of
   * the document that is actually shown.
   */
  shown(): HTTPResponse;
}

/**
 * Navigates the prepared tab (after `options.beforeNavigation`, the host's slot) and returns the
 * document it ended on; throws a RenderError for a navigation that yields no page.
 */
export async function navigate(page: Page, url: string, options: RenderOptions, attempt: Attempt, blocked: readonly string[], proxy: Pick<EgressProxy, 'failureFor'> | undefined): Promise<Navigation> {
  // The main frame's document responses, also for aborted navigations (downloads) and for
  // navigations the page starts itself while it settles.
  let firstDocument: HTTPResponse | undefined;
  let lastDocument: HTTPResponse | undefined;
  let onDocument: (() => void) | undefined;
  page.on('response', (response) => {
    if (!response.request().isNavigationRequest() || response.frame() !== page.mainFrame()) return;
    if (isRedirect(response)) return;
    firstDocument ??= response;
    lastDocument = response;
    onDocument?.();
  });
  // A navigation the egress proxy refused to tunnel (https) fails as ERR_TUNNEL_CONNECTION_FAILED;
  // the proxy knows why, by the URL that failed.
  let failedNavigation: string | undefined;
  page.on('requestfailed', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) failedNavigation = request.url();
  });
  const tunnelFailure = (): EgressFailure | undefined => proxy?.failureFor(failedNavigation ?? url);

  // The host's navigation slot (politeness), as close to the request as the tab allows.
  await options.beforeNavigation?.();
  attempt.phase = 'navigate';
  countUsage({ navigations: 1 });
  let navigationError: Error | undefined;
  const response = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: options.navigationTimeoutMs }).catch((error: Error) => {
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
  const navigatedAt = Date.now();
  const main = response ?? firstDocument;
  // The proxy's answer for a connection it refused or could not make is a failure, not a page.
  const refused = main && egressFailureOf(main);
  if (refused) throw fromEgress(refused, main.url());
  // A refused request or an unfollowed redirect is a failure, not a document.
  if (!main || (navigationError && (blocked.length > 0 || isRedirect(main)))) throw classify(navigationError, url, blocked, tunnelFailure());
  const timedOut = navigationError?.name === 'TimeoutError';
  // A timeout after the document started to arrive leaves a partial DOM: still worth reading.
  if (navigationError && !aborted && !timedOut) throw classify(navigationError, url, blocked, tunnelFailure());

  // ERR_ABORTED with the tab still on about:blank: Chromium turned the document into a download.
  const downloaded = aborted && !/^https?:/.test(page.url());
  return {
    main,
    navigatedAt,
    timedOut,
    showsHtml: !downloaded && isHtml(main.headers()['content-type'] ?? null),
    shown: () =>
      lastDocument && lastDocument !== main && isHtml(lastDocument.headers()['content-type'] ?? null) && !egressFailureOf(lastDocument) ? lastDocument : main,
  };
}

/** A failure the egress proxy reported, as the same failure of a direct connection would be. */
function fromEgress(failure: EgressFailure, url: string): RenderError {
  if (failure.code === 'ERR_BLOCKED_BY_EGRESS_POLICY') return new RenderError('blocked', `blocked: ${url}: ${failure.reason}`, false);
  // The upstream proxy's failure, named for the proxy (its URL masked), not for the site; refused
  // credentials stay refused until the operator fixes them, so another attempt cannot help.
  if (failure.code.startsWith('ERR_PROXY_') || failure.reason.startsWith('upstream proxy ')) {
    return new RenderError('network', `${failure.code}: ${failure.reason}`, failure.code !== 'ERR_PROXY_AUTH_REQUESTED');
  }
  return classify(new Error(`net::${failure.code} at ${url}`), url, []);
}

/** What went wrong with a page, as a RenderError: its kind, and whether another attempt may help. */
export function classify(error: Error | undefined, url: string, blocked: readonly string[], tunnel?: EgressFailure): RenderError {
  const message = error?.message ?? 'no response';
  if (blocked.length > 0 && /ERR_BLOCKED_BY_CLIENT|net::ERR/.test(message)) {
    return new RenderError('blocked', `blocked: ${blocked[0]}`, false);
  }
  if (tunnel && /net::ERR_TUNNEL_CONNECTION_FAILED/.test(message)) return fromEgress(tunnel, url);
  if (error?.name === 'TimeoutError' || /timeout/i.test(message)) {
    return new RenderError('timeout', `navigation timed out: ${message}`, true);
  }
  if (/net::ERR_NAME_NOT_RESOLVED|net::ERR_INVALID_URL|net::ERR_UNSAFE_PORT|ERR_INVALID_REDIRECT|ERR_TOO_MANY_REDIRECTS/.test(message)) {
    return new RenderError('network', `${message.split(' at ')[0]}`, false);
  }
  if (/net::ERR_/.test(message)) return new RenderError('network', message.split(' at ')[0] ?? message, true);
  return new RenderError('browser', `browser failure on ${url}: ${message}`, true);
}
