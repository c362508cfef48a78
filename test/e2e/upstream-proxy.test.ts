// Crawls through an upstream proxy that demands Proxy-Authorization, through the whole local stack:
// the stack's own list (UPSTREAM_PROXIES) and a crawl's own `proxy` (the stack allows it here).
// Every document request of the crawl is relayed by the proxy, with the right credentials; a wrong
// password fails the pages with an error that names the proxy (masked), not the site; and no
// password is in the results, the stack's tables, its logs or the messages the client got.
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { startUpstreamProxy, type UpstreamProxyStub } from '../support/upstream-proxy.js';
import { clientsFor, crawl, paths, startTestStack } from './harness.js';
import { listenOnLoopback, type LoopbackSite } from './support/loopback.js';
import { jobWaitMs, machineSpeed, stackTimings } from './support/machine.js';

const STACK_PASSWORD = 'stack-proxy-pa55';
const CRAWL_PASSWORD = 'crawl-proxy-pa55';
const WRONG_PASSWORD = 'wrong-proxy-pa55';
const SECRETS = [STACK_PASSWORD, CRAWL_PASSWORD, WRONG_PASSWORD, ...[STACK_PASSWORD, CRAWL_PASSWORD, WRONG_PASSWORD].map((p) => Buffer.from(p).toString('base64'))];

let stack: LocalStack;
let site: LoopbackSite;
let stackProxy: UpstreamProxyStub;
let crawlProxy: UpstreamProxyStub;
const hits: { path: string; via?: string }[] = [];
const lines: string[] = [];
/** every message the tests' clients received */
const received: unknown[] = [];

const PAGES: Record<string, string> = {
  '/': '<title>home</title><a href="/a">a</a> <a href="/b">b</a>',
  '/a': '<title>a</title><a href="/b">b</a><img src="/pixel.png">',
  '/b': '<title>b</title><a href="/">home</a>',
};

beforeAll(async () => {
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.push({ path, ...(req.headers.via ? { via: String(req.headers.via) } : {}) });
    if (PAGES[path]) return res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>${PAGES[path]}`);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  site = await listenOnLoopback(server);
  stackProxy = await startUpstreamProxy('stack-user', STACK_PASSWORD);
  crawlProxy = await startUpstreamProxy('crawl-user', CRAWL_PASSWORD);
  const timings = stackTimings(await machineSpeed(), 3);
  stack = await startTestStack({
    log: (line) => lines.push(line),
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { UPSTREAM_PROXIES: stackProxy.url, ALLOW_CRAWL_PROXY: 'true', NAV_TIMEOUT_MS: String(timings.navTimeoutMs) },
  });
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([site?.stop(), stackProxy?.close(), crawlProxy?.close()]);
});

async function waitMs(pages: number): Promise<number> {
  const speed = await machineSpeed();
  return jobWaitMs(stackTimings(speed, 3), speed, { pages });
}

/** The documents (pages) the site served: every hit but robots.txt (tunnelled, so the proxy adds no Via) and the image. */
const documentHits = () => hits.filter((hit) => hit.path !== '/robots.txt' && hit.path !== '/pixel.png');
const reset = () => {
  hits.length = 0;
  stackProxy.relayed.length = 0;
  crawlProxy.relayed.length = 0;
};

it("relays every document request of a crawl through the stack's proxy, with its credentials", async () => {
  reset();
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 2 }, await waitMs(3));
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 3, failed: 0 });
  expect(paths(run.manifest.pages.map((p) => p.url), site.origin)).toEqual(['/', '/a', '/b']);
  expect(documentHits().length).toBeGreaterThanOrEqual(3);
  for (const hit of documentHits()) expect(hit, hit.path).toMatchObject({ via: '1.1 upstream-stub' });
  const relayed = stackProxy.relayed.filter((r) => r.method === 'GET');
  for (const page of ['/', '/a', '/b']) expect(relayed).toContainEqual({ method: 'GET', target: `${site.origin}${page}`, authorized: true });
  // the page's subresources went the same way
  expect(relayed).toContainEqual({ method: 'GET', target: `${site.origin}/pixel.png`, authorized: true });
  // and the crawler's own fetch of robots.txt: a tunnel through the same proxy (never straight to the site)
  const robotsHits = hits.filter((hit) => hit.path === '/robots.txt').length;
  const tunnels = stackProxy.relayed.filter((r) => r.method === 'CONNECT' && r.target === site.origin.replace('http://', '') && r.authorized).length;
  expect(robotsHits).toBeGreaterThanOrEqual(1);
  expect(robotsHits).toBeLessThanOrEqual(tunnels);
  expect(relayed.every((r) => r.authorized)).toBe(true);
  expect(crawlProxy.relayed).toEqual([]);
  received.push(...run.client.received);
  await run.client.close();
});

it("sends a crawl with its own `proxy` through that proxy, not the stack's", async () => {
  reset();
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 1, proxy: crawlProxy.url }, await waitMs(3));
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 3, failed: 0 });
  for (const hit of documentHits()) expect(hit, hit.path).toMatchObject({ via: '1.1 upstream-stub' });
  const relayed = crawlProxy.relayed.filter((r) => r.method === 'GET');
  for (const page of ['/', '/a', '/b']) expect(relayed).toContainEqual({ method: 'GET', target: `${site.origin}${page}`, authorized: true });
  // robots.txt is the stack's fetch, shared by every crawl: it may go through the stack's proxy, the pages may not
  expect(stackProxy.relayed.filter((r) => r.method === 'GET')).toEqual([]);
  received.push(...run.client.received);
  await run.client.close();
});

it('fails the pages when the proxy refuses the credentials, naming the proxy (masked), not the site', async () => {
  reset();
  const wrong = `http://crawl-user:${WRONG_PASSWORD}@127.0.0.1:${crawlProxy.port}`;
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 1, proxy: wrong }, await waitMs(1));
  expect(run.completed).toMatchObject({ status: 'failed', pages: 0, failed: 1 });
  expect(run.manifest.errors).toEqual([
    { url: `${site.origin}/`, error: expect.stringContaining(`upstream proxy http://***@127.0.0.1:${crawlProxy.port} refused the credentials it was given (407 Proxy Authentication Required)`) },
  ]);
  expect(documentHits()).toEqual([]);
  expect(crawlProxy.relayed.filter((r) => r.target === `${site.origin}/`).length).toBeGreaterThanOrEqual(1);
  expect(crawlProxy.relayed.every((r) => !r.authorized)).toBe(true);
  received.push(...run.client.received);
  await run.client.close();
});

it('leaves no password in the results, the tables, the logs or the client messages', async () => {
  const { s3, dynamo } = clientsFor(stack);
  const texts: string[] = [];
  let token: string | undefined;
  do {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: stack.resources.bucket, ...(token ? { ContinuationToken: token } : {}) }));
    for (const { Key } of listed.Contents ?? []) {
      const body = await s3.send(new GetObjectCommand({ Bucket: stack.resources.bucket, Key: Key! }));
      texts.push(Buffer.from((await body.Body?.transformToByteArray()) ?? []).toString('latin1'));
    }
    token = listed.NextContinuationToken;
  } while (token);
  expect(texts.length).toBeGreaterThan(3);
  const tables = [stack.resources.jobsTable, stack.resources.frontierTable, stack.resources.connectionsTable, stack.resources.secretsTable];
  for (const table of tables) texts.push(JSON.stringify((await dynamo.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? []));
  expect(lines.length).toBeGreaterThan(10);
  expect(received.length).toBeGreaterThanOrEqual(6);
  const where = { results: texts.join('\n'), logs: lines.join('\n'), messages: JSON.stringify(received) };
  for (const secret of SECRETS) for (const [place, text] of Object.entries(where)) expect(text.includes(secret), `${secret} in ${place}`).toBe(false);
  // the logs name the proxy masked where they name it at all
  expect(where.logs).not.toContain('crawl-user:');
  expect(where.logs).not.toContain('stack-user:');
});
