// A page decides its own title and, with history.replaceState, its own URL: a 400 KB <title> or a
// 1.5 MB URL must not make the page's frontier item too large for DynamoDB (400 KB), which would
// fail its settle on every delivery. They are stored cut, with a marker; the S3 record keeps them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { STORED_TEXT_BYTES, TRUNCATION_MARKER } from '../../functions/core/limits.js';
import type { PageRecord } from '../../functions/core/ports.js';
import type { LocalStack } from '../../local/stack.js';
import { crawl, readObject, startTestStack } from './harness.js';
import { jobWaitAtLeast } from './support/machine.js';

const BIG_TITLE = 'Ü'.repeat(150_000) + 'T'.repeat(100_000); // 400,000 UTF-8 bytes
const LONG_QUERY = 'q'.repeat(1_500_000);

async function startSite(): Promise<{ origin: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const page = (title: string, body: string) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`);
    };
    switch (req.url) {
      case '/':
        return page('Home', '<a href="/big-title">big title</a> <a href="/long-url">long URL</a>');
      case '/big-title':
        return page(BIG_TITLE, '<a href="/">home</a>');
      case '/long-url':
        return page('Long URL', `<a href="/after-long-url">next</a><script>history.replaceState(null, '', '/long-url?' + 'q'.repeat(${LONG_QUERY.length}))</script>`);
      case '/after-long-url':
        return page('After the long URL', '');
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let stack: LocalStack;
let site: Awaited<ReturnType<typeof startSite>>;

beforeAll(async () => {
  [stack, site] = await Promise.all([startTestStack({ workers: 2 }), startSite()]);
});

afterAll(async () => {
  await Promise.all([stack?.stop(), site?.stop()]);
});

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

it('settles pages with a 400 KB title and a 1.5 MB URL, storing both cut with a marker', async () => {
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 2 }, await jobWaitAtLeast(180_000));
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 4, failed: 0 });
  const pages = new Map(run.manifest.pages.map((p) => [p.url.replace(site.origin, ''), p]));
  expect([...pages.keys()].sort()).toEqual(['/', '/after-long-url', '/big-title', '/long-url']);

  const bigTitle = pages.get('/big-title')!;
  expect(bytes(bigTitle.title)).toBeLessThanOrEqual(STORED_TEXT_BYTES.title);
  expect(bigTitle.title.endsWith(TRUNCATION_MARKER)).toBe(true);
  expect(BIG_TITLE.startsWith(bigTitle.title.slice(0, -TRUNCATION_MARKER.length))).toBe(true);

  const longUrl = pages.get('/long-url')!;
  expect(bytes(longUrl.finalUrl)).toBeLessThanOrEqual(STORED_TEXT_BYTES.url);
  expect(longUrl.finalUrl.startsWith(`${site.origin}/long-url?qqqq`)).toBe(true);
  expect(longUrl.finalUrl.endsWith(TRUNCATION_MARKER)).toBe(true);
  // The rewritten URL does not stop the page's links from being followed.
  expect(pages.get('/after-long-url')).toMatchObject({ depth: 2, parent: `${site.origin}/long-url` });

  // The page records in S3 keep what the browser saw, whole.
  expect((await readObject<PageRecord>(stack, bigTitle.key)).page.title).toBe(BIG_TITLE);
  expect((await readObject<PageRecord>(stack, longUrl.key)).page.finalUrl).toBe(`${site.origin}/long-url?${LONG_QUERY}`);
  await run.client.close();
});
