// Extractors run by the real renderer in headless Chromium on pages served on 127.0.0.1: the shipped
// `metadata` and `article` give the expected JSON, and an extractor that throws, hangs or answers
// something that is not JSON is an error for that page's extractor only: the page, its other
// products and the next pages are fine. Extractors run in worker threads: one that never yields is
// terminated at the budget, and a heavy page (40,000 same-named meta tags) does not stall another
// page rendered beside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { fileURLToPath } from 'node:url';
import { ExtractProduct } from '../../functions/adapters/products/extract.js';
import { ExtractorThreads } from '../../functions/adapters/products/extractor-threads.js';
import { createProductRegistry, EXTRACTOR_NAMES, productRequests } from '../../functions/adapters/products/registry.js';
import type { Logger, ProductRequest, RenderedPage } from '../../functions/core/ports.js';
import { extractors } from '../../extractors/index.js';
import { startContentSite, type ContentSite } from './fixtures-content/site.js';
import * as misbehaving from './fixtures-extractors/misbehaving.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const timing = { navigationTimeoutMs: 20_000, settleIdleMs: 500, settleMaxMs: 5_000 };
/** Long enough for a real extractor on a busy machine, short enough for the hanging one to be waited out. */
const PRODUCT_TIMEOUT_MS = 8_000;

let site: ContentSite;
let renderer: PuppeteerRenderer;
const threads = new ExtractorThreads({ modules: [fileURLToPath(new URL('./fixtures-extractors/misbehaving.ts', import.meta.url))] });

beforeAll(async () => {
  site = await startContentSite();
  renderer = new PuppeteerRenderer({
    log: quiet,
    products: createProductRegistry({ extractors: { ...extractors, ...misbehaving }, extractorThreads: threads }),
    productTimeoutMs: PRODUCT_TIMEOUT_MS,
  });
});

afterAll(async () => {
  await renderer?.close();
  await threads.close();
  await site?.close();
});

const at = (path: string) => `${site.origin}${path}`;
const render = (path: string, products: ProductRequest[]): Promise<RenderedPage> => renderer.render(at(path), { ...timing, products });
const extract = (path: string, name: string) => render(path, [{ name: 'extract', option: name }]).then((page) => page.products?.extract);

it('ships metadata and article, and the registry lists them', () => {
  expect(EXTRACTOR_NAMES).toEqual(['article', 'metadata']);
  expect(productRequests({ jobId: 'j1', formats: ['html', 'markdown', 'archive'], extract: 'metadata' })).toEqual([
    { name: 'markdown' },
    { name: 'archive', option: 'j1' },
    { name: 'extract', option: 'metadata' },
  ]);
});

describe('metadata', () => {
  it('reads canonical URL, description, language, Open Graph, Twitter card and the JSON-LD blocks', async () => {
    const output = await extract('/articles/fan-out', 'metadata');
    expect(output).toEqual({
      fields: {
        data: {
          url: at('/articles/fan-out'),
          canonical: at('/articles/fan-out'),
          title: 'Fan-out crawling',
          description: 'How a fan-out crawler keeps exact accounts.',
          language: 'en-GB',
          openGraph: {
            title: 'Fan-out crawling (OG)',
            type: 'article',
            image: ['https://cdn.example.test/a.png', 'https://cdn.example.test/b.png'],
          },
          twitter: { card: 'summary_large_image', site: '@crawler' },
          jsonLd: [
            {
              '@context': 'https://schema.org',
              '@type': 'NewsArticle',
              headline: 'Fan-out crawling, exactly once',
              author: [
                { '@type': 'Person', name: 'Ada Lovelace' },
                { '@type': 'Person', name: 'Alan Turing' },
              ],
              datePublished: '2026-11-30T09:00:00Z',
              publisher: { '@type': 'Organization', name: 'Crawler Weekly' },
            },
            { '@context': 'https://schema.org', '@type': 'BreadcrumbList', itemListElement: [] },
          ],
          jsonLdInvalid: 1,
        },
      },
    });
  });

  it('answers nulls and empty groups for a page that declares nothing (language from the header)', async () => {
    const output = await extract('/bare', 'metadata');
    expect(output?.fields?.data).toEqual({
      url: at('/bare'),
      canonical: null,
      title: null,
      description: null,
      language: 'fr',
      openGraph: {},
      twitter: {},
      jsonLd: [],
    });
  });
});

describe('article', () => {
  it('takes headline, authors and date from JSON-LD and the body from the rendered article', async () => {
    const output = await extract('/articles/fan-out', 'article');
    const data = output?.fields?.data as Record<string, unknown>;
    expect(data).toMatchObject({
      url: at('/articles/fan-out'),
      headline: 'Fan-out crawling, exactly once',
      author: ['Ada Lovelace', 'Alan Turing'],
      datePublished: '2026-11-30T09:00:00Z',
      dateModified: null,
      publisher: 'Crawler Weekly',
      description: 'How a fan-out crawler keeps exact accounts.',
    });
    const body = data.body as string;
    expect(body).toContain('Serverless crawlers fan out work');
    expect(body).toContain('Script-inserted paragraph');
    expect(body).not.toContain('Careers');
    expect(body).not.toContain('Copyright Footer Corp');
    expect(data.wordCount).toBe(body.split(/\s+/).length);
  });

  it('falls back to what a page without JSON-LD has', async () => {
    const output = await extract('/plain', 'article');
    expect(output?.fields?.data).toMatchObject({ headline: 'plain', author: [], datePublished: null, publisher: null });
  });
});

describe('an extractor that misbehaves fails its own product on that page, nothing else', () => {
  it.each([
    ['throwing', 'extractor "throwing" failed: selector .price not found'],
    ['hanging', `extract did not finish within ${PRODUCT_TIMEOUT_MS} ms`],
    ['spinning', `extract did not finish within ${PRODUCT_TIMEOUT_MS} ms`],
    ['cyclic', 'extractor "cyclic" returned something that is not JSON: a cycle at $.self'],
    ['withFunction', 'extractor "withFunction" returned something that is not JSON: a function at $.callback'],
    ['withBigInt', 'extractor "withBigInt" returned something that is not JSON: a BigInt at $.count'],
    ['tooBig', /^extractor "tooBig" returned \d+ bytes of JSON, more than the 1048576 allowed$/],
  ] as const)('%s', async (name, error) => {
    const page = await render('/articles/fan-out', [{ name: 'text' }, { name: 'extract', option: name }]);
    expect(page.status).toBe(200);
    expect(page.title).toBe('Fan-out crawling');
    expect(page.links.length).toBeGreaterThan(0);
    expect(page.products?.text?.fields?.text).toContain('Script-inserted paragraph');
    expect(Object.keys(page.products?.extract ?? {})).toEqual(['error']);
    if (typeof error === 'string') expect(page.products?.extract?.error).toBe(error);
    else expect(page.products?.extract?.error).toMatch(error);
    // the next page with a working extractor is unaffected
    expect((await extract('/plain', 'inPage'))?.fields?.data).toEqual({ status: 200, paragraphs: 2, late: null });
  });

  it('an extractor can evaluate in the live page and sees what scripts inserted', async () => {
    const output = await extract('/articles/fan-out', 'inPage');
    expect(output?.fields?.data).toMatchObject({ status: 200, late: expect.stringContaining('Script-inserted paragraph') });
  });
});

describe('extractors run in worker threads', () => {
  it('one that never yields is terminated at the budget; the next page reuses no dead thread', async () => {
    const before = { ...threads.counts };
    const page = await render('/articles/fan-out', [{ name: 'extract', option: 'spinning' }]);
    expect(page.status).toBe(200);
    expect(page.products?.extract).toEqual({ error: `extract did not finish within ${PRODUCT_TIMEOUT_MS} ms` });
    expect(threads.counts.terminated).toBe(before.terminated + 1);
    expect((await extract('/plain', 'inPage'))?.fields?.data).toEqual({ status: 200, paragraphs: 2, late: null });
  });

  it('40,000 same-named meta tags beside a page that never yields its extractor and a plain page: all three end, each with its own result', async () => {
    const before = { ...threads.counts };
    // Were extractors on the crawler's event loop, `spinning` would block it for good: no page of
    // the batch, nor the budget's own timer, could ever finish.
    const [heavy, hostile, beside] = await Promise.all([
      render('/many-meta', [{ name: 'extract', option: 'metadata' }]),
      render('/articles/fan-out', [{ name: 'extract', option: 'spinning' }]),
      render('/plain', [{ name: 'text' }]),
    ]);
    expect(beside.status).toBe(200);
    expect(beside.products?.text?.fields?.text).toContain('visible');
    expect(hostile.status).toBe(200);
    expect(hostile.products?.extract).toEqual({ error: `extract did not finish within ${PRODUCT_TIMEOUT_MS} ms` });
    expect(threads.counts.terminated).toBe(before.terminated + 1);
    const data = heavy.products?.extract?.fields?.data as { description: string | null; openGraph: { image: string[] } };
    expect(data.description).toBe('d0');
    expect(data.openGraph.image).toHaveLength(40_000);
    expect(data.openGraph.image[39_999]).toBe('i39999');
  });

  it('gets the DOM cut to its byte cap', async () => {
    const product = new ExtractProduct('htmlSize', threads, { maxHtmlBytes: 1024 });
    const context = { url: 'http://x.test/', finalUrl: 'http://x.test/', status: 200, contentType: 'text/html', headers: {}, html: 'ü'.repeat(10_000) };
    expect(await product.collect(undefined as never, context)).toEqual({ fields: { data: { bytes: 1024 } } });
  });
});
