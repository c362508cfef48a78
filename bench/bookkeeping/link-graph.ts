// The generated link graph of the bookkeeping load test: N pages, page i linking to its `fanOut`
// children fanOut·i+1 … fanOut·i+fanOut (a tree, so every page is reachable and each is new once)
// and to `backLinks` pages before it (already known: the read that skips them is exercised, as on
// a real site where most links lead to pages seen already). Pure and deterministic.

export interface LinkGraph {
  origin: string;
  pages: number;
  fanOut: number;
  backLinks: number;
}

export function pageUrl(graph: LinkGraph, index: number): string {
  return `${graph.origin}/p/${index}`;
}

/** The page's index, or null for a URL that is not a page of the graph. */
export function pageIndex(graph: LinkGraph, url: string): number | null {
  const match = new RegExp(`^${graph.origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/p/(\\d+)$`).exec(url);
  if (!match) return null;
  const index = Number(match[1]);
  return index < graph.pages ? index : null;
}

export function linksOf(graph: LinkGraph, index: number): number[] {
  const links: number[] = [];
  for (let k = 1; k <= graph.fanOut; k++) {
    const child = graph.fanOut * index + k;
    if (child < graph.pages) links.push(child);
  }
  // Back-links spread over the pages before this one (a multiplicative hash, no randomness).
  for (let k = 1; k <= graph.backLinks && index > 0; k++) links.push((index * 2_654_435_761 + k * 40_503) % index);
  return links;
}

/** Link hops from page 0 to the deepest page: the crawl depth that reaches them all. */
export function depthOf(graph: LinkGraph): number {
  let depth = 0;
  for (let last = 0; last < graph.pages - 1; last = graph.fanOut * last + graph.fanOut) depth++;
  return depth;
}
