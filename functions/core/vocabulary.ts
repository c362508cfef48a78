// The words a crawl is told in, shared by the job record (job.ts), the wire protocol (messages.ts)
// and the ports (ports.ts): a job's statuses, its scopes, what it keeps of a page and what it may
// skip. They live apart from those three, and import nothing, so that none of the three has to
// import another for them (the import graph stays a tree: test/unit/import-graph.test.ts).

export const JobStatus = {
  running: 'running',
  /** one worker won the transition and is writing the manifest */
  finishing: 'finishing',
  succeeded: 'succeeded',
  partial: 'partial',
  cancelled: 'cancelled',
  failed: 'failed',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];
export type FinalStatus = 'succeeded' | 'partial' | 'cancelled' | 'failed';

export const Scope = {
  /** same host as the seed (default) */
  host: 'host',
  /** the seed's host and its subdomains */
  domain: 'domain',
  /** same host and path starting with the seed's directory */
  prefix: 'prefix',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

/**
 * Kinds of subresource a link-only crawl can skip (puppeteer's resource types). Scripts and
 * fetch/XHR are never skippable: they are what inserts links.
 */
export const BLOCKABLE_RESOURCES = ['image', 'font', 'media', 'stylesheet'] as const;
export type BlockableResource = (typeof BLOCKABLE_RESOURCES)[number];

/**
 * What a crawl may keep of each page (the contract's `formats`). `html` is the page record as it
 * always was; the others are page products made from the same rendered tab.
 */
export const FORMATS = ['html', 'markdown', 'text', 'screenshot', 'archive'] as const;
export type Format = (typeof FORMATS)[number];
export const DEFAULT_FORMATS: readonly Format[] = ['html'];
/**
 * What the browser does with a cookie or consent banner before it reads a page (the contract's
 * `consent`): press its reject button (the default), its accept button, or leave it as shown.
 */
export const CONSENT_MODES = ['reject', 'accept', 'leave'] as const;
export type ConsentMode = (typeof CONSENT_MODES)[number];

/** Formats whose content goes into the job's pages.jsonl (with an extractor's output). */
export const CONTENT_FORMATS: readonly Format[] = ['markdown', 'text', 'screenshot'];

/**
 * How a page of a `since` crawl compares with the earlier job (DESIGN.md "Sites change"): new to it,
 * its main text changed, the same, or gone (404/410, or no longer reached).
 */
export const CHANGE_KINDS = ['added', 'changed', 'unchanged', 'removed'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
/** `completed.changes`: how many URLs of each kind */
export type ChangeCounts = Record<ChangeKind, number>;

/**
 * How a crawl's pages are rendered (the contract's `render`): `browser` (default) in Chromium,
 * `http` fetched and parsed without a browser, `auto` learned per page type within the job.
 */
export const RENDER_MODES = ['browser', 'http', 'auto'] as const;
export type RenderMode = (typeof RENDER_MODES)[number];
/** What made a page (its record's `renderer`). */
export type Renderer = 'browser' | 'http';
