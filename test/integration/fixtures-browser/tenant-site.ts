// A site on 127.0.0.1 that two jobs crawl at once (browser-job-isolation.test.ts): /login gives a
// session cookie to a request with credentials; /mark leaves a visitor's own traces; both pages
// also write localStorage and IndexedDB, then keep a request open at /hold until the site has seen
// the other job's /probe (or the test lets go), so the other job's page is certain to render while
// this one's state is live in a shared browser. /probe reads back what the browser gives it, shows
// it as its one link and reports it to /report. Both seeds link to PROBES probes of their job.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TenantHit {
  path: string;
  /** the `job` query parameter of the request, or of the page that made it (its Referer) */
  job: string | null;
  cookie: string | undefined;
  authorization: string | undefined;
  /** the request's query parameters (a /report carries what its page saw) */
  query: Record<string, string>;
}

export interface TenantSite {
  origin: string;
  hits: TenantHit[];
  /**
   * resolves when a page of `job` has asked for /hold (its state is written, its tab still open);
   * rejects after `withinMs`, so a page that never gets there fails the test instead of hanging it
   */
  holding(job: string, withinMs: number): Promise<void>;
  /** answers every open /hold */
  releaseHolds(): void;
  close(): Promise<void>;
}

/** Writes `owner` to localStorage and IndexedDB, then asks for /hold. */
const leaveTraces = (job: string) => `
  localStorage.setItem('owner', ${JSON.stringify(job)});
  const open = indexedDB.open('tenant', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  open.onsuccess = () => {
    const tx = open.result.transaction('kv', 'readwrite');
    tx.objectStore('kv').put(${JSON.stringify(job)}, 'owner');
    tx.oncomplete = () => fetch('/hold?job=${encodeURIComponent(job)}');
  };`;

/** Reads cookie, localStorage and IndexedDB, and shows them as the page's one link. */
const readBack = `
  const show = (idb) => {
    const a = document.createElement('a');
    a.href = '/seen?cookie=' + encodeURIComponent(document.cookie) + '&storage=' + localStorage.getItem('owner') + '&idb=' + idb;
    a.textContent = 'seen';
    document.body.append(a);
    // and told to the site, for a crawl whose page records a test does not read
    fetch('/report' + location.search + '&' + a.search.slice(1));
  };
  const open = indexedDB.open('tenant', 1);
  open.onupgradeneeded = () => open.result.createObjectStore('kv');
  open.onerror = () => show('error');
  open.onsuccess = () => {
    const get = open.result.transaction('kv').objectStore('kv').get('owner');
    get.onsuccess = () => show(get.result ?? null);
    get.onerror = () => show('error');
  };`;

// each script in a function of its own: a top-level `open` would clash with the renderer's window.open
const page = (title: string, script: string, links = '') =>
  `<!doctype html><html><head><title>${title}</title></head><body>${links}<script>(() => {${script}})();</script></body></html>`;

/** A job's seed page links to PROBES probe pages of the job: a crawl at depth 1 reads them. */
export const PROBES = 4;
const probes = (job: string) => Array.from({ length: PROBES }, (_, i) => `<a href="/probe?job=${encodeURIComponent(job)}&n=${i + 1}">probe ${i + 1}</a>`).join('');

export async function startTenantSite(): Promise<TenantSite> {
  const hits: TenantHit[] = [];
  const holds = new Set<ServerResponse>();
  const waiters: { job: string; resolve: () => void }[] = [];
  const holdingJobs = new Set<string>();

  const jobOf = (req: IncomingMessage, url: URL): string | null => {
    const own = url.searchParams.get('job');
    if (own) return own;
    try {
      return new URL(req.headers.referer ?? '').searchParams.get('job');
    } catch {
      return null;
    }
  };
  const releaseHolds = () => {
    for (const res of holds) res.end('released');
    holds.clear();
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://site.test');
    const job = jobOf(req, url);
    hits.push({ path: url.pathname, job, cookie: req.headers.cookie, authorization: req.headers.authorization, query: Object.fromEntries(url.searchParams) });
    const html = (body: string, headers: Record<string, string> = {}) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(body);
    };
    switch (url.pathname) {
      case '/login': {
        // a session only for a request that brings credentials, as a site behind a login would
        const authorization = req.headers.authorization;
        const headers: Record<string, string> = authorization ? { 'set-cookie': `session=${encodeURIComponent(authorization.replace(/^Bearer /, ''))}; Path=/` } : {};
        return html(page('login', leaveTraces(job ?? 'anonymous'), probes(job ?? 'anonymous')), headers);
      }
      case '/mark':
        return html(page('mark', `document.cookie = 'visitor=${job}; path=/';` + leaveTraces(job ?? 'anonymous'), probes(job ?? 'anonymous')));
      case '/probe':
        // the other jobs' pages may stop holding: this one has been asked for while they were open
        releaseHolds();
        return html(page('probe', readBack));
      case '/report':
        res.writeHead(204);
        return res.end();
      case '/hold':
        holds.add(res);
        if (job) holdingJobs.add(job);
        for (const waiter of waiters.filter((w) => w.job === job)) waiter.resolve();
        res.on('close', () => holds.delete(res));
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hits,
    holding: (job, withinMs) =>
      holdingJobs.has(job)
        ? Promise.resolve()
        : new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no page of job ${job} asked for /hold within ${withinMs} ms`)), withinMs);
            waiters.push({ job, resolve: () => (clearTimeout(timer), resolve()) });
          }),
    releaseHolds,
    async close() {
      releaseHolds();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
