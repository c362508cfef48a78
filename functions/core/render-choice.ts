// `render: "auto"`: which renderer a page gets, learned per page type within the job. Pure: the
// learned state lives on the job item (adapters/dynamodb/render-learning.ts), the renderers in
// adapters; this file only decides.
//
// A page type is what predicts whether a page needs scripts: the first segment of its path and the
// depth of the path (`/docs/*3`), numbers and long ids folded so `/item/123` and `/item/456` are one
// type. The first pages of a type are rendered both ways and compared (links found, main text);
// when HTTP gave the same for LEARN_SAMPLES pages the rest of the type is fetched over HTTP, with one
// page in CHECK_EVERY still checked in the browser. One difference sends the type to the browser for
// the rest of the job: missing a link a script adds costs more than a browser render.
import type { Renderer } from './vocabulary.js';

/** Pages of a type rendered both ways before the type may go to HTTP. */
export const LEARN_SAMPLES = 2;
/** Once a type is learned as HTTP, one page in this many is still checked in the browser. */
export const CHECK_EVERY = 10;
/** Page types a job learns at most (bounded item size); pages of further types go to the browser. */
export const MAX_RENDER_TYPES = 100;
/** HTTP text shorter than this share of the browser's counts as content a script added. */
export const MIN_TEXT_SHARE = 0.9;

/** What a job learned of one page type (short names: it is stored on the job item). */
export interface RenderTypeState {
  /** pages compared both ways */
  s: number;
  /** of them, pages where HTTP missed links or text the browser found */
  d: number;
  /** the verdict, once there is one */
  v?: Renderer;
}
export type RenderTypes = Record<string, RenderTypeState>;

export type RenderPlan =
  | { renderer: Renderer; reason: string }
  /** render in both and compare: the page's record is the browser's */
  | { renderer: 'compare'; reason: string };

export const RenderReason = {
  learning: 'learning: compared with http',
  check: 'check: sampled in the browser',
  learnedHttp: 'learned: http gives the same for this page type',
  learnedBrowser: 'learned: a script adds links or content on this page type',
  appShell: 'app shell: the HTML needs scripts',
  actions: 'actions need the browser',
  tooManyTypes: 'too many page types to learn',
  notHtml: 'not an HTML document',
} as const;

/** The page type of a URL: its path's first segment and depth, ids folded. */
export function pageTypeOf(url: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return '?';
  }
  const segments = path.split('/').filter(Boolean);
  const first = segments[0] ? foldSegment(segments[0]) : '';
  // A trailing file name's extension says what kind of page it is (`.html` and a directory are alike).
  return `/${first}*${segments.length}`;
}

function foldSegment(segment: string): string {
  const lower = segment.toLowerCase().slice(0, 40);
  if (/^\d+$/.test(lower)) return ':n';
  if (/^[0-9a-f-]{16,}$/.test(lower)) return ':id';
  return lower;
}

/** A stable number in [0, CHECK_EVERY) for a URL: the same URL is always or never a sample. */
function sampleSlot(url: string): number {
  let hash = 2166136261;
  for (let i = 0; i < url.length; i++) hash = Math.imul(hash ^ url.charCodeAt(i), 16777619);
  return (hash >>> 0) % CHECK_EVERY;
}

/** Which renderer a page of the job gets, from what the job has learned so far. */
export function planRender(url: string, types: RenderTypes | undefined, job: { actions?: readonly unknown[] } = {}): RenderPlan {
  if (job.actions?.length) return { renderer: 'browser', reason: RenderReason.actions };
  const known = types ?? {};
  const state = known[pageTypeOf(url)];
  if (state?.v === 'browser') return { renderer: 'browser', reason: RenderReason.learnedBrowser };
  if (state?.v === 'http') {
    return sampleSlot(url) === 0 ? { renderer: 'compare', reason: RenderReason.check } : { renderer: 'http', reason: RenderReason.learnedHttp };
  }
  if (!state && Object.keys(known).length >= MAX_RENDER_TYPES) return { renderer: 'browser', reason: RenderReason.tooManyTypes };
  return { renderer: 'compare', reason: RenderReason.learning };
}

/** What one renderer found on a page, as the comparison needs it. */
export interface RenderFacts {
  /** normalised links */
  links: readonly string[];
  /** the page's visible text, whitespace collapsed */
  text: string;
}

export interface Comparison {
  same: boolean;
  /** links the browser found that HTTP did not */
  missingLinks: number;
  /** share of the browser's words that HTTP had (1 when the browser had none) */
  textShare: number;
}

/** Whether HTTP found what the browser found: every link, and nearly all the text. */
export function compareRenders(http: RenderFacts, browser: RenderFacts): Comparison {
  const httpLinks = new Set(http.links);
  const missingLinks = new Set(browser.links.filter((link) => !httpLinks.has(link))).size;
  const browserWords = wordCount(browser.text);
  const textShare = browserWords === 0 ? 1 : Math.min(1, wordCount(http.text) / browserWords);
  return { same: missingLinks === 0 && textShare >= MIN_TEXT_SHARE, missingLinks, textShare };
}

function wordCount(text: string): number {
  const words = text.match(/\S+/g);
  return words ? words.length : 0;
}

/** The type's state after one more comparison (what the store writes, atomically). */
export function afterComparison(state: RenderTypeState | undefined, same: boolean): RenderTypeState {
  const s = (state?.s ?? 0) + 1;
  const d = (state?.d ?? 0) + (same ? 0 : 1);
  return { s, d, ...verdictOf(s, d, state?.v) };
}

/** The verdict for counts: one difference is the browser's for good; enough agreement is HTTP's. */
export function verdictOf(s: number, d: number, was?: Renderer): { v?: Renderer } {
  if (d > 0 || was === 'browser') return { v: 'browser' };
  if (s >= LEARN_SAMPLES) return { v: 'http' };
  return was ? { v: was } : {};
}

/** What an HTTP fetch of an HTML page showed about needing scripts. */
export interface ShellSignals {
  /** words of visible text in the body */
  words: number;
  /** links in the document */
  links: number;
  /** an element meant to be filled by a script (#root, #app, #__next…) is empty */
  emptyRoot: boolean;
  /** a <noscript> says JavaScript is needed */
  noscriptWarning: boolean;
  /** scripts in the document */
  scripts: number;
}

/** Below this many words and links a page with scripts has nothing of its own to show without them. */
const SHELL_MAX_WORDS = 20;
const SHELL_MAX_LINKS = 1;

/** Whether the HTML is an app shell: its content comes only after its scripts ran. */
export function looksLikeAppShell(signals: ShellSignals): boolean {
  if (signals.emptyRoot || signals.noscriptWarning) return true;
  return signals.scripts > 0 && signals.words < SHELL_MAX_WORDS && signals.links <= SHELL_MAX_LINKS;
}
