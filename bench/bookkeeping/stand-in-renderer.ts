// LOAD-TEST DOUBLE, used only by `npm run bench:bookkeeping`: a PageRenderer that renders nothing.
// It answers each URL of the generated link graph at once with a tiny document and the page's
// links, so the load test measures the crawler's bookkeeping (claim, admit, settle, finish against
// DynamoDB) and not Chromium. Never wired into a handler or a test of the product.
import type { PageRenderer, RenderedPage, RenderOptions } from '../../functions/core/ports.js';
import { linksOf, pageIndex, pageUrl, type LinkGraph } from './link-graph.js';

export class LoadTestStandInRenderer implements PageRenderer {
  rendered = 0;

  constructor(private readonly graph: LinkGraph) {}

  async render(url: string, options: RenderOptions): Promise<RenderedPage> {
    // The host-rate hook runs as it would before a navigation (no gate is configured: granted now).
    await options.beforeNavigation?.();
    this.rendered++;
    const index = pageIndex(this.graph, url);
    const links = index === null ? [] : linksOf(this.graph, index).map((i) => pageUrl(this.graph, i));
    const title = index === null ? 'not a page of the graph' : `page ${index}`;
    return {
      requestedUrl: url,
      finalUrl: url,
      documentUrl: url,
      status: index === null ? 404 : 200,
      contentType: 'text/html',
      title,
      html: `<html><head><title>${title}</title></head><body>${links.map((l) => `<a href="${l}">${l}</a>`).join('')}</body></html>`,
      links,
      redirectChain: [],
      timings: { navigationMs: 0, settleMs: 0, extractMs: 0, totalMs: 0 },
    };
  }

  async close(): Promise<void> {}
}
