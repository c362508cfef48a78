// `since` (issue 29): a site on 127.0.0.1 changes between two crawls, and the second crawl, naming
// the first, asks each known URL conditionally first. Pages whose ETag or Last-Modified still hold
// are answered 304 and never rendered (the site counts every request, conditional or not); a page
// whose main sentence changed is `changed` with a diff that names it; one whose footer nonce alone
// changes is rendered and `unchanged` (its main-text hash is the same); one added, one gone (404)
// and one no longer linked are reported so. A cached answer repeats the report; a `since` naming
// another client's job, a running job or no job id is refused.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket as CrawlClient, type Received } from './support/raw-socket.js';
import { startTestStack } from './harness.js';
import { listenOnLoopback, type LoopbackSite } from './support/loopback.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-9876543210' };

let stack: LocalStack;
let site: LoopbackSite;
let speed: MachineSpeed;
let timings: StackTimings;
const clients: CrawlClient[] = [];

/** which version of the site is served: the second crawl sees version 2 */
let version = 1;
/** every request per path: `conditional` when it carried If-None-Match or If-Modified-Since */
const requests: { path: string; conditional: boolean; status: number }[] = [];
/** /held/ answers once this resolves: a job that stays running */
let releaseHeld!: () => void;
const held = new Promise<void>((resolve) => (releaseHeld = resolve));
let nonce = 0;
/** /r/a resets the connection while this is true (the redrive test) */
let redriveBroken = false;

const FIXED_DATE = 'Tue, 01 Dec 2026 10:00:00 GMT';
const TEA = '<p>Our shop has sold tea since 1901 and ships to every country in the world, quickly and carefully, in tins that keep it fresh.</p>';

/** A page: links in its navigation, its main text in an article, a footer that changes on every request. */
function pageHtml(title: string, main: string, links: string[]): string {
  nonce++;
  return (
    `<!doctype html><html><head><title>${title}</title><script>window.nonce = "n${nonce}";</script></head><body>` +
    `<nav>${links.map((href) => `<a href="${href}">${href}</a>`).join(' ')}</nav>` +
    `<main><article><h1>${title}</h1><p>${main}</p>${TEA}</article></main>` +
    `<footer>Served at request ${nonce}</footer></body></html>`
  );
}

function homeLinks(): string[] {
  return ['/etag', '/lastmod', '/footer', '/changed', '/gone', version === 1 ? '/dropped' : '/new'];
}

/** What each path answers in the current version: its body and the validators it sends, if any. */
function pageOf(path: string): { status: number; body: string; etag?: boolean; lastModified?: boolean } | null {
  switch (path) {
    case '/':
      return { status: 200, body: pageHtml('Home', 'Welcome to the tea shop.', homeLinks()) };
    case '/etag':
      return { status: 200, body: pageHtml('Green tea', 'Green tea is picked in spring.', ['/etag-child']), etag: true };
    case '/etag-child':
      return { status: 200, body: pageHtml('Matcha', 'Matcha is ground green tea.', []), lastModified: true };
    case '/lastmod':
      return { status: 200, body: pageHtml('Black tea', 'Black tea is fully oxidised.', []), lastModified: true };
    case '/footer':
      return { status: 200, body: pageHtml('Oolong', 'Oolong sits between green and black.', []) };
    case '/changed':
      return { status: 200, body: pageHtml('Prices', version === 1 ? 'A tin of oolong costs 10 euros.' : 'A tin of oolong costs 12 euros.', []), etag: true };
    case '/gone':
      return version === 1 ? { status: 200, body: pageHtml('White tea', 'White tea is rare.', []) } : { status: 404, body: '<!doctype html><title>Not found</title>' };
    case '/dropped':
      return version === 1 ? { status: 200, body: pageHtml('Yellow tea', 'Yellow tea is rarer still.', []) } : null;
    case '/new':
      return version === 2 ? { status: 200, body: pageHtml('Pu-erh', 'Pu-erh is aged for years.', []) } : null;
    // the redrive test's site: /r/b's sentence changes in version 2, /r/a fails for a while
    case '/r/':
      return { status: 200, body: pageHtml('Teapots', 'Teapots of clay and iron.', ['/r/a', '/r/b']) };
    case '/r/a':
      return { status: 200, body: pageHtml('Clay', 'Clay pots season with use.', []), etag: true };
    case '/r/b':
      return { status: 200, body: pageHtml('Iron', version === 1 ? 'Iron pots keep heat for an hour.' : 'Iron pots keep heat for two hours.', []) };
    default:
      return null;
  }
}

/** The ETag of a page is of its main text (stable under the footer's nonce), as a careful server's would be. */
const ETAGS: Record<string, () => string> = {
  '/etag': () => '"green-v1"',
  '/r/a': () => '"clay-v1"',
  '/changed': () => `"prices-v${version}"`,
};

function handle(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0]!;
  const conditional = req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
  const answer = (status: number, headers: Record<string, string>, body: string) => {
    requests.push({ path, conditional, status });
    res.writeHead(status, headers);
    res.end(body);
  };
  if (path === '/robots.txt') return answer(404, { 'content-type': 'text/plain' }, '');
  if (path === '/r/a' && redriveBroken) {
    requests.push({ path, conditional, status: 0 });
    res.socket?.destroy(); // a connection reset: no answer at all
    return;
  }
  if (path === '/held/') {
    void held.then(() => answer(200, { 'content-type': 'text/html' }, '<!doctype html><title>held</title>'));
    return;
  }
  const page = pageOf(path);
  if (!page) return answer(404, { 'content-type': 'text/html' }, '<!doctype html><title>Not found</title>');
  const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' };
  if (page.etag) headers.etag = ETAGS[path]!();
  if (page.lastModified) headers['last-modified'] = FIXED_DATE;
  const fresh =
    (page.etag && req.headers['if-none-match'] === headers.etag) ||
    (page.lastModified && req.headers['if-none-match'] === undefined && req.headers['if-modified-since'] === FIXED_DATE);
  if (fresh) return answer(304, headers, '');
  answer(page.status, headers, page.body);
}

beforeAll(async () => {
  site = await listenOnLoopback(createServer(handle));
  speed = await machineSpeed();
  timings = stackTimings(speed, 3);
  // One secret naming two clients (core/auth.ts): a `since` may name only its own client's jobs.
  stack = await startTestStack({
    workers: 2,
    batchSize: 3,
    authToken: JSON.stringify(TOKENS),
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { NAV_TIMEOUT_MS: String(timings.navTimeoutMs), LEASE_MS: String(timings.leaseMs), MAX_ATTEMPTS: '2' },
  });
});

afterAll(async () => {
  releaseHeld?.();
  await Promise.all(clients.map((c) => c.close()));
  await stack?.stop();
  await site?.stop();
});

async function connectAs(who: keyof typeof TOKENS): Promise<CrawlClient> {
  const client = await CrawlClient.connect(`${stack.wsUrl}/?token=${TOKENS[who]}`);
  clients.push(client);
  return client;
}

async function ask(client: CrawlClient, message: Record<string, unknown>): Promise<Received> {
  const requestId = randomUUID();
  client.send({ ...message, requestId });
  return client.waitFor((m) => m.requestId === requestId && m.type !== 'progress', replyWaitMs(speed));
}

async function crawlToEnd(client: CrawlClient, message: Record<string, unknown>, waitMs: number): Promise<{ accepted: Received; completed: Received; manifest: Record<string, unknown> }> {
  const accepted = await ask(client, { action: 'crawl', ...message });
  expect(accepted.type, JSON.stringify(accepted)).toBe('accepted');
  // By its requestId: a cached answer names a job whose own `completed` this connection already had.
  const completed = await client.waitFor((m) => m.type === 'completed' && m.requestId === accepted.requestId, accepted.cached ? replyWaitMs(speed) : waitMs);
  const manifest = (await (await fetch(completed.manifestUrl as string)).json()) as Record<string, unknown>;
  return { accepted, completed, manifest };
}

const pathsOf = (urls: string[]) => urls.map((u) => u.replace(site.origin, '')).sort();

it('asks known pages conditionally, renders none that answered 304, and reports exactly what changed', async () => {
  const alice = await connectAs('alice');
  const waitMs = jobWaitMs(timings, speed, { pages: 9 });
  const request = { url: `${site.origin}/`, depth: 2, formats: ['markdown'] };

  const first = await crawlToEnd(alice, request, waitMs);
  expect(first.completed).toMatchObject({ status: 'succeeded', pages: 8, failed: 0 });
  expect(first.completed.changes).toBeUndefined();
  const firstPages = first.manifest.pages as { url: string; etag?: string; lastModified?: string; contentHash?: string }[];
  // The validators and the main-text hash are kept per page.
  expect(firstPages.find((p) => p.url.endsWith('/etag'))).toMatchObject({ etag: '"green-v1"' });
  expect(firstPages.find((p) => p.url.endsWith('/lastmod'))).toMatchObject({ lastModified: FIXED_DATE });
  for (const page of firstPages) expect(page.contentHash, page.url).toMatch(/^[0-9a-f]{64}$/);
  expect(requests.filter((r) => r.conditional)).toEqual([]);

  // The site changes; the same crawl again, since the first.
  version = 2;
  requests.length = 0;
  const second = await crawlToEnd(alice, { ...request, since: first.accepted.jobId, maxAge: 3600 }, waitMs);
  expect(second.completed).toMatchObject({ status: 'succeeded', pages: 8, failed: 0, changes: { added: 1, changed: 1, unchanged: 5, removed: 2 } });
  const changes = second.manifest.changes as Record<string, string[]>;
  expect(pathsOf(changes.added!)).toEqual(['/new']);
  expect(pathsOf(changes.changed!)).toEqual(['/changed']);
  // `/` and /footer were rendered (no validators) and their main text is the same: the footer's nonce and the menu do not count.
  expect(pathsOf(changes.unchanged!)).toEqual(['/', '/etag', '/etag-child', '/footer', '/lastmod']);
  expect(pathsOf(changes.removed!)).toEqual(['/dropped', '/gone']);

  // Answered 304, never rendered: one request each, conditional. /etag-child is reached through
  // the links of /etag's earlier record.
  const to = (path: string) => requests.filter((r) => r.path === path);
  for (const path of ['/etag', '/lastmod', '/etag-child']) expect(to(path), path).toEqual([{ path, conditional: true, status: 304 }]);
  // Changed: asked conditionally (200), then rendered.
  expect(to('/changed')).toEqual([
    { path: '/changed', conditional: true, status: 200 },
    { path: '/changed', conditional: false, status: 200 },
  ]);
  // No validators: rendered, not asked.
  expect(to('/footer')).toEqual([{ path: '/footer', conditional: false, status: 200 }]);
  const secondPages = second.manifest.pages as { url: string; change?: string; notModified?: boolean; key: string }[];
  expect(secondPages.find((p) => p.url.endsWith('/etag'))).toMatchObject({ change: 'unchanged', notModified: true });
  expect(secondPages.find((p) => p.url.endsWith('/gone'))).toMatchObject({ change: 'removed', status: 404 });

  // pages.jsonl: each line its change; the changed page's diff names the changed sentence; an
  // unchanged page keeps its Markdown from the earlier job.
  const lines = (await (await fetch(second.completed.resultsUrl as string)).text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { url: string; change?: string; diff?: string; markdown?: string });
  const line = (path: string) => lines.find((l) => l.url === `${site.origin}${path}`)!;
  expect(line('/new').change).toBe('added');
  expect(line('/footer').change).toBe('unchanged');
  expect(line('/changed').change).toBe('changed');
  expect(line('/changed').diff).toContain('-A tin of oolong costs 10 euros.');
  expect(line('/changed').diff).toContain('+A tin of oolong costs 12 euros.');
  expect(line('/footer').diff).toBeUndefined();
  expect(line('/etag')).toMatchObject({ change: 'unchanged' });
  expect(line('/etag').markdown).toContain('Green tea is picked in spring.');

  // The same request again with maxAge: answered from the cache, with the same report.
  requests.length = 0;
  const third = await crawlToEnd(alice, { ...request, since: first.accepted.jobId, maxAge: 3600 }, waitMs);
  expect(third.completed).toMatchObject({ cached: true, jobId: second.accepted.jobId, changes: { added: 1, changed: 1, unchanged: 5, removed: 2 } });
  expect(requests).toEqual([]);

  // A `since` crawl of a `since` crawl: nothing changed since the second, and what it answered 304
  // for (its record a copy of the first's) is asked with the same validators again. /gone, 404
  // then and now, is no change.
  const fourth = await crawlToEnd(alice, { ...request, since: second.accepted.jobId }, waitMs);
  expect(fourth.completed).toMatchObject({ status: 'succeeded', pages: 8, changes: { added: 0, changed: 0, unchanged: 7, removed: 0 } });
  for (const path of ['/etag', '/lastmod', '/etag-child', '/changed']) expect(to(path), path).toEqual([{ path, conditional: true, status: 304 }]);
}, 900_000);

it("refuses a `since` naming another client's job, a running job or no job id", async () => {
  const alice = await connectAs('alice');
  const bob = await connectAs('bob');
  const request = { action: 'crawl', url: `${site.origin}/footer`, depth: 0 };
  const done = await crawlToEnd(alice, { url: request.url, depth: 0 }, jobWaitMs(timings, speed, { pages: 1 }));
  expect(done.completed).toMatchObject({ status: 'succeeded' });

  // bob cannot compare with alice's job: the answer an unknown id gets, naming `since`.
  const unknownId = randomUUID();
  const unknown = await ask(bob, { ...request, since: unknownId });
  expect(unknown).toMatchObject({ type: 'error', code: 'job_not_found' });
  expect(unknown.message).toMatch(/^since: /);
  const others = await ask(bob, { ...request, since: done.accepted.jobId });
  expect(others).toMatchObject({ type: 'error', code: 'job_not_found' });
  expect(others.message).toBe((unknown.message as string).replace(unknownId, done.accepted.jobId as string));

  // A job still running is no earlier crawl.
  const running = await ask(alice, { action: 'crawl', url: `${site.origin}/held/`, depth: 0 });
  expect(running).toMatchObject({ type: 'accepted' });
  const refused = await ask(alice, { ...request, since: running.jobId });
  expect(refused).toMatchObject({ type: 'error', code: 'job_running' });
  expect(refused.message).toMatch(/^since: /);

  // Not a job id at all.
  const malformed = await ask(alice, { ...request, since: 'yesterday' });
  expect(malformed).toMatchObject({ type: 'error', code: 'invalid_request' });
  expect(malformed.message).toMatch(/since/);
  releaseHeld();
  await alice.waitFor((m) => m.type === 'completed' && m.jobId === running.jobId, jobWaitMs(timings, speed, { pages: 1 }));
}, 300_000);

it('a redriven since-job reports its changes again, over the whole job', async () => {
  version = 1;
  const alice = await connectAs('alice');
  const waitMs = jobWaitMs(timings, speed, { pages: 3, recoveries: 2 });
  const request = { url: `${site.origin}/r/`, depth: 1, formats: ['markdown'] };
  const first = await crawlToEnd(alice, request, waitMs);
  expect(first.completed).toMatchObject({ status: 'succeeded', pages: 3 });

  // /r/b's sentence changes; /r/a fails through every attempt of the since-crawl.
  version = 2;
  redriveBroken = true;
  const second = await crawlToEnd(alice, { ...request, since: first.accepted.jobId }, waitMs);
  expect(second.completed).toMatchObject({ status: 'partial', pages: 2, failed: 1, changes: { added: 0, changed: 1, unchanged: 1, removed: 0 } });
  // a page that failed is in errors, not removed
  expect(pathsOf((second.manifest.errors as { url: string }[]).map((e) => e.url))).toEqual(['/r/a']);

  // The site heals; the redrive crawls /r/a again, asked conditionally: 304, unchanged.
  redriveBroken = false;
  requests.length = 0;
  const redrive = await ask(alice, { action: 'redrive', jobId: second.accepted.jobId });
  expect(redrive).toMatchObject({ type: 'accepted', redrive: true });
  const completed = await alice.waitFor((m) => m.type === 'completed' && m.requestId === redrive.requestId, waitMs);
  expect(completed).toMatchObject({ status: 'succeeded', pages: 3, failed: 0, changes: { added: 0, changed: 1, unchanged: 2, removed: 0 } });
  const manifest = (await (await fetch(completed.manifestUrl as string)).json()) as { changes: Record<string, string[]> };
  expect(pathsOf(manifest.changes.changed!)).toEqual(['/r/b']);
  expect(pathsOf(manifest.changes.unchanged!)).toEqual(['/r/', '/r/a']);
  expect(requests.filter((r) => r.path === '/r/a')).toEqual([{ path: '/r/a', conditional: true, status: 304 }]);
}, 600_000);
