// The content products (markdown, text, screenshot) made by the real renderer in headless Chromium
// from pages served on 127.0.0.1: what scripts add is in them, boilerplate is not, a PDF or an image
// has no screenshot and says why, a huge page is capped with a marker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { MAX_CONTENT_BYTES } from '../../functions/adapters/products/content-cap.js';
import { createProductRegistry } from '../../functions/adapters/products/registry.js';
import { MAX_FULL_PAGE_HEIGHT } from '../../functions/adapters/products/screenshot.js';
import type { Logger, ProductFile, ProductRequest, RenderedPage } from '../../functions/core/ports.js';
import { startContentSite, type ContentSite } from './fixtures-content/site.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
// Generous: the machine is shared with other test files and Chromium instances.
const timing = { navigationTimeoutMs: 20_000, settleIdleMs: 500, settleMaxMs: 5_000 };
const VIEWPORT = { width: 1280, height: 900 };

let site: ContentSite;
let renderer: PuppeteerRenderer;

beforeAll(async () => {
  site = await startContentSite();
  renderer = new PuppeteerRenderer({ log: quiet, products: createProductRegistry(), productTimeoutMs: 60_000 });
});

afterAll(async () => {
  await renderer?.close();
  await site?.close();
});

const render = (path: string, products: ProductRequest[]): Promise<RenderedPage> => renderer.render(`${site.origin}${path}`, { ...timing, products });

function pngSize(file: ProductFile | undefined): { width: number; height: number } {
  expect(file).toBeDefined();
  const bytes = Buffer.from(file!.body as Uint8Array);
  expect([...bytes.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('markdown', () => {
  let markdown: string;
  beforeAll(async () => {
    const page = await render('/articles/fan-out', [{ name: 'markdown' }]);
    markdown = page.products?.markdown?.fields?.markdown as string;
  });

  it('holds the article, with what a script inserted after load', () => {
    expect(markdown).toMatch(/^# Fan-out crawling/);
    expect(markdown).toContain('Serverless crawlers fan out work');
    expect(markdown).toContain('Script-inserted paragraph: this sentence exists only after the page ran its JavaScript');
  });

  it('leaves navigation, footer, sidebar and the cookie banner out', () => {
    for (const boilerplate of ['About us', 'Careers', 'Copyright Footer Corp', 'Privacy policy', 'Some other story', 'cookies']) {
      expect(markdown).not.toContain(boilerplate);
    }
  });

  it('writes the table and the code block as GFM Markdown, with absolute links', () => {
    expect(markdown).toContain('| Counter | Meaning |\n| --- | --- |\n| admitted | URLs accepted into the frontier |\n| settled | URLs finished |');
    expect(markdown).toContain('```ts\nconst outstanding = admitted - settled;\nif (outstanding === 0) finish();\n```');
    expect(markdown).toContain(`[relative link to the notes](${site.origin}/articles/notes/accounting)`);
  });
});

describe('text', () => {
  it('is the visible text of the rendered page, script-inserted content included', async () => {
    const page = await render('/articles/fan-out', [{ name: 'text' }]);
    const text = page.products?.text?.fields?.text as string;
    expect(text).toContain('Script-inserted paragraph');
    expect(text).toContain('admitted\tURLs accepted into the frontier');
    // innerText is the whole visible page, boilerplate included
    expect(text).toContain('Copyright Footer Corp');
  });

  it('leaves out what is not displayed', async () => {
    const page = await render('/plain', [{ name: 'text' }]);
    expect(page.products?.text).toEqual({ fields: { text: 'Hello visible world.' } });
  });
});

describe('screenshot', () => {
  it('is a PNG of the viewport and one of the full page', async () => {
    const page = await render('/articles/fan-out', [{ name: 'screenshot' }]);
    const output = page.products?.screenshot;
    expect(output?.files?.map((f) => [f.name, f.extension, f.contentType])).toEqual([
      ['screenshot', 'png', 'image/png'],
      ['screenshot-full', 'png', 'image/png'],
    ]);
    expect(pngSize(output?.files?.[0])).toEqual(VIEWPORT);
    expect(output?.fields?.screenshotSize).toEqual(VIEWPORT);
    const full = pngSize(output?.files?.[1]);
    expect(full.width).toBe(VIEWPORT.width);
    expect(full.height).toBeGreaterThanOrEqual(VIEWPORT.height);
    expect(output?.fields?.fullPageSize).toEqual(full);
  });

  it('clips a very tall page at the height cap', async () => {
    const page = await render('/tall', [{ name: 'screenshot' }]);
    const output = page.products?.screenshot;
    expect(pngSize(output?.files?.[1])).toEqual({ width: VIEWPORT.width, height: MAX_FULL_PAGE_HEIGHT });
    expect(output?.fields?.fullPageSize).toEqual({ width: VIEWPORT.width, height: MAX_FULL_PAGE_HEIGHT, clippedFrom: 15_000 });
  });

  it('is skipped, with the reason, for a PDF and for an image; so are the Markdown and text of a PDF without text', async () => {
    const pdf = await render('/doc.pdf', [{ name: 'screenshot' }, { name: 'markdown' }, { name: 'text' }]);
    // the PDF is read (test/integration/browser-documents.test.ts), but its one page is blank
    expect(pdf.document).toMatchObject({ kind: 'pdf', pages: 1 });
    expect(pdf.products).toEqual({
      screenshot: { skipped: 'no screenshot of a application/pdf document' },
      markdown: { skipped: 'no text in this PDF document (a scan holds only images)' },
      text: { skipped: 'no text in this PDF document (a scan holds only images)' },
    });
    const image = await render('/image.png', [{ name: 'screenshot' }]);
    expect(image.products).toEqual({ screenshot: { skipped: 'no screenshot of a image/png document' } });
  });
});

describe('a huge page', () => {
  it('has its Markdown and text capped, each with a marker', async () => {
    const page = await render('/huge', [{ name: 'markdown' }, { name: 'text' }]);
    const markdown = page.products?.markdown?.fields;
    const text = page.products?.text?.fields;
    expect(markdown?.markdownTruncated).toBe(true);
    expect(text?.textTruncated).toBe(true);
    for (const [content, what] of [
      [markdown?.markdown as string, 'Markdown'],
      [text?.text as string, 'text'],
    ] as const) {
      expect(content.startsWith(what === 'Markdown' ? '# huge\n\nLorem ipsum' : 'Huge\n\nLorem ipsum')).toBe(true);
      expect(content.endsWith(`[… ${what} truncated: longer than ${MAX_CONTENT_BYTES} bytes]\n`)).toBe(true);
      expect(Buffer.byteLength(content)).toBeLessThan(MAX_CONTENT_BYTES + 100);
    }
  });
});
