// Cookie and consent banners answered before the page is read (crawl option `consent`), so that
// Markdown, text and screenshots show the page and not the banner. The rules are DuckDuckGo's
// autoconsent (the consent managers it knows, plus its heuristic for an explicit "reject" button);
// its page script runs in every frame of the tab from the first line of each document, finds the
// manager, and clicks reject (or accept) as the job asked. The renderer waits for its outcome,
// bounded, after the page settled and before the job's actions (page-settle.ts).
//
// The script runs in the page's own world (where its rules' page-API checks must run anyway): a
// page can see it and lie to it, which costs it nothing but its own banner. It reports to Node
// through one exposed function; nothing the page sends there is more than a note in its record.
// The decision never leaves the job: a job's pages share a browser context of their own
// (tab-lifecycle.ts), so a consent cookie one job's click set is never sent for another job.
import type { Page } from 'puppeteer-core';
import type { ConsentMode, ConsentOutcome } from '../../core/ports.js';
import { AUTOCONSENT_RULES, autoconsentScript, type AutoconsentRule } from './autoconsent-script.js';

/** While no consent manager has been seen: how long after the settle the renderer still looks. */
export const CONSENT_DETECT_MS = 1_500;
/** Once one is seen (its banner found, its buttons being clicked): how long it may take in all. */
export const CONSENT_HANDLE_MS = 6_000;
/** The buttons noted per page (a manager's opt-out may click through a few dialogs). */
const MAX_CLICKS_NOTED = 8;
/** The binding the page script reports through (page.exposeFunction). */
const BINDING = '__crawlerConsentReport';

type Lifecycle = 'waiting' | 'nothing' | 'detected' | 'found' | 'done' | 'failed';

/** What the page script sends (see PAGE_BRIDGE). */
interface ConsentReport {
  type: 'nothing' | 'detected' | 'found' | 'result' | 'done';
  cmp?: string;
  ok?: boolean;
  cosmetic?: boolean;
  clicked?: unknown;
  top?: boolean;
}

/**
 * Runs before autoconsent's script, in every document: answers its `init` with the config and
 * rules in the page (no round trip per frame), and passes what it finds on to the binding. The
 * clicks it makes are noted by a capturing listener while it runs an opt-out or opt-in, so the
 * record says which button was pressed.
 */
function pageBridge(config: object, rules: readonly AutoconsentRule[]): string {
  return `(() => {
  const report = window[${JSON.stringify(BINDING)}];
  if (typeof report !== 'function' || window.autoconsentSendMessage) return;
  const config = ${JSON.stringify(config)};
  const rules = { autoconsent: ${JSON.stringify(rules)} };
  const top = window.top === window;
  let running = false;
  const clicked = [];
  const label = (node) => {
    if (!node || typeof node !== 'object') return '';
    const text = (node.innerText || node.value || (node.getAttribute && (node.getAttribute('aria-label') || node.getAttribute('title'))) || '').trim();
    return (text || (node.id ? '#' + node.id : String(node.tagName || '').toLowerCase())).replace(/\\s+/g, ' ').slice(0, 80);
  };
  addEventListener('click', (event) => {
    if (running && !event.isTrusted && clicked.length < ${MAX_CLICKS_NOTED}) clicked.push(label(event.target));
  }, true);
  const answer = (message) => setTimeout(() => { try { window.autoconsentReceiveMessage(message); } catch {} }, 0);
  const send = (message) => { try { report(message); } catch {} };
  window.autoconsentSendMessage = (message) => {
    if (!message || typeof message !== 'object') return Promise.resolve();
    switch (message.type) {
      case 'init': answer({ type: 'initResp', config, rules }); break;
      // every rule's page checks run inline (isMainWorld): an eval request is not expected
      case 'eval': answer({ type: 'evalResp', id: message.id, result: false }); break;
      case 'report': {
        const lifecycle = message.state && message.state.lifecycle;
        running = lifecycle === 'runningOptOut' || lifecycle === 'runningOptIn';
        if (lifecycle === 'nothingDetected') send({ type: 'nothing', top });
        // a manager is on the page but its banner was not shown (prehide undone without a popup)
        else if (lifecycle === 'cmpDetected' && message.state.prehideOn === false) send({ type: 'nothing', top });
        break;
      }
      case 'cmpDetected': send({ type: 'detected', cmp: message.cmp, top }); break;
      case 'popupFound': send({ type: 'found', cmp: message.cmp, top }); break;
      case 'optOutResult': case 'optInResult': send({ type: 'result', cmp: message.cmp, ok: message.result === true, clicked: clicked.slice(), top }); break;
      case 'autoconsentDone': send({ type: 'done', cmp: message.cmp, cosmetic: message.isCosmetic === true, clicked: clicked.slice(), top }); break;
    }
    return Promise.resolve();
  };
})();`;
}

/**
 * The rules that can apply to a page at `url`: every generic rule, the site-specific ones whose
 * pattern matches it, and the ones that run in frames (a consent manager's frame is on its own
 * host). About 200 of the package's 800 rules: the rest are for named sites.
 */
export function rulesFor(url: string): AutoconsentRule[] {
  return AUTOCONSENT_RULES.filter((rule) => {
    const pattern = rule.runContext?.urlPattern;
    if (!pattern || rule.runContext?.frame === true) return true;
    try {
      return new RegExp(pattern).test(url);
    } catch {
      return false;
    }
  });
}

/** The page script's config (the package's Config type, lib/types.ts). */
function configFor(mode: 'reject' | 'accept'): object {
  return {
    enabled: true,
    autoAction: mode === 'reject' ? 'optOut' : 'optIn',
    disabledCmps: [],
    // the banner is hidden from the first paint while its manager is answered
    enablePrehide: true,
    prehideTimeout: CONSENT_HANDLE_MS,
    enableCosmeticRules: true,
    enableGeneratedRules: true,
    // a manager that appears later than this after DOMContentLoaded is not waited for (each retry ~500 ms)
    detectRetries: 2,
    isMainWorld: true,
    // Its heuristic clicks an explicit "reject" button of an unknown banner; it cannot accept.
    enableHeuristicDetection: mode === 'reject',
    heuristicMode: mode === 'reject' ? 'reject' : 'off',
    enablePopupMutationObserver: false,
    visualTest: false,
    logs: { lifecycle: false, rulesteps: false, detectionsteps: false, evals: false, errors: false, messages: false, waits: false },
  };
}

/** One tab's consent handling: set up before navigation, asked for its outcome after the settle. */
export class ConsentWatch {
  private state: Lifecycle = 'waiting';
  private cmp: string | undefined;
  private clicked: string[] = [];
  private cosmetic = false;
  private wake: (() => void) | undefined;

  private constructor(private readonly mode: 'reject' | 'accept') {}

  /** Injects the bridge and autoconsent into every document of the tab; none for `leave`. */
  static async prepare(page: Page, mode: ConsentMode | undefined, url: string): Promise<ConsentWatch | undefined> {
    const action = mode ?? 'reject';
    if (action === 'leave') return undefined;
    const watch = new ConsentWatch(action);
    const script = await autoconsentScript();
    await page.exposeFunction(BINDING, (report: unknown) => watch.take(report));
    await page.evaluateOnNewDocument(pageBridge(configFor(action), rulesFor(url)) + '\n' + script);
    return watch;
  }

  /**
   * Waits (bounded) for the outcome: CONSENT_DETECT_MS while no manager was seen, CONSENT_HANDLE_MS
   * in all once one was; `scale` stretches both on a slow machine (tests).
   */
  async outcome(scale = 1): Promise<ConsentOutcome> {
    const started = Date.now();
    for (;;) {
      if (this.state === 'done' || this.state === 'failed' || this.state === 'nothing') break;
      const seen = this.state === 'detected' || this.state === 'found';
      const left = started + (seen ? CONSENT_HANDLE_MS : CONSENT_DETECT_MS) * scale - Date.now();
      if (left <= 0) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.record();
  }

  private record(): ConsentOutcome {
    const action = this.mode;
    const base = { action, ...(this.cmp ? { cmp: this.cmp } : {}), ...(this.clicked.length > 0 ? { clicked: this.clicked } : {}) };
    switch (this.state) {
      case 'done':
        return { ...base, result: this.cosmetic ? 'hidden' : action === 'reject' ? 'rejected' : 'accepted' };
      case 'failed':
        return { ...base, result: 'failed' };
      case 'found':
        return { ...base, result: 'timeout' };
      default:
        // no manager, or one present whose banner was not shown
        return { ...base, result: 'none' };
    }
  }

  /** A report from the page (untrusted: only its known fields, bounded, are kept). */
  private take(raw: unknown): void {
    if (!raw || typeof raw !== 'object') return;
    const report = raw as ConsentReport;
    const cmp = typeof report.cmp === 'string' ? report.cmp.slice(0, 100) : undefined;
    const final = this.state === 'done' || this.state === 'failed';
    switch (report.type) {
      case 'nothing':
        // only the top document's "nothing" ends the wait: a manager's frame may still answer
        if (report.top === true && (this.state === 'waiting' || this.state === 'detected')) this.state = 'nothing';
        break;
      case 'detected':
        if (!final && this.state !== 'found') {
          this.state = 'detected';
          this.cmp = cmp;
        }
        break;
      case 'found':
        if (!final) {
          this.state = 'found';
          this.cmp = cmp;
        }
        break;
      case 'result':
        // a successful step of an intermediate manager is followed by the next one's `done`
        if (report.ok !== true && !final) this.state = 'failed';
        this.cmp = cmp ?? this.cmp;
        this.noteClicks(report.clicked);
        break;
      case 'done':
        this.state = 'done';
        this.cmp = cmp ?? this.cmp;
        this.cosmetic = report.cosmetic === true;
        this.noteClicks(report.clicked);
        break;
    }
    this.wake?.();
  }

  private noteClicks(clicked: unknown): void {
    if (!Array.isArray(clicked)) return;
    for (const label of clicked) {
      if (typeof label === 'string' && this.clicked.length < MAX_CLICKS_NOTED && !this.clicked.includes(label.slice(0, 80))) this.clicked.push(label.slice(0, 80));
    }
  }
}
