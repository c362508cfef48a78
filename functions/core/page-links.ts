// The links of a stored page that a crawl follows: in scope, normalised, each once. The same rule
// as the worker's (app/crawl-page.ts, childrenOf), applied to a record stored earlier, so a crawl
// built upon an earlier one continues from exactly the links a fresh crawl would follow.
import { seedsOfJob, type JobRecord } from './job.js';
import type { RenderedPage } from './ports.js';
import { makeSeedsScope } from './scope.js';
import { normaliseLink } from './url.js';

export type ScopedJob = Pick<JobRecord, 'url' | 'seeds' | 'scope' | 'include' | 'exclude'>;

/**
 * The page's in-scope links (normalised, without the page itself, first occurrence first). None
 * for an error page (4xx/5xx) or a page whose document left the scope through a redirect.
 */
export function followedLinks(job: ScopedJob, pageUrl: string, page: RenderedPage, maxUrlLength: number): string[] {
  if (page.status !== null && page.status >= 400) return [];
  const inScope = makeSeedsScope({ seeds: seedsOfJob(job), scope: job.scope, include: job.include, exclude: job.exclude });
  const documentUrl = normaliseLink(documentUrlOf(page), documentUrlOf(page), maxUrlLength);
  if (documentUrl === null || !inScope(documentUrl)) return [];
  const seen = new Set<string>([pageUrl, documentUrl]);
  const links: string[] = [];
  for (const href of page.links) {
    const url = normaliseLink(href, documentUrl, maxUrlLength);
    if (url === null || seen.has(url) || !inScope(url)) continue;
    seen.add(url);
    links.push(url);
  }
  return links;
}

/** Where the page's document came from (see crawl-page.ts): records before documentUrl trust the tab's URL only after a redirect. */
function documentUrlOf(page: RenderedPage): string {
  return page.documentUrl ?? (page.redirectChain.length > 0 ? page.finalUrl : page.requestedUrl);
}
