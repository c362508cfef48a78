// When a site pushes back (issue 30, parts 1 and 2), seen at the site's own server:
//   - a 429 with Retry-After: N is not a result: the page is asked again no sooner than N s, and
//     its host is closed until then for every job (a second job, submitted after the 429, waits);
//   - a 503 without Retry-After backs off (core/pushback.ts DEFAULT_BACKOFF_MS);
//   - a page that stays 429 ends failed `rate limited (429)` after its free throttles and attempts;
//   - a challenge (cf-mitigated header; a "Just a moment..." page) and a 403 block page end
//     `blocked` with their blockReason, and their links are never requested.
// Each scenario has its own site (its own port: its own host for the gate). Faults are certain:
// the server answers by how many times a path was asked, not by timing.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket as CrawlClient } from './support/raw-socket.js';
import { DEFAULT_BACKOFF_MS, THROTTLES_FREE } from '../../functions/core/pushback.js';
import { crawl, paths, startTestStack, type ManifestJson } from './harness.js';
import { listenOnLoopback, type LoopbackSite } from './support/loopback.js';
import { HEADROOM, jobWaitMs, machineSpeed, stackTimings, type MachineSpeed } from './support/machine.js';

const MAX_ATTEMPTS = 2;

interface Site extends LoopbackSite {
  /** document requests as they arrived (robots.txt and favicons left out) */
  arrivals: { path: string; at: number; status: number }[];
  asked(path: string): number;
}

type Answer = (n: number, res: ServerResponse) => number;

/** A site whose paths answer by how many times each was asked (`n`, from 1); the answer returns its status. */
async function startSite(routes: Record<string, Answer>): Promise<Site> {
  const arrivals: Site['arrivals'] = [];
  const counts = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('User-agent: *\nAllow: /\n');
    }
    const route = routes[path];
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    const at = Date.now();
    if (!route) {
      arrivals.push({ path, at, status: 404 });
      return res.writeHead(404).end();
    }
    arrivals.push({ path, at, status: route(n, res) });
  });
  const site = await listenOnLoopback(server);
  return { ...site, arrivals, asked: (path) => counts.get(path) ?? 0 };
}

const page = (title: string, hrefs: string[] = [], body = '') =>
  `<!doctype html><html><head><title>${title}</title><link rel="icon" href="data:,"></head><body>${body}${hrefs.map((h) => `<a href="${h}">${h}</a>`).join(' ')}</body></html>`;

function html(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): number {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(body);
  return status;
}

type Manifest = Omit<ManifestJson, 'pages'> & {
  blocked?: number;
  mostlyBlocked?: true;
  hosts?: { host: string; navigations: number; throttled: number; blocked: number; rateNow: number }[];
  pages: (ManifestJson['pages'][number] & { state?: string; blockReason?: string })[];
  hostWaits?: number;
};

let stack: LocalStack;
let speed: MachineSpeed;
let jobWait: number;
/** the Retry-After the throttling site sends: longer than a second job takes to reach the host unhindered */
let retryAfterS: number;
const sites: Site[] = [];

beforeAll(async () => {
  speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  // A job submitted at once reaches a free host within a cold start and a render, with headroom:
  // a Retry-After longer than that means a job that did not wait would be caught asking early.
  retryAfterS = Math.max(4, Math.ceil((HEADROOM * (speed.envStartMs + speed.coldRenderMs)) / 1000));
  jobWait = jobWaitMs(timings, speed, { pages: 12 }) + (THROTTLES_FREE + MAX_ATTEMPTS) * 4_000 + retryAfterS * 1000;
  stack = await startTestStack({
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs), MAX_ATTEMPTS: String(MAX_ATTEMPTS) },
  });
});

afterAll(async () => {
  await stack?.stop();
  for (const site of sites) await site.stop();
});

async function site(routes: Record<string, Answer>): Promise<Site> {
  const s = await startSite(routes);
  sites.push(s);
  return s;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('rate limits honoured', () => {
  it('a 429 with Retry-After: N is asked again no sooner than N s, and a second job waits for that host too', async () => {
    const s = await site({
      '/slow': (n, res) => (n === 1 ? html(res, 429, page('Too many requests'), { 'retry-after': String(retryAfterS) }) : html(res, 200, page('slow'))),
      '/other': (_n, res) => html(res, 200, page('other')),
    });
    const client = await CrawlClient.connect(stack.wsUrl);
    try {
      client.send({ action: 'crawl', url: `${s.origin}/slow`, depth: 0, requestId: 'a' });
      await until(() => s.asked('/slow') >= 1, jobWait);
      const throttledAt = s.arrivals.find((a) => a.path === '/slow')!.at;
      // submitted after the 429: this job's only page is on the closed host
      client.send({ action: 'crawl', url: `${s.origin}/other`, depth: 0, requestId: 'b' });
      const done = async (requestId: string) => {
        const accepted = await client.waitFor((m) => m.type === 'accepted' && m.requestId === requestId, 60_000);
        const completed = await client.waitFor((m) => m.type === 'completed' && m.jobId === accepted.jobId, jobWait);
        return { completed, manifest: (await (await fetch(completed.manifestUrl as string)).json()) as Manifest };
      };
      const [a, b] = await Promise.all([done('a'), done('b')]);
      expect(a.completed).toMatchObject({ status: 'succeeded', pages: 1, failed: 0 });
      expect(b.completed).toMatchObject({ status: 'succeeded', pages: 1, failed: 0 });
      // the page itself: asked twice, the second time no sooner than its Retry-After
      const slow = s.arrivals.filter((x) => x.path === '/slow');
      expect(slow.map((x) => x.status)).toEqual([429, 200]);
      expect(slow[1]!.at - throttledAt).toBeGreaterThanOrEqual(retryAfterS * 1000);
      // the other job: its page waited for the host (a wait, not a failure) and reached it only after
      const other = s.arrivals.filter((x) => x.path === '/other');
      expect(other).toHaveLength(1);
      expect(other[0]!.at - throttledAt).toBeGreaterThanOrEqual(retryAfterS * 1000);
      expect(b.manifest.hostWaits ?? 0).toBeGreaterThanOrEqual(1);
      // the manifest's hosts: the throttled try counted, the host's shared rate cut below the ceiling
      const host = new URL(s.origin).host;
      expect(a.manifest.hosts).toEqual([{ host, navigations: 2, throttled: 1, blocked: 0, rateNow: expect.any(Number) }]);
      expect(a.manifest.hosts![0]!.rateNow).toBeLessThan(1000);
      expect(a.manifest.pages[0]).toMatchObject({ status: 200, title: 'slow' });
    } finally {
      client.close();
    }
  });

  it('a 503 without Retry-After backs off before it is asked again', async () => {
    const s = await site({ '/down': (n, res) => (n === 1 ? html(res, 503, page('Service unavailable')) : html(res, 200, page('up'))) });
    const run = await crawl(stack, { url: `${s.origin}/down`, depth: 0 }, jobWait);
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 1, failed: 0 });
    const down = s.arrivals.filter((x) => x.path === '/down');
    expect(down.map((x) => x.status)).toEqual([503, 200]);
    expect(down[1]!.at - down[0]!.at).toBeGreaterThanOrEqual(DEFAULT_BACKOFF_MS);
    run.client.close();
  });

  it('a page that stays 429 ends failed `rate limited (429)` after its free throttles and its attempts', async () => {
    const s = await site({
      '/': (_n, res) => html(res, 200, page('hub', ['/always'])),
      '/always': (_n, res) => html(res, 429, page('Too many requests'), { 'retry-after': '1' }),
    });
    const run = await crawl(stack, { url: `${s.origin}/`, depth: 1 }, jobWait);
    expect(run.completed).toMatchObject({ status: 'partial', pages: 1, failed: 1 });
    expect(run.manifest.errors).toEqual([{ url: `${s.origin}/always`, error: 'rate limited (429)' }]);
    // the free throttles, then one per attempt
    expect(s.asked('/always')).toBe(THROTTLES_FREE + MAX_ATTEMPTS);
    const tries = s.arrivals.filter((x) => x.path === '/always').map((x) => x.at);
    for (let i = 1; i < tries.length; i++) expect(tries[i]! - tries[i - 1]!).toBeGreaterThanOrEqual(1000);
    const host = new URL(s.origin).host;
    expect((run.manifest as Manifest).hosts).toEqual([{ host, navigations: 1 + THROTTLES_FREE + MAX_ATTEMPTS, throttled: THROTTLES_FREE + MAX_ATTEMPTS, blocked: 0, rateNow: expect.any(Number) }]);
    run.client.close();
  });
});

describe('blocks named', () => {
  it('a challenge (header or page) and a 403 block page end blocked with their reason; their links are never requested', async () => {
    const s = await site({
      '/': (_n, res) => html(res, 200, page('hub', ['/cf', '/moment', '/deny'])),
      '/cf': (_n, res) => html(res, 403, page('Checking your browser', ['/cf-child']), { 'cf-mitigated': 'challenge' }),
      '/moment': (_n, res) => html(res, 200, page('Just a moment...', ['/moment-child'])),
      '/deny': (_n, res) => html(res, 403, page('Forbidden', ['/deny-child'], '<h1>Access denied</h1>')),
      '/cf-child': (_n, res) => html(res, 200, page('child')),
      '/moment-child': (_n, res) => html(res, 200, page('child')),
      '/deny-child': (_n, res) => html(res, 200, page('child')),
    });
    const run = await crawl(stack, { url: `${s.origin}/`, depth: 2 }, jobWait);
    const manifest = run.manifest as Manifest;
    expect(run.completed).toMatchObject({ status: 'partial', pages: 1, failed: 0, blocked: 3, mostlyBlocked: true });
    expect(manifest).toMatchObject({ blocked: 3, mostlyBlocked: true, errors: [] });
    expect(paths(manifest.pages.map((p) => p.url), s.origin)).toEqual(['/', '/cf', '/deny', '/moment']);
    const reasons = Object.fromEntries(manifest.pages.map((p) => [p.url.slice(s.origin.length), [p.state, p.blockReason]]));
    expect(reasons).toEqual({ '/': [undefined, undefined], '/cf': ['blocked', 'challenge'], '/moment': ['blocked', 'challenge'], '/deny': ['blocked', 'forbidden'] });
    // never followed
    for (const child of ['/cf-child', '/moment-child', '/deny-child']) expect(s.asked(child), child).toBe(0);
    // each asked once: a block is not retried
    for (const p of ['/', '/cf', '/moment', '/deny']) expect(s.asked(p), p).toBe(1);
    const host = new URL(s.origin).host;
    expect(manifest.hosts).toEqual([{ host, navigations: 4, throttled: 0, blocked: 3, rateNow: 1000 }]);
    run.client.close();
  });
});
