// Runs a job's actions (core/page-actions.ts) on a loaded page, in order, each bounded in time.
// What a step could not do is a note for the page record, never a page failure: a selector that is
// not on this page is skipped (the same actions run on every page of the job). A step that makes
// the page navigate away ends the steps (the rest were written for the page that is gone); the new
// document is what the renderer then settles and reads.
import type { HTTPRequest, Page } from 'puppeteer-core';
import { ACTION_LIMITS, actionNameOf, type PageAction } from '../../core/page-actions.js';

export type ActionLimits = Pick<typeof ACTION_LIMITS, 'stepTimeoutMs' | 'budgetMs'>;

/** The longest the steps of one page can take, clean-ups included (for the renderer's watchdog). */
export function actionsBudgetMs(actions: readonly PageAction[], limits: ActionLimits = ACTION_LIMITS): number {
  return actions.length === 0 ? 0 : limits.budgetMs + actions.length * (STEP_SLACK_MS + NAVIGATION_NOTICE_MS);
}

export interface ActionsResult {
  /** one line per step that was skipped or did something the reader should know */
  notes: string[];
  /** steps that ran (skipped ones excluded) */
  ran: number;
  /** the URL a step navigated the page to, if one did */
  navigatedTo?: string;
}

/** Why a step did not run; anything else it throws is the page's business, noted the same way. */
class StepSkipped extends Error {}

/** Beyond its own timeout, what a step's clean-up may take before it is abandoned. */
const STEP_SLACK_MS = 1_000;
/** After a step that may navigate (click, type, scroll), how long its navigation has to show. */
const NAVIGATION_NOTICE_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describe(action: PageAction, index: number): string {
  const name = actionNameOf(action);
  const target = 'click' in action ? action.click : 'type' in action ? action.type : 'waitFor' in action ? action.waitFor : undefined;
  return `actions[${index}] ${name}${target !== undefined ? ` ${JSON.stringify(target)}` : ''}`;
}

/** Bounds a step: past `ms` it counts as skipped, whatever it was waiting for. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StepSkipped(`did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function found(page: Page, selector: string) {
  const element = await page.$(selector).catch((error: Error) => {
    // A selector the browser cannot parse is the client's, not the page's: said as such.
    if (/is not a valid selector|SyntaxError/i.test(error.message)) throw new StepSkipped('is not a valid CSS selector');
    throw error;
  });
  if (!element) throw new StepSkipped('not found on this page');
  return element;
}

async function runStep(page: Page, action: PageAction, timeoutMs: number): Promise<void> {
  if ('scroll' in action) {
    await page.evaluate('window.scrollTo(0, (document.scrollingElement || document.documentElement).scrollHeight)');
    return;
  }
  if ('wait' in action) {
    await sleep(timeoutMs);
    return;
  }
  if ('waitFor' in action) {
    const appeared = await page.waitForSelector(action.waitFor, { timeout: timeoutMs }).catch((error: Error) => {
      if (error.name === 'TimeoutError') throw new StepSkipped(`did not appear within ${timeoutMs} ms`);
      if (/is not a valid selector|SyntaxError/i.test(error.message)) throw new StepSkipped('is not a valid CSS selector');
      throw error;
    });
    await appeared?.dispose();
    return;
  }
  if ('click' in action) {
    const element = await found(page, action.click);
    try {
      // A real click (scrolled into view, mouse events); an element that cannot take one (hidden,
      // covered, zero-sized) still gets the DOM's click, which is what most handlers listen to.
      await within(timeoutMs, element.click()).catch(() => element.evaluate((node) => (node as HTMLElement).click()));
    } finally {
      await element.dispose().catch(() => {});
    }
    return;
  }
  const element = await found(page, action.type);
  try {
    await within(timeoutMs, element.type(action.text));
  } finally {
    await element.dispose().catch(() => {});
  }
}

export async function runActions(page: Page, actions: readonly PageAction[], limits: ActionLimits = ACTION_LIMITS): Promise<ActionsResult> {
  const notes: string[] = [];
  let ran = 0;
  let navigatedTo: string | undefined;
  // A document request of the main frame means the page is leaving: seen as soon as it starts,
  // before the old document is gone (the renderer then settles and reads the new one).
  const onRequest = (request: HTTPRequest) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigatedTo ??= request.url();
  };
  page.on('request', onRequest);
  const started = Date.now();
  try {
    for (const [index, action] of actions.entries()) {
      const left = limits.budgetMs - (Date.now() - started);
      if (left <= 0) {
        notes.push(`${describe(action, index)}: skipped: the actions' time budget of ${limits.budgetMs} ms was spent`);
        continue;
      }
      // A wait waits what it asked (within the budget); any other step at most stepTimeoutMs.
      const stepMs = 'wait' in action ? Math.min(action.wait, left) : Math.min(limits.stepTimeoutMs, left);
      try {
        await within(stepMs + STEP_SLACK_MS, runStep(page, action, stepMs));
        ran++;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // A step cut short because its page went away is the navigation, said below.
        if (navigatedTo === undefined || !/context was destroyed|detached|Target closed/i.test(message)) {
          notes.push(`${describe(action, index)}: skipped: ${error instanceof StepSkipped ? message : `failed: ${message.split('\n')[0]!.slice(0, 300)}`}`);
        }
      }
      // Let a navigation the step caused be seen: its request event follows the click by a moment.
      if (navigatedTo === undefined && !('wait' in action) && !('waitFor' in action)) await sleep(NAVIGATION_NOTICE_MS);
      if (navigatedTo !== undefined) {
        const rest = actions.length - index - 1;
        notes.push(`${describe(action, index)}: navigated the page to ${navigatedTo.slice(0, 2_048)}${rest > 0 ? `; the ${rest} later action(s) were not run` : ''}`);
        break;
      }
    }
  } finally {
    page.off('request', onRequest);
  }
  return { notes, ran, ...(navigatedTo !== undefined ? { navigatedTo } : {}) };
}
