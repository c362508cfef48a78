// Which renderer makes a page, and the page it made: the job's `render` option, and under `auto`
// the plan of core/render-choice.ts from what the job learned so far (read with the job's settings:
// no extra read per page). A learning or check page is fetched over HTTP first, then rendered in
// the browser; the comparison is counted on the job (RenderLearning) and the browser's page is kept.
// An HTTP answer that is an app shell goes to the browser whatever the plan.
//
// Politeness: a compared page asks its host twice (the fetch at the slot, the browser right after);
// only the first pages of each type and one in CHECK_EVERY after are compared.
import { PageFailedError } from '../core/errors.js';
import { HostSlotDeferredError } from '../core/host-rate.js';
import type { JobRecord } from '../core/job.js';
import type { FetchedRender, HttpRendering, PageFacts, RenderedPage, RenderOptions } from '../core/ports.js';
import { compareRenders, pageTypeOf, planRender, RenderReason } from '../core/render-choice.js';
import { normaliseUrl } from '../core/url.js';
import type { WorkerDeps } from './deps.js';

/** The page as the job's render mode makes it, with `renderer` (and under auto `renderReason`) set. */
export async function renderForJob(job: JobRecord, url: string, options: RenderOptions, deps: WorkerDeps): Promise<RenderedPage> {
  const http = deps.httpRenderer;
  if (job.render === 'http' && http) return http.render(url, options);
  if (job.render !== 'auto' || !http) return inBrowser(url, options, deps);
  return renderAuto(job, url, options, http, deps);
}

async function renderAuto(job: JobRecord, url: string, options: RenderOptions, http: HttpRendering, deps: WorkerDeps): Promise<RenderedPage> {
  const plan = planRender(url, job.renderTypes, job);
  if (plan.renderer === 'browser') return inBrowser(url, options, deps, plan.reason);
  // The browser's products only for a page the browser keeps: the fetch makes none yet.
  const { products: _later, ...fetchOptions } = options;
  let fetched: FetchedRender;
  try {
    fetched = await http.fetch(url, fetchOptions);
  } catch (error) {
    // The host's slot not given: nothing was asked, the URL waits (crawl-page.ts).
    if (error instanceof HostSlotDeferredError || !(error instanceof PageFailedError)) throw error;
    // Some servers refuse a client that is not a browser: the browser has its own try.
    return inBrowser(url, withoutSlot(options), deps, `http failed: ${error.message}`);
  }
  // A PDF, an image, a redirect to one: nothing a script would change.
  if (!fetched.facts) return withReason(await fetched.withProducts(options), RenderReason.notHtml);
  const type = pageTypeOf(url);
  const afterFetch = withoutSlot(options);
  if (fetched.facts.appShell) {
    await learn(job, type, false, deps);
    return inBrowser(url, afterFetch, deps, RenderReason.appShell);
  }
  if (plan.renderer === 'http') return withReason(await fetched.withProducts(options), plan.reason);
  // Learning or a check: the browser renders it too, and what each found is compared.
  const browser = await inBrowser(url, afterFetch, deps, plan.reason);
  const comparison = compareRenders(factsForComparison(fetched.facts, job, deps), factsForComparison(http.factsOf(browser), job, deps));
  await learn(job, type, comparison.same, deps);
  const verdict = comparison.same
    ? 'http gave the same'
    : `http missed ${comparison.missingLinks} link(s)${comparison.textShare < 1 ? `, had ${Math.round(comparison.textShare * 100)}% of the text` : ''}`;
  deps.log.info('page type compared', { jobId: job.jobId, url, type, same: comparison.same, missingLinks: comparison.missingLinks, textShare: comparison.textShare });
  return { ...browser, renderReason: `${plan.reason}; ${verdict}` };
}

/** In the browser, the page record saying so (and why, under auto). */
async function inBrowser(url: string, options: RenderOptions, deps: WorkerDeps, reason?: string): Promise<RenderedPage> {
  const page = await deps.renderer.render(url, options);
  return { ...page, renderer: 'browser', ...(reason !== undefined ? { renderReason: reason } : {}) };
}

function withReason(page: RenderedPage, reason: string): RenderedPage {
  return { ...page, renderReason: reason };
}

/** The host's slot was taken by the fetch: the browser's request right after does not take another. */
function withoutSlot(options: RenderOptions): RenderOptions {
  const { beforeNavigation: _taken, ...rest } = options;
  return rest;
}

/** Links normalised as the crawl normalises them (the same page's links compare equal), and the text. */
function factsForComparison(facts: PageFacts, job: JobRecord, deps: WorkerDeps): { links: string[]; text: string } {
  const links: string[] = [];
  for (const href of facts.links) {
    const normalised = normaliseUrl(href, undefined, deps.limits.maxUrlLength);
    if (normalised.ok) links.push(normalised.url);
  }
  return { links, text: facts.text };
}

/** Counts the comparison on the job; a failed write only delays the learning (the next page compares again). */
async function learn(job: JobRecord, type: string, same: boolean, deps: WorkerDeps): Promise<void> {
  if (!deps.renderLearning) return;
  await deps.renderLearning.record(job.jobId, type, same).catch((error: unknown) =>
    deps.log.warn('could not record what the page type needs; the next page of it compares again', { jobId: job.jobId, type, error: String(error) }),
  );
}
