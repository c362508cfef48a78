// (b) The anchor: Crawlee's PuppeteerCrawler, with the same Chromium, window size, tabs, settle rule
// and scope.
import { Configuration, PuppeteerCrawler } from '@crawlee/puppeteer';
import puppeteer, { type HTTPRequest } from 'puppeteer-core';
import { VIEWPORT } from '../functions/adapters/browser/chromium.js';
import { normaliseUrl } from '../functions/core/url.js';
import { SETTLE, childrenOf, chromiumLaunch, type BenchOptions, type VariantResult } from './crawl-rule.js';

export async function runCrawlee(options: BenchOptions): Promise<VariantResult> {
  const seed = normaliseUrl(options.url);
  if (!seed.ok) throw new Error(seed.reason);
  const launch = await chromiumLaunch();
  const pages: string[] = [];
  const seen = new Set([seed.url]);
  const skipped = new Set(options.block ?? []);
  const config = new Configuration({ persistStorage: false, purgeOnStart: true });
  const crawler = new PuppeteerCrawler(
    {
      minConcurrency: options.tabs,
      maxConcurrency: options.tabs,
      maxRequestRetries: 1,
      navigationTimeoutSecs: SETTLE.navigationTimeoutMs / 1000,
      // One browser, like the other two; fingerprints off so every variant renders the same way.
      browserPoolOptions: { useFingerprints: false, maxOpenPagesPerBrowser: options.tabs, retireBrowserAfterPageCount: 1_000_000 },
      launchContext: { launcher: puppeteer, launchOptions: { executablePath: launch.executablePath, args: launch.args, headless: 'shell', defaultViewport: VIEWPORT } },
      preNavigationHooks: [
        async ({ page }, gotoOptions) => {
          await page.setCacheEnabled(false);
          if (skipped.size > 0) {
            // the same mechanism as the project's renderer: interception, abort by resource type
            await page.setRequestInterception(true);
            page.on('request', (request: HTTPRequest) => {
              if (request.isInterceptResolutionHandled()) return;
              const drop = skipped.has(request.resourceType()) && !request.isNavigationRequest();
              (drop ? request.abort('blockedbyclient') : request.continue()).catch(() => {});
            });
          }
          if (gotoOptions) (gotoOptions as { waitUntil?: string }).waitUntil = 'domcontentloaded';
        },
      ],
      async requestHandler({ page, request, crawler: self }) {
        pages.push(request.url);
        await page.waitForNetworkIdle({ idleTime: SETTLE.settleIdleMs, timeout: SETTLE.settleMaxMs, concurrency: 0 }).catch(() => {});
        const links = await page.evaluate(() => [...new Set(Array.from(document.querySelectorAll('a[href], area[href]'), (a) => (a as HTMLAnchorElement).href))]);
        const depth = (request.userData.depth as number) ?? 0;
        if (depth >= options.depth) return;
        const children = childrenOf(seed.url, page.url(), links).filter((url) => !seen.has(url) && seen.size < options.maxPages);
        children.forEach((url) => seen.add(url));
        await self.addRequests(children.map((url) => ({ url, uniqueKey: url, userData: { depth: depth + 1 } })));
      },
      failedRequestHandler({ request }) {
        pages.push(request.url);
      },
    },
    config,
  );
  const started = Date.now();
  await crawler.run([{ url: seed.url, uniqueKey: seed.url, userData: { depth: 0 } }]);
  return { variant: 'crawlee', pages, wallSeconds: (Date.now() - started) / 1000 };
}
