// What the renderer does on a loaded, settled page before reading it: the bounded auto-scroll (on
// unless the job turned it off), then the job's actions; then the network settles again when they
// set anything going. The page products run after the read, so they see the page as left here.
import type { Page } from 'puppeteer-core';
import type { ConsentOutcome, RenderOptions } from '../../core/ports.js';
import { AUTOSCROLL_LIMITS, SCROLL_REACTIVITY_HOOK, autoscroll } from './autoscroll.js';
import { CONSENT_HANDLE_MS } from './consent.js';
import { actionsBudgetMs, runActions } from './page-actions.js';

export interface Behaviours {
  /** notes for the page record (actions skipped, a navigation), in order */
  notes: string[];
  /** what was done with the page's consent banner (page-settle.ts) */
  consent?: ConsentOutcome;
}

/** The longest the behaviours of one page can take, the settle after them included (for the watchdog). */
export function behavioursBudgetMs(options: RenderOptions): number {
  const scrolling = options.autoscroll === false ? 0 : AUTOSCROLL_LIMITS.maxMs + AUTOSCROLL_LIMITS.bottomWaitMs;
  // a consent banner answered: its bound, and the settle after a pressed button
  const consent = options.consent === 'leave' ? 0 : CONSENT_HANDLE_MS + options.settleMaxMs;
  return scrolling + consent + actionsBudgetMs(options.actions ?? []) + options.settleMaxMs;
}

/** Before navigation: auto-scroll learns from the document's own scripts whether a scroll can matter. */
export async function prepareBehaviours(page: Page, options: RenderOptions): Promise<void> {
  if (options.autoscroll !== false) await page.evaluateOnNewDocument(SCROLL_REACTIVITY_HOOK);
}

/**
 * `settle`: the renderer's own wait for the network to be idle. Only a page where scrolling or a
 * step started a request, or where a step ran, waits for it again: an ordinary page whose scroll
 * loaded nothing pays one timer tick.
 */
export async function actOnPage(page: Page, options: RenderOptions, settle: () => Promise<void>): Promise<Behaviours> {
  const notes: string[] = [];
  let requests = 0;
  const onRequest = () => {
    requests++;
  };
  page.on('request', onRequest);
  let acted = false;
  try {
    if (options.autoscroll !== false) {
      // A page that navigates itself or dies while scrolled is the read's business, not a failure here.
      await autoscroll(page).catch(() => undefined);
    }
    if (options.actions?.length) {
      const done = await runActions(page, options.actions);
      notes.push(...done.notes);
      acted = done.ran > 0 || done.navigatedTo !== undefined;
    }
  } finally {
    page.off('request', onRequest);
  }
  if (requests > 0 || acted) await settle();
  // Timers that fell due while scrolling (an observer's callback may defer its work) run first.
  else await page.evaluate('new Promise((resolve) => setTimeout(resolve, 0))').catch(() => {});
  return { notes };
}
