// Reuse by depth, the pure part: which finished crawls the result cache keeps, which cached crawls
// may serve a request, the reuse key (every option but depth and its bounds), and each page's
// shortest depth over the links its record holds, where a page was recorded deeper than its
// shortest path.
import { describe, expect, it } from 'vitest';
import type { FrontierRecord, JobRecord } from '../../functions/core/job.js';
import { cacheKeyOf, depthCacheKeyOf, rehomedKey, reuseKeyOf } from '../../functions/core/keys.js';
import { DEFAULT_LIMITS } from '../../functions/core/limits.js';
import { parseCrawlRequest } from '../../functions/core/messages.js';
import { followedLinks } from '../../functions/core/page-links.js';
import type { RenderedPage } from '../../functions/core/ports.js';
import { cacheEntryOf, crawlGraphOf, firstLevel, nextLevel, reuseCandidates, type CrawlGraph, type Placed } from '../../functions/core/reuse-plan.js';

const parse = (message: Record<string, unknown>) =>
  parseCrawlRequest(JSON.stringify({ action: 'crawl', ...('urls' in message ? {} : { url: 'http://a.test/' }), ...message }), DEFAULT_LIMITS);

describe('reuse key', () => {
  it('leaves out depth, maxPages, maxAge, timeLimit, hostRate and the request id', () => {
    const base = reuseKeyOf(parse({ depth: 2 }));
    expect(reuseKeyOf(parse({ depth: 3, maxPages: 7, maxAge: 60, timeLimit: 100, hostRate: 1, requestId: 'r', budgetUsd: 2 }))).toBe(base);
    expect(reuseKeyOf(parse({ urls: ['http://a.test/'] }))).toBe(base);
    // The exact key of older entries still tells depths apart.
    expect(cacheKeyOf(parse({ depth: 3 }))).not.toBe(cacheKeyOf(parse({ depth: 2 })));
  });

  it.each([
    [{ scope: 'domain' }],
    [{ include: ['*/blog/*'] }],
    [{ exclude: ['*.pdf'] }],
    [{ formats: ['html', 'markdown'] }],
    [{ robots: false }],
    [{ block: ['image'] }],
    [{ sitemap: true }],
    [{ urls: ['http://a.test/', 'http://b.test/'] }],
    [{ url: 'http://b.test/' }],
  ])('changes with %o', (option) => {
    expect(reuseKeyOf(parse(option))).not.toBe(reuseKeyOf(parse({})));
  });

  it('takes in any option added later, in whatever order its fields come', () => {
    const request = parse({});
    expect(reuseKeyOf({ ...request, actions: [{ scroll: 'bottom' }] })).not.toBe(reuseKeyOf(request));
    expect(reuseKeyOf({ ...request, x: { a: 1, b: 2 } })).toBe(reuseKeyOf({ ...request, x: { b: 2, a: 1 } }));
  });

  it('hashes no header or cookie (secrets): such crawls never use the cache', () => {
    const request = parse({});
    expect(reuseKeyOf({ ...request, headers: { authorization: 'secret' }, cookies: [{ name: 'a', value: 'b' }] })).toBe(reuseKeyOf(request));
  });

  it('keys an entry per depth and moves object keys from one job to another', () => {
    expect(depthCacheKeyOf('k', 3)).toBe('k#d3');
    expect(rehomedKey('jobs/old/outputs/x.screenshot.png', 'old', 'new')).toBe('jobs/new/outputs/x.screenshot.png');
    expect(rehomedKey('elsewhere/x', 'old', 'new')).toBe('elsewhere/x');
  });
});

describe('reuseCandidates', () => {
  const now = 1_000_000;
  const entry = (jobId: string, depth: number, ageMs: number) => ({ jobId, depth, finishedAt: now - ageMs });

  it('answers from equal depth first, then the shallowest deeper one; builds upon the deepest shallower one', () => {
    const entries = [entry('d1', 1, 10), entry('d4', 4, 10), entry('d2', 2, 10), entry('d3', 3, 10), entry('d0', 0, 10)];
    const { answer, build } = reuseCandidates(entries, 2, now, 60);
    expect(answer.map((e) => e.jobId)).toEqual(['d2', 'd3', 'd4']);
    expect(build.map((e) => e.jobId)).toEqual(['d1', 'd0']);
  });

  it('keeps only crawls recent enough for maxAge', () => {
    const { answer, build } = reuseCandidates([entry('old', 3, 61_000), entry('new', 1, 60_000)], 2, now, 60);
    expect(answer).toEqual([]);
    expect(build.map((e) => e.jobId)).toEqual(['new']);
  });
});

describe('cacheEntryOf', () => {
  const job = (extra: Partial<JobRecord> = {}): JobRecord => ({
    jobId: 'j', url: 'http://a.test/', depth: 1, maxPages: 10, scope: 'host', include: [], exclude: [], connectionId: 'c', status: 'finishing',
    cacheKey: 'key', startedAt: 0, finishedAt: 500, deadlineAt: 1e12, admitted: 1, settled: 1, done: 1, failed: 0, expiresAt: 9, ...extra,
  });

  it('keeps a success, as old as its oldest page', () => {
    expect(cacheEntryOf(job(), 'succeeded')).toEqual({ cacheKey: 'key', jobId: 'j', finishedAt: 500, expiresAt: 9 });
    expect(cacheEntryOf(job({ crawledSince: 200 }), 'succeeded')).toMatchObject({ finishedAt: 200 });
  });

  it('keeps no other outcome, no capped crawl and no crawl run with the client\'s credentials', () => {
    for (const status of ['partial', 'cancelled', 'failed'] as const) expect(cacheEntryOf(job(), status)).toBeNull();
    expect(cacheEntryOf(job({ capped: 1 }), 'succeeded')).toBeNull();
    expect(cacheEntryOf(job({ usedCredentials: true }), 'succeeded')).toBeNull();
    expect(cacheEntryOf(job({ finishedAt: undefined }), 'succeeded')).toBeNull();
  });
});

const origin = 'http://a.test';
let order = 0;
function page(path: string, depth: number, parent: string | null): FrontierRecord {
  const url = `${origin}${path}`;
  return {
    jobId: 'old', urlKey: `k${order++}`, url, depth, parent: parent && `${origin}${parent}`, discoveredBy: null, state: 'done', attempts: 1, expiresAt: 9,
    summary: { url, finalUrl: url, depth, parent: parent && `${origin}${parent}`, status: 200, title: path, sha256: '', links: 0, key: `jobs/old/pages/${path}.json` },
  };
}

/** Walks the whole graph with `links` as each page's links; returns url → depth and the outside links. */
function walk(graph: CrawlGraph, links: Record<string, string[]>, upTo = Infinity) {
  let level = firstLevel(graph);
  const placed = new Map<string, Placed>(level.map((p) => [p.url, p]));
  const outside: Placed[] = [];
  const seen = new Set<string>();
  for (let depth = 0; depth < upTo && level.length > 0; depth++) {
    const step = nextLevel(graph, level, (url) => (links[url.replace(origin, '')] ?? []).map((p) => `${origin}${p}`), placed, seen);
    outside.push(...step.outside);
    level = step.level;
  }
  const depths = Object.fromEntries([...placed.values()].map((p) => [p.url.replace(origin, ''), p.depth]));
  return { depths, placed, outside: outside.map((p) => ({ ...p, url: p.url.replace(origin, '') })) };
}

describe('shortest depths of a cached crawl', () => {
  // seed → a → b → x (x recorded at 3, found first through the fast chain) and seed → slow → x.
  const links = { '/': ['/a', '/slow'], '/a': ['/b'], '/b': ['/x'], '/slow': ['/x'], '/x': ['/y'] };
  const records = [page('/', 0, null), page('/a', 1, '/'), page('/slow', 1, '/'), page('/b', 2, '/a'), page('/x', 3, '/b')];

  it('gives a page reachable at two depths its shorter one, with a parent on that path', () => {
    const graph = crawlGraphOf(records)!;
    const { depths, placed, outside } = walk(graph, links);
    expect(depths).toEqual({ '/': 0, '/a': 1, '/slow': 1, '/b': 2, '/x': 2 });
    expect(placed.get(`${origin}/x`)?.parent).toBe(`${origin}/slow`);
    // x's own link was never followed (recorded at the crawl's last depth): outside, one further.
    expect(outside).toEqual([{ url: '/y', depth: 3, parent: `${origin}/x` }]);
  });

  it('reads only the pages closer than the depth asked for', () => {
    const graph = crawlGraphOf(records)!;
    const asked: string[] = [];
    let level = firstLevel(graph);
    const placed = new Map(level.map((p) => [p.url, p]));
    for (let depth = 0; depth < 1; depth++) {
      level = nextLevel(graph, level, (url) => (asked.push(url), (links[url.replace(origin, '') as keyof typeof links] ?? []).map((p) => `${origin}${p}`)), placed, new Set()).level;
    }
    expect(asked).toEqual([`${origin}/`]);
    expect([...placed.keys()].sort()).toEqual([`${origin}/`, `${origin}/a`, `${origin}/slow`]);
  });

  it('follows a link to a redirect target to the page that redirected there', () => {
    const moved = page('/old', 1, '/');
    const alias: FrontierRecord = { ...page('/new', 1, '/'), state: 'alias', aliasOf: moved.url, summary: undefined };
    const graph = crawlGraphOf([page('/', 0, null), moved, alias, page('/deep', 2, '/old')])!;
    const { depths, outside } = walk(graph, { '/': ['/new'], '/old': ['/deep'] });
    expect(depths).toEqual({ '/': 0, '/old': 1, '/deep': 2 });
    expect(outside).toEqual([]);
  });

  it('refuses a crawl that is no complete answer (a failure, a URL never crawled or capped)', () => {
    for (const state of ['failed', 'queued', 'claimed', 'capped'] as const) {
      expect(crawlGraphOf([page('/', 0, null), { ...page('/z', 1, '/'), state, summary: undefined }])).toBeNull();
    }
    const warning: FrontierRecord = { ...page('/sitemap.xml', 0, '/'), state: 'warning', summary: undefined };
    expect(crawlGraphOf([page('/', 0, null), warning])?.warnings).toHaveLength(1);
  });
});

describe('followedLinks', () => {
  const rendered = (links: string[], extra: Partial<RenderedPage> = {}): RenderedPage => ({
    requestedUrl: `${origin}/`, finalUrl: `${origin}/`, status: 200, contentType: 'text/html', title: '', html: '', links, redirectChain: [],
    timings: { navigationMs: 0, settleMs: 0, extractMs: 0, totalMs: 0 }, ...extra,
  });
  const job = { url: `${origin}/`, scope: 'host' as const, include: [], exclude: ['*/private*'] };

  it('keeps in-scope links, normalised, once, without the page itself', () => {
    const links = followedLinks(job, `${origin}/`, rendered([`${origin}/a#x`, `${origin}/a`, `${origin}/`, 'http://b.test/', `${origin}/private/1`, `${origin}/B`]), 2048);
    expect(links).toEqual([`${origin}/a`, `${origin}/B`]);
  });

  it('follows nothing from an error page or a page whose redirect left the scope', () => {
    expect(followedLinks(job, `${origin}/`, rendered([`${origin}/a`], { status: 404 }), 2048)).toEqual([]);
    expect(followedLinks(job, `${origin}/`, rendered([`${origin}/a`], { documentUrl: 'http://b.test/' }), 2048)).toEqual([]);
  });
});
