// The links of a page that a crawl follows: in scope, normalised, each once. One rule for the
// worker's fresh render (app/admit-children.ts) and for a record stored earlier, so a crawl built upon
// an earlier one continues from exactly the links a fresh crawl would follow.
import { seedsOfJob, type JobRecord } from './job.js';
import { DEFAULT_MAX_LINKS_PER_PAGE } from './limits.js';
import type { RenderedPage } from './ports.js';
import { makeSeedsScope } from './scope.js';
import { normaliseLink } from './url.js';

export type ScopedJob = Pick<JobRecord, 'url' | 'seeds' | 'scope' | 'include' | 'exclude'>;

/**
 * The page's in-scope links (normalised, without the page itself, first occurrence first). None
 * for an error page (4xx/5xx) or a page whose document left the scope through a redirect.
 */
export function followedLinks(job: ScopedJob, pageUrl: string, page: RenderedPage, maxUrlLength: number): string[] {
  return inScopeLinks(job, pageUrl, page, maxUrlLength) ?? [];
}

/**
 * The links a page adds to its crawl: the first `maxLinksPerPage` of its followed links, in
 * document order. `dropped` counts the rest: the followed links past the cap, and the links the
 * browser only counted (page.linksOmitted, whatever their scope: they were never read). The same
 * rule for a fresh render, a retried parent and a crawl built upon an earlier one, so each sees
 * the same children.
 */
export function linksToFollow(
  job: ScopedJob,
  pageUrl: string,
  page: RenderedPage,
  limits: { maxUrlLength: number; maxLinksPerPage?: number },
): { links: string[]; dropped: number } {
  const all = inScopeLinks(job, pageUrl, page, limits.maxUrlLength);
  if (all === null) return { links: [], dropped: 0 };
  const cap = limits.maxLinksPerPage ?? DEFAULT_MAX_LINKS_PER_PAGE;
  const links = all.length > cap ? all.slice(0, cap) : all;
  return { links, dropped: all.length - links.length + (page.linksOmitted ?? 0) };
}

/** The in-scope links, or null for a page whose links are not followed at all. */
function inScopeLinks(job: ScopedJob, pageUrl: string, page: RenderedPage, maxUrlLength: number): string[] | null {
  if (page.status !== null && page.status >= 400) return null;
  const inScope = makeSeedsScope({ seeds: seedsOfJob(job), scope: job.scope, include: job.include, exclude: job.exclude });
  // The document the browser loaded, not the address bar: a pushState URL (maybe megabytes long,
  // maybe another path) says nothing about where the page's links lead.
  const documentUrl = normaliseLink(documentUrlOf(page), documentUrlOf(page), maxUrlLength);
  // A redirect that left the scope: the page is recorded, but its links are not ours to follow.
  if (documentUrl === null || !inScope(documentUrl)) return null;
  const seen = new Set<string>([pageUrl, documentUrl]);
  const links: string[] = [];
  for (const href of page.links) {
    // hrefs are absolute already (the browser resolved them against the document's base URL)
    const url = normaliseLink(href, documentUrl, maxUrlLength);
    if (url === null || seen.has(url) || !inScope(url)) continue;
    seen.add(url);
    links.push(url);
  }
  return links;
}

/**
 * Where the page's document came from: the end of its HTTP redirects (or of a navigation the page
 * made to another document). Records stored before documentUrl existed have only the tab's URL,
 * trusted only when a redirect happened.
 */
export function documentUrlOf(page: RenderedPage): string {
  return page.documentUrl ?? (page.redirectChain.length > 0 ? page.finalUrl : page.requestedUrl);
}
