// Between navigation and the read, the page settles: its network goes idle (bounded) so script-
// and fetch()-inserted links exist, its consent banner is answered (consent.ts), then the
// behaviours run on it (auto-scroll, the job's actions: page-behaviours.ts), which settle it again
// if they set anything going.
import type { Page } from 'puppeteer-core';
import type { RenderOptions } from '../../core/ports.js';
import type { ConsentWatch } from './consent.js';
import { actOnPage, type Behaviours } from './page-behaviours.js';

/** The navigated page, settled and acted on; `timedOut`: its document was still arriving. */
export async function settlePage(page: Page, options: RenderOptions, timedOut: boolean, consent?: ConsentWatch): Promise<Behaviours> {
  // Nothing settles while the document itself is still arriving; its partial DOM is read at once.
  if (timedOut) return { notes: [] };
  await settle(page, options);
  // The banner answered before anything else acts on the page; a pressed button may set requests
  // going (the manager records the choice, some pages reload), so the page settles again.
  const answered = await consent?.outcome();
  if (answered?.clicked) await settle(page, options);
  // Scroll, then the job's actions, then settle again if they set anything going.
  const behaviours = await actOnPage(page, options, () => settle(page, options));
  return answered ? { ...behaviours, consent: answered } : behaviours;
}

/** Network idle for settleIdleMs, at most settleMaxMs; a page that never goes idle is not an error. */
export async function settle(page: Page, options: RenderOptions): Promise<void> {
  await page.waitForNetworkIdle({ idleTime: options.settleIdleMs, timeout: options.settleMaxMs, concurrency: 0 }).catch(() => {});
  // The idle window is measured here, not in the page: a page whose main thread was busy through
  // it (a heavy script, a loaded machine) still holds timers that fell due long ago, and the read
  // that follows may run before them. A timer set now runs after every timer due earlier, so
  // waiting for one lets what the page scheduled within the window (links a script adds) happen.
  await page.evaluate(() => new Promise<void>((resolve) => setTimeout(resolve, 0))).catch(() => {});
}
