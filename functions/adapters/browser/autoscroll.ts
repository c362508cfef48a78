// A bounded scroll to the bottom of a page, one viewport at a time, so content that appears only
// when scrolled into view (lazy lists, infinite scroll, links behind an IntersectionObserver) is
// there when the page is read. Browsertrix's auto-scroll behaviour does the same on every page.
//
// Cheap for an ordinary page: one in-page call for a page no taller than its viewport, or for a
// taller one on which nothing can react to a scroll (SCROLL_REACTIVITY_HOOK); otherwise a call per
// viewport (each waits one frame, so observers fire) and, at the bottom, when the scroll started a
// request, a short wait for the network to go quiet before deciding the page stopped growing.
import type { Page } from 'puppeteer-core';

export const AUTOSCROLL_LIMITS = {
  /** viewport-high steps at most */
  maxSteps: 40,
  /** stop once the document is this tall (px): an endless feed is not read to its end */
  maxHeightPx: 40_000,
  /** the whole scroll at most (ms) */
  maxMs: 5_000,
  /** at the bottom, the network must be quiet this long before the page counts as done growing (ms) */
  bottomQuietMs: 150,
  /** at the bottom, wait at most this long for that quiet (ms) */
  bottomWaitMs: 1_500,
} as const;

export type AutoscrollLimits = typeof AUTOSCROLL_LIMITS;

export interface AutoscrollResult {
  /** viewport steps taken (0: the page fit in its viewport) */
  steps: number;
  /** why it stopped ('inert': taller than its viewport, but nothing on it reacts to a scroll) */
  stop: 'fits' | 'inert' | 'bottom' | 'steps' | 'height' | 'time';
  /** the document grew while it was scrolled */
  grew: boolean;
}

interface Position {
  height: number;
  atBottom: boolean;
  /** something on the page may load or add content when it is scrolled (only on the first call) */
  reactive?: boolean;
}

const HOOK_KEY = 'fanout-crawler.scroll-reactivity';

/**
 * Runs in every document before its scripts (the renderer installs it while auto-scroll is on):
 * notes whether the page ever observes an element's visibility or listens for scrolling. Scrolling
 * a page that does neither, and has no natively lazy image or frame, changes nothing that is read,
 * while on a long page each viewport is a frame Chromium lays out and paints (on long documentation
 * pages a quarter of the crawl's throughput). What it cannot see: a script that polls the scroll
 * position on a timer or an animation frame; such a page is read as it opens (or scrolled with a
 * `{"scroll":"bottom"}` action).
 */
export const SCROLL_REACTIVITY_HOOK = `(() => {
  const seen = { observes: false, listens: false };
  try { Object.defineProperty(window, Symbol.for(${JSON.stringify(HOOK_KEY)}), { value: seen }); } catch { return; }
  const SCROLLING = new Set(['scroll', 'scrollend', 'wheel', 'mousewheel', 'touchmove']);
  try {
    const proto = window.IntersectionObserver && IntersectionObserver.prototype;
    const original = proto && proto.observe;
    if (original) proto.observe = function observe(target) { seen.observes = true; return original.call(this, target); };
  } catch {}
  try {
    const add = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function addEventListener(type, listener, options) {
      if (SCROLLING.has(String(type))) seen.listens = true;
      return add.call(this, type, listener, options);
    };
  } catch {}
})();`;

/**
 * In the page: scrolls one viewport down (not on the first call), lets a frame pass so
 * IntersectionObserver callbacks run (they follow the next rendering update; a short timer stands
 * in when no frame comes), and says where it is. A string, not a function: a transpiler that keeps
 * function names (tsx) would make a function refer to a helper the page does not have.
 */
const stepDown = (first: boolean): string => `(() => {
  const root = document.scrollingElement || document.documentElement;
  const where = () => ({ height: root ? root.scrollHeight : 0, atBottom: window.scrollY + window.innerHeight >= (root ? root.scrollHeight : 0) - 2 });
  if (${first}) {
    // Without the hook (a page the renderer did not prepare) nothing is known: scroll.
    const seen = window[Symbol.for(${JSON.stringify(HOOK_KEY)})];
    const handlers = [window, document, document.body, document.documentElement].some((t) => t && (t.onscroll || t.onwheel));
    const lazy = document.querySelector('img[loading="lazy" i], iframe[loading="lazy" i]') !== null;
    return { ...where(), reactive: !seen || seen.observes || seen.listens || handlers || lazy };
  }
  window.scrollBy(0, window.innerHeight);
  return new Promise((resolve) => {
    let done = false;
    const finish = () => { if (!done) { done = true; setTimeout(() => resolve(where()), 0); } };
    requestAnimationFrame(finish);
    setTimeout(finish, 50);
  });
})()`;

/** In the page: the document's height once the timers already due have run. */
const HEIGHT_AFTER_TIMERS = `new Promise((resolve) => setTimeout(() => { const root = document.scrollingElement || document.documentElement; resolve(root ? root.scrollHeight : 0); }, 0))`;

export async function autoscroll(page: Page, limits: AutoscrollLimits = AUTOSCROLL_LIMITS): Promise<AutoscrollResult> {
  const started = Date.now();
  const first = (await page.evaluate(stepDown(true))) as Position;
  if (first.atBottom) return { steps: 0, stop: 'fits', grew: false };
  if (first.reactive === false) return { steps: 0, stop: 'inert', grew: false };
  // Requests started since the scroll last reached the bottom.
  let requests = 0;
  const onRequest = () => {
    requests++;
  };
  page.on('request', onRequest);
  let height = first.height;
  let steps = 0;
  let stop: AutoscrollResult['stop'] = 'steps';
  try {
    while (steps < limits.maxSteps) {
      if (Date.now() - started >= limits.maxMs) {
        stop = 'time';
        break;
      }
      const at = (await page.evaluate(stepDown(false))) as Position;
      steps++;
      height = at.height;
      if (height >= limits.maxHeightPx) {
        stop = 'height';
        break;
      }
      if (!at.atBottom) continue;
      // At the bottom: a request the scroll started (a fetch for the next items) may still grow
      // the page, so wait for the network to be quiet; a scroll that started none waits for nothing.
      let after = (await page.evaluate(HEIGHT_AFTER_TIMERS)) as number;
      const left = limits.maxMs - (Date.now() - started);
      if (after <= height && requests > 0 && left > 0) {
        await page.waitForNetworkIdle({ idleTime: limits.bottomQuietMs, timeout: Math.min(limits.bottomWaitMs, left), concurrency: 0 }).catch(() => {});
        after = (await page.evaluate(HEIGHT_AFTER_TIMERS)) as number;
      }
      requests = 0;
      if (after <= height) {
        stop = 'bottom';
        break;
      }
      height = after;
    }
  } finally {
    page.off('request', onRequest);
  }
  // Back to the top: what is read (and a viewport screenshot) sees the page as it opens.
  await page.evaluate('window.scrollTo(0, 0)').catch(() => {});
  return { steps, stop, grew: height > first.height };
}
