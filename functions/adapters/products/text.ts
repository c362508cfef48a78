// The page's visible text as the browser lays it out (innerText: hidden elements left out, block
// elements on their own lines), read from the live settled tab.
import type { Page } from 'puppeteer-core';
import type { ProductOutput } from '../../core/ports.js';
import { capWithMarker, documentKind, isHtmlDocument, MAX_CONTENT_BYTES, truncationMarker } from './content-cap.js';
import { documentOutput } from './document-output.js';
import type { PageProduct, ProductContext } from './page-product.js';
import { htmlText } from '../http/html-page.js';

export interface TextOptions {
  maxBytes?: number;
}

export class TextProduct implements PageProduct {
  readonly name = 'text';
  constructor(private readonly options: TextOptions = {}) {}

  async collect(tab: Page | null, context: ProductContext): Promise<ProductOutput> {
    if (context.document) return documentOutput(context.document, 'text', 'text', this.options.maxBytes);
    if (!isHtmlDocument(context.contentType, context.html)) return { skipped: `no text of a ${documentKind(context.contentType)} document` };
    const maxBytes = this.options.maxBytes ?? MAX_CONTENT_BYTES;
    // Without a browser (render: "http") the text is read from the document as delivered.
    const read = tab
      ? await readInTab(tab, maxBytes)
      : ((text: string) => ({ text: text.length > maxBytes ? text.slice(0, maxBytes) : text, cut: text.length > maxBytes }))(htmlText(context.html));
    const text = read.text.replace(/\n{3,}/g, '\n\n').trim();
    const capped = capWithMarker(text, 'text', maxBytes);
    const truncated = capped.truncated || read.cut;
    const content = !capped.truncated && read.cut ? text + truncationMarker('text', maxBytes) : capped.content;
    return { fields: { text: content, ...(truncated ? { textTruncated: true } : {}) } };
  }
}

/** innerText of the settled tab, cut in the page first (a character is at least one UTF-8 byte), so a huge page does not cross the DevTools socket whole. */
function readInTab(tab: Page, maxBytes: number): Promise<{ text: string; cut: boolean }> {
    return tab.evaluate((maxChars: number) => {
      const text = document.body ? document.body.innerText : (document.documentElement?.textContent ?? '');
      return { text: text.length > maxChars ? text.slice(0, maxChars) : text, cut: text.length > maxChars };
    }, maxBytes);
}
