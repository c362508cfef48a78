// Politeness, measured where it matters: at the crawled site's server. The per-host gate spaces the
// navigations of every job and crawler environment of the stack; the server records when each
// document request arrives.
//
// Two things are checked. The gate's own promise, on the slots it granted (instants a navigation
// may start, read from the workers' `navigation slot` debug lines): spaced by the interval plus its
// allowance (core/host-rate.ts), every navigation after its slot. And what the site saw: the server
// gets each request some milliseconds after its slot — the worker's timer fires, Chromium sends, the
// egress proxy forwards — and that lag varies with the load of this 2-core machine (a fresh-clone
// run at load ~25 saw three arrivals within 638 ms of slots 1,200 ms apart). So arrival spacing is
// asserted to within the spread of the lag this run measured (at least JITTER_MS), never to within
// a margin guessed for a quiet machine.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { crawl, paths, settleAndCountCompletions, startTestStack } from './harness.js';
import { RawSocket } from './support/raw-socket.js';
import { jobWaitMs, machineSpeed, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

const JITTER_MS = 50;

interface Site {
  origin: string;
  /** arrival instants (ms) of document requests, in order, with their paths */
  arrivals: { path: string; at: number }[];
  /** User-Agent headers seen, documents and robots.txt alike */
  agents: Set<string>;
  stop(): Promise<void>;
}

/** A site whose pages link as `links` says (paths or absolute URLs) and whose robots.txt is `robots`. */
async function startSite(robots: string, links: (origin: string) => Record<string, string[]>): Promise<Site> {
  const arrivals: { path: string; at: number }[] = [];
  const agents = new Set<string>();
  let origin = '';
  let map: Record<string, string[]> = {};
  const html = (res: ServerResponse, title: string, hrefs: string[]) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>${title}</title><link rel="icon" href="data:,"></head><body>${hrefs.map((h) => `<a href="${h}">${h}</a>`).join(' ')}</body></html>`);
  };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    agents.add(String(req.headers['user-agent']));
    if (path === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(robots);
    }
    const page = map[path];
    if (!page) return res.writeHead(404).end();
    // Date.now(), as the workers' slot instants: one clock for both.
    arrivals.push({ path, at: Date.now() });
    if (process.env.E2E_VERBOSE) console.log(`arrival ${origin}${path} ${req.method} ${Date.now()} ${req.headers['user-agent']} ${req.headers['sec-fetch-dest']}`);
    return html(res, path, page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  map = links(origin);
  return {
    origin,
    arrivals,
    agents,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A hub `/` linking to `/p1` … `/pN`. */
const hub = (n: number) => () => {
  const pages: Record<string, string[]> = { '/': Array.from({ length: n }, (_, i) => `/p${i + 1}`) };
  for (let i = 1; i <= n; i++) pages[`/p${i}`] = ['/'];
  return pages;
};

let speed: MachineSpeed;
let timings: StackTimings;
let stack: LocalStack | undefined;
const sites: Site[] = [];

beforeAll(async () => {
  speed = await machineSpeed();
  timings = stackTimings(speed, 3);
});
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});
afterAll(async () => {
  await Promise.all(sites.map((s) => s.stop()));
});

async function politeStack(ceiling: string, duplicateDelivery = false, workerEnv: Record<string, string> = {}, log?: (line: string) => void): Promise<LocalStack> {
  return startTestStack({
    duplicateDelivery,
    workerEnv,
    ...(log ? { log } : {}),
    workers: 2,
    batchSize: 3,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs), HOST_RATE_CEILING: ceiling },
  });
}

/** The shortest time in which the server saw `count + 1` navigations: above 1 s, no 1-s window held more than `count`. */
function shortestSpan(arrivals: { at: number }[], count: number): number {
  const at = arrivals.map((a) => a.at).sort((a, b) => a - b);
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 0; i + count < at.length; i++) shortest = Math.min(shortest, at[i + count]! - at[i]!);
  return shortest;
}

/** The slots the workers navigated at, for `origin`'s pages, from their `navigation slot` debug lines. */
function slotsOf(lines: readonly string[], origin: string): { path: string; at: number }[] {
  return lines.flatMap((line) => {
    const json = line.indexOf('{');
    if (json < 0 || !line.includes('navigation slot')) return [];
    try {
      const entry = JSON.parse(line.slice(json)) as { message?: string; url?: string; slotAt?: number };
      if (entry.message !== 'navigation slot' || typeof entry.url !== 'string' || !entry.url.startsWith(`${origin}/`)) return [];
      return [{ path: entry.url.slice(origin.length), at: Number(entry.slotAt) }];
    } catch {
      return [];
    }
  });
}

/** A stack whose workers log their navigation slots into `lines`. */
function slotLoggingStack(ceiling: string, lines: string[], duplicateDelivery = false): Promise<LocalStack> {
  return politeStack(ceiling, duplicateDelivery, { POWERTOOLS_LOG_LEVEL: 'DEBUG' }, (line) => lines.push(line));
}

/**
 * No window of `spanMs` held more than `count` navigations of `site`: the slots exactly (the gate),
 * the arrivals to within the spread of the lag between slot and arrival that this run measured.
 * Each navigation has one slot, and no request reached the site before its slot.
 */
function expectSpacing(lines: readonly string[], site: Site, count: number, spanMs: number, options: { workerKilled?: boolean } = {}): void {
  const slots = slotsOf(lines, site.origin);
  // A worker killed on purpose may die between logging a slot and its request leaving.
  if (options.workerKilled) expect(slots.length).toBeGreaterThanOrEqual(site.arrivals.length);
  else expect(slots.length).toBe(site.arrivals.length);
  expect(shortestSpan(slots, count)).toBeGreaterThanOrEqual(spanMs);
  // Pair each path's slots and arrivals in time order (one path's slots are an interval apart).
  const lags: number[] = [];
  for (const path of new Set(slots.map((s) => s.path))) {
    const mine = slots.filter((s) => s.path === path).map((s) => s.at).sort((a, b) => a - b);
    const seen = site.arrivals.filter((a) => a.path === path).map((a) => a.at).sort((a, b) => a - b);
    if (options.workerKilled && seen.length !== mine.length) continue;
    expect(seen.length).toBe(mine.length);
    mine.forEach((at, i) => lags.push(seen[i]! - at));
  }
  // Both instants are whole milliseconds of one clock.
  expect(Math.min(...lags)).toBeGreaterThanOrEqual(-1);
  const lagSpread = Math.max(...lags) - Math.min(...lags);
  if (process.env.E2E_VERBOSE) console.log(`slot-to-arrival lag: ${Math.min(...lags)}–${Math.max(...lags)} ms`);
  expect(shortestSpan(site.arrivals, count)).toBeGreaterThanOrEqual(spanMs - Math.max(JITTER_MS, lagSpread));
}

describe('per-host rate, measured at the site', () => {
  it('three jobs at once on one host with a ceiling of 2/s: never more than 2 navigations in a second, every page of every job', async () => {
    const site = await startSite('User-agent: *\nAllow: /\n', hub(8));
    sites.push(site);
    const lines: string[] = [];
    stack = await slotLoggingStack('2', lines);
    const wait = jobWaitMs(timings, speed, { pages: 27 }) + 27 * 1000;
    const runs = await Promise.all([1, 2, 3].map(() => crawl(stack!, { url: `${site.origin}/`, depth: 1 }, wait)));
    const expected = ['/', ...Array.from({ length: 8 }, (_, i) => `/p${i + 1}`)].sort();
    for (const run of runs) {
      expect(run.completed).toMatchObject({ status: 'succeeded', pages: 9, failed: 0 });
      expect(paths(run.manifest.pages.map((p) => p.url), site.origin)).toEqual(expected);
      expect((run.manifest as { delayed?: number }).delayed).toBeUndefined();
      await run.client.close();
    }
    // Every page of every job was fetched (once per job), and three navigations were never within a second.
    expect(site.arrivals.length).toBe(27);
    expectSpacing(lines, site, 2, 1000);
    // The gate did make URLs wait in the queue (27 pages cannot all have had a slot at once).
    const waits = runs.map((run) => (run.manifest as { hostWaits?: number }).hostWaits ?? 0);
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('robots.txt Crawl-delay: 1 spaces consecutive navigations by a second', async () => {
    const site = await startSite('User-agent: *\nCrawl-delay: 1\n', hub(4));
    sites.push(site);
    const lines: string[] = [];
    stack = await slotLoggingStack('2', lines);
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 1 }, jobWaitMs(timings, speed, { pages: 5 }) + 5 * 2000);
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 5, failed: 0 });
    expect(site.arrivals.length).toBe(5);
    expectSpacing(lines, site, 1, 1000);
    // The browser and the robots.txt fetch name the crawler by the token robots.txt matches, one header for both.
    expect([...site.agents]).toEqual(['Mozilla/5.0 (compatible; fanout-crawler/0.1)']);
    await run.client.close();
  });

  it('a job over two hosts, one with Crawl-delay: 2: the other host keeps its own pace', async () => {
    const slow = await startSite('User-agent: *\nCrawl-delay: 2\n', hub(4));
    sites.push(slow);
    // The fast host's hub also links to the slow host's hub; scope "domain" takes both (same hostname).
    const fast = await startSite('User-agent: *\nAllow: /\n', () => ({ ...hub(5)(), '/': [...hub(5)()['/']!, `${slow.origin}/`] }));
    sites.push(fast);
    const lines: string[] = [];
    stack = await slotLoggingStack('2', lines);
    const run = await crawl(stack, { url: `${fast.origin}/`, depth: 2, scope: 'domain' }, jobWaitMs(timings, speed, { pages: 11 }) + 11 * 3000);
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 11, failed: 0 });
    expect(fast.arrivals.length).toBe(6);
    expect(slow.arrivals.length).toBe(5);
    // The slow host got its Crawl-delay …
    expectSpacing(lines, slow, 1, 2000);
    // … and the fast host was not held to it: pages found together there got slots at its own pace.
    // (Comparing when each host's last page came is a race on a loaded machine: a batch waiting for
    // a cold environment can start after the slow host's whole chain.)
    expect(shortestSpan(fast.arrivals, 1)).toBeLessThan(2000 - JITTER_MS);
    await run.client.close();
  });

  it("a job's hostRate of 1/s under duplicate delivery: each page fetched once, a second apart, progress tells the waiting URLs, one completion", async () => {
    const site = await startSite('User-agent: *\nAllow: /\n', hub(5));
    sites.push(site);
    const lines: string[] = [];
    stack = await slotLoggingStack('2', lines, true);
    // All six pages as seeds: sent at once, they must wait for the host (a page's children would be
    // sent paced to their turns instead, and need not wait: app/pace-children.ts).
    const seeds = ['/', '/p1', '/p2', '/p3', '/p4', '/p5'].map((path) => `${site.origin}${path}`);
    const run = await crawl(stack, { urls: seeds, depth: 1, hostRate: 1 }, jobWaitMs(timings, speed, { pages: 6 }) + 6 * 2000);
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 6, failed: 0 });
    expect(site.arrivals.map((a) => a.path).sort()).toEqual(['/', '/p1', '/p2', '/p3', '/p4', '/p5']);
    expectSpacing(lines, site, 1, 1000);
    // Politeness is told apart from a stall: some progress said how many URLs wait for their host.
    const delayed = run.client.received.filter((m) => m.type === 'progress' && m.jobId === run.jobId).map((m) => Number(m.delayed ?? 0));
    expect(Math.max(0, ...delayed)).toBeGreaterThan(0);
    expect((run.manifest as { delayed?: number }).delayed).toBeUndefined();
    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });

  it('refuses a hostRate above the ceiling, zero or not a number, naming the field', async () => {
    stack = await politeStack('2');
    // 'fast' is no number: a bare socket sends what the typed client would not
    const client = await RawSocket.connect(stack.wsUrl);
    try {
      for (const [i, hostRate] of [3, 0, -1, 'fast'].entries()) {
        client.send({ action: 'crawl', url: 'http://127.0.0.1:9/', hostRate, requestId: `r${i}` });
        const answer = await client.waitFor((m) => m.requestId === `r${i}`, 60_000);
        expect(answer).toMatchObject({ type: 'error', code: 'invalid_request' });
        expect(String(answer.message)).toMatch(/hostRate/);
      }
    } finally {
      await client.close();
    }
  });

  it('a worker that dies between re-sending a waiting URL and releasing it: the job still completes, every page fetched once', async () => {
    const site = await startSite('User-agent: *\nAllow: /\n', hub(5));
    sites.push(site);
    const lines: string[] = [];
    // /p fires on the first page that is sent back to wait. At 0.1/s (slots 10 s apart) that is
    // certain however slow the machine: the six pages are seeds, sent at once (a page's children
    // would be sent paced to their turns: app/pace-children.ts), and of any two claimed within 9 s
    // of each other the second has a wait of more than a second, which is sent back, not slept.
    stack = await politeStack('0.1', false, { CRAWLER_FAULTS: 'after-delay-send@/p', POWERTOOLS_LOG_LEVEL: 'DEBUG' }, (line) => lines.push(line));
    const seeds = ['/', '/p1', '/p2', '/p3', '/p4', '/p5'].map((path) => `${site.origin}${path}`);
    const run = await crawl(stack, { urls: seeds, depth: 1 }, jobWaitMs(timings, speed, { recoveries: 1, pages: 6 }) + 6 * 10_000);
    expect(lines.some((line) => line.includes('injected fault') && line.includes('after-delay-send'))).toBe(true);
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 6, failed: 0 });
    expect(site.arrivals.map((a) => a.path).sort()).toEqual(['/', '/p1', '/p2', '/p3', '/p4', '/p5']);
    expectSpacing(lines, site, 1, 10_000, { workerKilled: true });
    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });
});
