// The local stack lets the browser reach test sites on 127.0.0.1 (ALLOW_PRIVATE_TARGETS), but not
// what else the machine exposes: cloud metadata (169.254.169.254, fd00:ec2::254) and the stack's
// own services (DynamoDB Local, the SQS+S3 emulator, the gateway and its console), whose APIs take
// writes with the local stack's well-known credentials. Asked as seeds, each ends as a refused page
// with the policy's reason; asked by a page's script, the request never connects.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { crawl, startTestStack } from './harness.js';
import { jobWaitAtLeast } from './support/machine.js';

let stack: LocalStack;
let site: Server;
let other: Server;
let origin: string;
let otherOrigin: string;
const otherHits: string[] = [];

/** A page whose title says whether a no-cors fetch of `target` connected (opaque answer) or was refused. */
const probe = (target: string) =>
  `<!doctype html><title>probing</title><script>fetch(${JSON.stringify(target)}, { mode: 'no-cors' }).then(() => { document.title = 'reached'; }, () => { document.title = 'refused'; });</script>`;

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  other = createServer((req, res) => {
    otherHits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('another local service');
  });
  otherOrigin = await listen(other);
  stack = await startTestStack({ workers: 1 });
  site = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') return void res.writeHead(404).end();
    const pages: Record<string, string> = {
      '/': '<!doctype html><title>home</title><a href="/to-dynamodb">1</a> <a href="/to-gateway">2</a> <a href="/to-other">3</a>',
      '/to-dynamodb': probe(`${stack.endpoints.dynamodb}/`),
      '/to-gateway': probe(`${new URL(stack.wsUrl.replace(/^ws/, 'http')).origin}/`),
      '/to-other': probe(`${otherOrigin}/from-page`),
    };
    if (!pages[path]) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html' }).end(pages[path]);
  });
  origin = await listen(site);
});

afterAll(async () => {
  await stack?.stop();
  for (const server of [site, other]) {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
});

it("refuses metadata addresses and the stack's own ports, as seeds and from a page, while the test sites on 127.0.0.1 crawl", async () => {
  const gateway = new URL(stack.wsUrl.replace(/^ws/, 'http')).origin;
  const refused = {
    'http://169.254.169.254/latest/meta-data/': /^blocked: http:\/\/169\.254\.169\.254\/latest\/meta-data\/: 169\.254\.169\.254 is a cloud metadata address$/,
    'http://[fd00:ec2::254]/latest/meta-data/': /^blocked: http:\/\/\[fd00:ec2::254\]\/latest\/meta-data\/: fd00:ec2::254 is a cloud metadata address$/,
    'http://169.254.1.1/': /^blocked: http:\/\/169\.254\.1\.1\/: 169\.254\.1\.1 is in the linkLocal range$/,
    [`${stack.endpoints.dynamodb}/`]: /^blocked: http:\/\/127\.0\.0\.1:\d+\/: 127\.0\.0\.1:\d+ is one of the stack's own services$/,
    [`${stack.endpoints.sqs}/`]: /is one of the stack's own services$/,
    [`${gateway}/`]: /is one of the stack's own services$/,
  };
  const seeds = [`${origin}/`, `${otherOrigin}/seed`, ...Object.keys(refused)];
  const run = await crawl(stack, { urls: seeds, depth: 1 }, await jobWaitAtLeast(180_000));

  // The test sites crawl: the site's pages, and the other local service (a seed of its own).
  const titles = Object.fromEntries(run.manifest.pages.map((p) => [p.url.replace(origin, ''), p.title]));
  expect(Object.keys(titles).sort()).toEqual([`${otherOrigin}/seed`, '/', '/to-dynamodb', '/to-gateway', '/to-other'].sort());
  // A page's script reaches another local port, but neither DynamoDB Local nor the gateway.
  expect(titles).toMatchObject({ '/to-dynamodb': 'refused', '/to-gateway': 'refused', '/to-other': 'reached' });
  expect(otherHits).toContain('/from-page');

  // Each refused seed is an error naming the policy's reason, not a timeout or a page.
  const errors = Object.fromEntries(run.manifest.errors.map((e) => [e.url, e.error]));
  expect(Object.keys(errors).sort()).toEqual(Object.keys(refused).sort());
  for (const [url, reason] of Object.entries(refused)) expect(errors[url], url).toMatch(reason);
  expect(run.completed).toMatchObject({ status: 'partial', pages: 5, failed: Object.keys(refused).length });
  await run.client.close();
});
