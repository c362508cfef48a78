// What an extractor receives and returns. An extractor is a module in this folder whose default
// export is an `Extractor`, listed in ./index.ts; a job chooses one with `extract: "<name>"`.

/**
 * The live, settled tab, as an extractor sees it from its worker thread: `evaluate(fn, ...args)`
 * runs `fn` in the page, as puppeteer's does; `fn` travels as its source text (it may not close
 * over the extractor's variables) and its arguments and result as JSON.
 */
export interface ExtractorPage {
  evaluate<Args extends unknown[], Result>(fn: (...args: Args) => Result, ...args: Args): Promise<Awaited<Result>>;
}

export interface ExtractorInput {
  /** the live, settled tab: `page.evaluate(…)` runs code in the page (bounded by the job's product time budget) */
  page: ExtractorPage;
  /**
   * the serialised DOM after the page settled (what scripts inserted is in it), cut to the stack's
   * extractMaxHtmlKb; '' for non-HTML documents
   */
  html: string;
  /** the URL asked for, and the one the tab shows after redirects */
  url: string;
  finalUrl: string;
  /** the main document's HTTP status and response headers (lower-case names) */
  status: number | null;
  headers: Record<string, string>;
}

/**
 * Returns JSON (objects, arrays, strings, finite numbers, booleans, null), at most 1 MiB once
 * serialised. A throw, a hang past the time budget, or anything else (a function, a cycle, a
 * BigInt, undefined) is recorded as that page's extractor error; the job goes on. Each runs in a
 * worker thread of the crawler, terminated at the time budget: a loop that never ends costs that
 * page's extractor result, nothing else.
 */
export type Extractor = (input: ExtractorInput) => unknown | Promise<unknown>;
