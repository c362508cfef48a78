// An extractor runs on whatever a page serves: 40,000 same-named <meta> tags made the shipped
// `metadata` extractor spend tens of seconds on the crawler's event loop (metaTags was quadratic),
// and another client's page in the same batch timed out with it. Through the whole stack (the
// bundled crawler runs its extractors in worker threads of its own bundle), two jobs at once in one
// crawler environment: the heavy page's metadata is right and the other job's page is crawled.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { connectClient, doneWithin } from './support/test-client.js';
import { startTestStack } from './harness.js';
import { jobWaitAtLeast } from './support/machine.js';
import { listenOnLoopback } from './support/loopback.js';

const TAGS = 40_000;
const manyMeta = `<!doctype html><html><head><title>many meta</title><meta name="description" content="d0">${Array.from({ length: TAGS }, (_, i) => `<meta property="og:image" content="i${i}">`).join('')}</head><body><p>meta</p></body></html>`;

async function startSite(): Promise<{ origin: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    if (req.url === '/many-meta') return res.end(manyMeta);
    res.end(`<!doctype html><title>other ${req.url}</title><p>another client's page</p>`);
  });
  return listenOnLoopback(server);
}

let stack: LocalStack;
let site: Awaited<ReturnType<typeof startSite>>;

beforeAll(async () => {
  // one crawler environment: both jobs' pages are rendered by the same process
  [stack, site] = await Promise.all([startTestStack({ workers: 1 }), startSite()]);
});

afterAll(async () => {
  await Promise.all([stack?.stop(), site?.stop()]);
});

async function jsonLines(url: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

it('40,000 same-named meta tags beside another job: both crawled, the metadata right', async () => {
  const wait = await jobWaitAtLeast(180_000, 4);
  const [heavyClient, otherClient] = await Promise.all([connectClient(stack.wsUrl), connectClient(stack.wsUrl)]);
  const [heavyJob, otherJob] = await Promise.all([
    heavyClient.crawl({ url: `${site.origin}/many-meta`, depth: 0, extract: 'metadata', autoscroll: false }),
    otherClient.crawl({ url: `${site.origin}/other`, depth: 0, formats: ['text'], autoscroll: false }),
  ]);
  const [heavy, other] = (await Promise.all([doneWithin(heavyClient, heavyJob, wait), doneWithin(otherClient, otherJob, wait)])).map((r) => r.completed);
  expect(other).toMatchObject({ status: 'succeeded', pages: 1, failed: 0 });
  expect((await jsonLines(other!.resultsUrl as string))[0]?.text).toContain("another client's page");

  expect(heavy).toMatchObject({ status: 'succeeded', pages: 1, failed: 0 });
  const [line] = await jsonLines(heavy!.resultsUrl as string);
  const data = line?.data as { description: string; openGraph: { image: string[] } };
  expect(data.description).toBe('d0');
  expect(data.openGraph.image).toHaveLength(TAGS);
  expect(data.openGraph.image[TAGS - 1]).toBe(`i${TAGS - 1}`);
  await Promise.all([heavyClient.close(), otherClient.close()]);
});
