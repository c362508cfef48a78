// PNGs of the rendered page: the viewport as a visitor first sees it, and the whole page down to a
// height cap (a clip: an endless page must not make an endless image). Only HTML documents: a PDF
// or an image is not rendered by the page's own code, and its bytes are already the content.
import type { Page } from 'puppeteer-core';
import type { ProductFile, ProductOutput } from '../../core/ports.js';
import { documentKind, isHtmlDocument } from './content-cap.js';
import type { PageProduct, ProductContext } from './page-product.js';

/** The full-page PNG stops here (CSS pixels). */
export const MAX_FULL_PAGE_HEIGHT = 10_000;

export interface ScreenshotOptions {
  maxFullPageHeight?: number;
}

export class ScreenshotProduct implements PageProduct {
  readonly name = 'screenshot';
  constructor(private readonly options: ScreenshotOptions = {}) {}

  async collect(tab: Page | null, context: ProductContext): Promise<ProductOutput> {
    if (!tab) return { skipped: 'no screenshot without a browser (render: "http")' };
    if (!isHtmlDocument(context.contentType, context.html)) return { skipped: `no screenshot of a ${documentKind(context.contentType)} document` };
    const maxHeight = this.options.maxFullPageHeight ?? MAX_FULL_PAGE_HEIGHT;
    const viewport = tab.viewport() ?? (await tab.evaluate(() => ({ width: window.innerWidth, height: window.innerHeight })));
    const viewportPng = await tab.screenshot({ type: 'png' });
    const pageHeight = await tab.evaluate(() =>
      Math.max(document.documentElement?.scrollHeight ?? 0, document.body?.scrollHeight ?? 0, window.innerHeight),
    );
    const height = Math.min(pageHeight, maxHeight);
    // The clip keeps the viewport's width: a page that overflows sideways is not widened.
    const fullPng = await tab.screenshot({ type: 'png', clip: { x: 0, y: 0, width: viewport.width, height }, captureBeyondViewport: true });
    const files: ProductFile[] = [
      { name: 'screenshot', extension: 'png', contentType: 'image/png', body: viewportPng },
      { name: 'screenshot-full', extension: 'png', contentType: 'image/png', body: fullPng },
    ];
    return {
      files,
      fields: {
        screenshotSize: { width: viewport.width, height: viewport.height },
        fullPageSize: { width: viewport.width, height, ...(pageHeight > height ? { clippedFrom: pageHeight } : {}) },
      },
    };
  }
}
