// Every rendered HTML page gets its content hash (core/changes.ts: SHA-256 of the whitespace-
// normalised main text), whatever the job asked to keep: a later `since` crawl compares with it.
// A wrapper around the renderer rather than a step inside it: the main text is the Markdown
// product's own pick of the article (markdown.ts mainTextOf), and the renderer knows no product.
import { createHash } from 'node:crypto';
import type { PageRenderer, RenderedPage, RenderOptions } from '../../core/ports.js';
import { mainTextOf } from './markdown.js';

export function contentHashOf(html: string): string | undefined {
  if (html === '') return undefined;
  try {
    return createHash('sha256').update(mainTextOf(html), 'utf8').digest('hex');
  } catch {
    // a DOM linkedom cannot parse: no hash, the page is compared by its HTML's (core/changes.ts)
    return undefined;
  }
}

export function withContentHash(renderer: PageRenderer): PageRenderer {
  return {
    async render(url: string, options: RenderOptions): Promise<RenderedPage> {
      const page = await renderer.render(url, options);
      const contentHash = contentHashOf(page.html);
      return contentHash ? { ...page, contentHash } : page;
    },
    close: () => renderer.close(),
  };
}
