// Documents in the real renderer (headless Chromium, a site on 127.0.0.1): a PDF and a DOCX are
// read from their bytes into text and Markdown, their title from their own metadata, their links
// followed like a page's; one announced larger than the cap is not fetched, and says why; a
// conversion that does not finish in time ends its thread and is the document's error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { MAX_DOCUMENT_BYTES, readDocument } from '../../functions/adapters/documents/document-reader.js';
import { createProductRegistry } from '../../functions/adapters/products/registry.js';
import type { Logger, RenderedPage } from '../../functions/core/ports.js';
import { makePdf } from './fixtures-documents/documents.js';
import { DOCX_PARAGRAPHS, DOCX_TITLE, PDF_LINES, PDF_TITLE, startDocumentSite, type DocumentSite } from './fixtures-documents/site.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
// Generous: the machine is shared with other test files and Chromium instances.
const timing = { navigationTimeoutMs: 20_000, settleIdleMs: 500, settleMaxMs: 5_000 };

let site: DocumentSite;
let renderer: PuppeteerRenderer;

beforeAll(async () => {
  site = await startDocumentSite({ hugeBytes: MAX_DOCUMENT_BYTES + 1024 });
  renderer = new PuppeteerRenderer({ log: quiet, products: createProductRegistry(), productTimeoutMs: 60_000 });
});

afterAll(async () => {
  await renderer?.close();
  await site?.close();
});

const render = (path: string): Promise<RenderedPage> =>
  renderer.render(`${site.origin}${path}`, { ...timing, jobId: 'documents', products: [{ name: 'markdown' }, { name: 'text' }, { name: 'screenshot' }] });

describe('documents', () => {
  it('a PDF gives its text and Markdown, its title from its metadata, its link annotations as links', async () => {
    const page = await render('/report.pdf');
    expect(page.title).toBe(PDF_TITLE);
    expect(page.document).toMatchObject({ kind: 'pdf', pages: 1 });
    expect(page.document?.bytes).toBeGreaterThan(0);
    const text = page.products?.text?.fields?.text as string;
    const markdown = page.products?.markdown?.fields?.markdown as string;
    for (const line of PDF_LINES) {
      expect(text).toContain(line);
      expect(markdown).toContain(line);
    }
    expect(markdown.startsWith(`# ${PDF_TITLE}\n`)).toBe(true);
    expect(page.links).toEqual([`${site.origin}/from-pdf`]);
    // still no screenshot of a document, and it says why
    expect(page.products?.screenshot?.skipped).toMatch(/pdf/);
  });

  it('a DOCX gives its text and Markdown (headings, links), its title from its core properties', async () => {
    for (const path of ['/notes.docx', '/download/notes.docx']) {
      const page = await render(path);
      expect(page.title, path).toBe(DOCX_TITLE);
      expect(page.document, path).toMatchObject({ kind: 'docx' });
      const text = page.products?.text?.fields?.text as string;
      const markdown = page.products?.markdown?.fields?.markdown as string;
      for (const paragraph of DOCX_PARAGRAPHS) expect(text, path).toContain(paragraph);
      expect(markdown.startsWith(`# ${DOCX_TITLE}\n\n# Decisions\n`), path).toBe(true);
      expect(markdown, path).toContain(`[the minutes](${site.origin}/from-docx)`);
      expect(page.links, path).toEqual([`${site.origin}/from-docx`]);
    }
  });

  it('a PDF larger than the cap is not read: skipped, with the reason, in the record and the products', async () => {
    const page = await render('/huge.pdf');
    expect(page.document).toMatchObject({ kind: 'pdf', skipped: expect.stringMatching(/larger than \d+ bytes/) });
    expect(page.products?.markdown?.skipped).toMatch(/larger than \d+ bytes/);
    expect(page.products?.text?.skipped).toMatch(/larger than \d+ bytes/);
    expect(page.title).toBe('');
  });
});

describe('document conversion', () => {
  it('that does not finish in time is stopped, and is the document error', async () => {
    const pdf = makePdf({ title: 'slow', lines: ['x'] });
    // no thread starts, let alone converts, in 1 ms: the limit is certain to be hit
    const reading = await readDocument({ bytes: pdf, contentType: 'application/pdf', url: 'http://127.0.0.1:9/slow.pdf' }, { timeoutMs: 1 });
    expect(reading).toMatchObject({ kind: 'pdf', error: expect.stringMatching(/did not finish within 1 ms; its thread was terminated/) });
  });

  it('of bytes that are not what their type says is an error, not a crash', async () => {
    const reading = await readDocument({ bytes: Buffer.from('%PDF-1.4 nothing else'), contentType: 'application/pdf', url: 'http://127.0.0.1:9/bad.pdf' });
    expect(reading).toMatchObject({ kind: 'pdf', error: expect.stringMatching(/^PDF not readable: /) });
  });

  it('is not attempted for a type that is not a document', async () => {
    expect(await readDocument({ bytes: Buffer.from('x'), contentType: 'image/png', url: 'http://127.0.0.1:9/a.png' })).toBeUndefined();
  });
});
