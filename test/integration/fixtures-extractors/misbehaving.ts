// Extractors that go wrong in each way a user's program can: they are test fixtures, never shipped
// (extractors/index.ts does not list them).
import type { Extractor } from '../../../extractors/index.js';

export const throwing: Extractor = () => {
  throw new Error('selector .price not found');
};

/** Never answers: the renderer's per-product time budget ends it. */
export const hanging: Extractor = () => new Promise(() => {});

/** Never yields: a synchronous loop only terminating its worker thread ends. */
export const spinning: Extractor = () => {
  for (;;) {
    // nothing: the thread is busy for good
  }
};

export const cyclic: Extractor = () => {
  const node: Record<string, unknown> = { name: 'loop' };
  node.self = node;
  return node;
};

export const withFunction: Extractor = () => ({ ok: true, callback: () => 1 });

export const withBigInt: Extractor = () => ({ count: 10n });

export const tooBig: Extractor = () => ({ blob: 'x'.repeat(2 * 1024 * 1024) });

/** Runs code in the page: what scripts inserted is there. */
export const inPage: Extractor = async ({ page, status }) => ({
  status,
  paragraphs: await page.evaluate(() => document.querySelectorAll('p').length),
  late: await page.evaluate(() => document.getElementById('late')?.textContent ?? null),
});

/** How much DOM it was given: the stack cuts what an extractor reads. */
export const htmlSize: Extractor = ({ html }) => ({ bytes: Buffer.byteLength(html, 'utf8') });
