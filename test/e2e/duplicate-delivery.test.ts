// Every SQS message delivered twice: still one page record per URL, one fetch per document, and
// one completion.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemoSite, type DemoSite } from '../../local/demo-site.js';
import type { LocalStack } from '../../local/stack.js';
import { crawl, pageObjectKeys, paths, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitAtLeast } from './support/machine.js';

let stack: LocalStack;
let site: DemoSite;

beforeAll(async () => {
  [stack, site] = await Promise.all([startTestStack({ duplicateDelivery: true, workers: 3 }), startDemoSite()]);
});

afterAll(async () => {
  await Promise.all([stack?.stop(), site?.stop()]);
});

it('crawls each URL once and completes once when every message arrives twice', async () => {
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 2 }, await jobWaitAtLeast(150_000));
  const expected = site.documentsByDepth.slice(0, 3).flat().sort();
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: expected.length, failed: 0 });
  expect(paths(run.manifest.pages.map((p) => p.url), site.origin)).toEqual(expected);
  expect(new Set(run.manifest.pages.map((p) => p.url)).size).toBe(run.manifest.pages.length);
  expect((await pageObjectKeys(stack, run.jobId)).length).toBe(expected.length);
  // A PDF is asked twice by its one render: Chromium keeps no body of it, the document reader fetches it (adapters/browser/document-body.ts).
  for (const doc of expected) expect(site.requests.get(doc), doc).toBe(doc.endsWith('.pdf') ? 2 : 1);
  expect(await settleAndCountCompletions(run, 3000)).toBe(1);
  await run.client.close();
});
