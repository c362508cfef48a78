// Only real HTTP redirects make aliases. A page that rewrites its own URL with
// history.replaceState (/products?page=2 → /products) is recorded with that URL as its finalUrl,
// but /products stays a page of its own: crawled when found later, not skipped as a duplicate.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { clientsFor, crawl, paths, startTestStack } from './harness.js';
import { jobWaitAtLeast } from './support/machine.js';

const GATE_LIMIT_MS = 120_000;

interface AliasSite {
  origin: string;
  requests: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * `/gate` links to /products and /target, and answers only once the pages that could alias them
 * (/products?page=2 and /old) are settled: the links are then found after any alias was written.
 */
async function startAliasSite(settled: (urls: string[]) => Promise<boolean>): Promise<AliasSite> {
  const requests = new Map<string, number>();
  let origin = '';
  const html = (res: ServerResponse, title: string, body: string) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`);
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    switch (path) {
      case '/':
        return html(res, 'Home', '<a href="/products?page=2">page 2</a> <a href="/old">old</a> <a href="/gate">gate</a>');
      case '/products?page=2':
        return html(res, 'Products, page 2', `<a href="/p2-only">only on page 2</a><script>history.replaceState(null, '', '/products')</script>`);
      case '/products':
        return html(res, 'Products', '<a href="/">home</a>');
      case '/p2-only':
        return html(res, 'Only on page 2', '');
      case '/old':
        res.writeHead(301, { location: '/target' });
        return res.end();
      case '/target':
        return html(res, 'Target', '');
      case '/gate': {
        const began = Date.now();
        const open = async (): Promise<void> => {
          if (!(await settled([`${origin}/products?page=2`, `${origin}/old`])) && Date.now() - began < GATE_LIMIT_MS) {
            await new Promise((resolve) => setTimeout(resolve, 200));
            return open();
          }
        };
        void open().then(() => html(res, 'Gate', '<a href="/products">all products</a> <a href="/target">target</a>'));
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        return res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let stack: LocalStack;
let site: AliasSite;

beforeAll(async () => {
  // The gate holds its answer while other pages settle: room for that in the navigation timeout.
  stack = await startTestStack({ workers: 2, env: { NAV_TIMEOUT_MS: String(GATE_LIMIT_MS + 30_000) } });
  const { dynamo } = clientsFor(stack);
  site = await startAliasSite(async (urls) => {
    const result = await dynamo.send(new ScanCommand({ TableName: stack.resources.frontierTable, ConsistentRead: true }));
    const states = new Map((result.Items ?? []).map((item) => [item.url?.S, item.state?.S]));
    return urls.every((url) => states.get(url) === 'done' || states.get(url) === 'failed');
  });
});

afterAll(async () => {
  await Promise.all([stack?.stop(), site?.stop()]);
});

it('records a replaceState page under its own URL and still crawls the URL it rewrote itself to', async () => {
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 2 }, await jobWaitAtLeast(240_000));
  const pages = new Map(run.manifest.pages.map((p) => [p.url.replace(site.origin, ''), p]));
  expect([...pages.keys()].sort()).toEqual(['/', '/gate', '/old', '/p2-only', '/products', '/products?page=2'].sort());
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 6, failed: 0 });

  // The client-side rewrite is recorded as the tab showed it, and aliases nothing.
  expect(pages.get('/products?page=2')).toMatchObject({ finalUrl: `${site.origin}/products`, title: 'Products, page 2', depth: 1 });
  expect(pages.get('/products')).toMatchObject({ finalUrl: `${site.origin}/products`, title: 'Products', depth: 2, parent: `${site.origin}/gate` });
  // The HTTP redirect still stands for its target: /target, linked again from /gate, is not crawled twice.
  expect(pages.get('/old')).toMatchObject({ finalUrl: `${site.origin}/target`, title: 'Target' });
  expect(site.requests.get('/target')).toBe(1);
  expect(site.requests.get('/products')).toBe(1);
  expect(paths(run.manifest.levels.flat(), site.origin)).toEqual([...pages.keys()].sort());
  expect(run.manifest.errors).toEqual([]);
  await run.client.close();
});
