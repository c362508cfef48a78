// `render: "http" | "auto"` through the whole stack, against sites on 127.0.0.1 and the browser's
// crawl of the same site as the reference: HTTP finds every page and link the browser finds on a
// static site and opens no tab; screenshots are skipped without a browser; `auto` uses the browser
// for its learning sample only on a static site, and misses nothing on a site whose scripts add
// links (with the reason on each page); an app shell goes to the browser.
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentLine } from '../../functions/app/content-export.js';
import { LEARN_SAMPLES, pageTypeOf, planRender, RenderReason } from '../../functions/core/render-choice.js';
import type { Usage } from '../../functions/core/usage.js';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket as CrawlClient } from './support/raw-socket.js';
import { crawl, paths, settleAndCountCompletions, startTestStack, type CrawlRun } from './harness.js';
import { listenOnLoopback, type LoopbackSite } from './support/loopback.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings } from './support/machine.js';

const DOCS = 24;

type Page = CrawlRun['manifest']['pages'][number] & { renderer?: 'browser' | 'http'; renderReason?: string };

const layout = (title: string, body: string, head = '') => `<!doctype html><html><head><title>${title}</title>${head}</head><body>${body}</body></html>`;
const prose = (n: number) => `<p>${Array.from({ length: 40 }, (_, i) => `word${(i * n) % 97}`).join(' ')}</p>`;

/**
 * A static section (/docs/), a section whose links and text a script adds after load (/app/), an
 * app shell (an empty #root that a script fills, with a link only it has), relative links under a
 * <base href>, a redirect and a 404.
 */
function startSite(): Promise<LoopbackSite> {
  const docs = Array.from({ length: DOCS }, (_, i) => `<a href="/docs/p${i}.html">doc ${i}</a>`).join(' ');
  const pages: Record<string, string> = {
    '/': layout('Home', `<h1>Home</h1>${prose(1)}<nav>${docs} <a href="/app/one.html">app</a> <a href="/shell.html">shell</a> <a href="/moved">moved</a> <a href="/missing.html">missing</a> <a href="/base/index.html">base</a></nav>`),
    '/base/index.html': layout('Base', `${prose(2)}<a href="rel.html">relative</a>`, '<base href="/docs/">'),
    '/docs/rel.html': layout('Rel', prose(3)),
    '/target.html': layout('Target', prose(4)),
    '/shell.html': layout(
      'Shell',
      `<div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>
       <script>setTimeout(() => { document.getElementById('root').innerHTML = '<h1>Shell</h1><a href="/from-shell.html">made by a script</a>'; }, 50);</script>`,
    ),
    '/from-shell.html': layout('From shell', prose(5)),
  };
  for (let i = 0; i < DOCS; i++) pages[`/docs/p${i}.html`] = layout(`Doc ${i}`, `<h1>Doc ${i}</h1>${prose(i + 10)}<a href="/docs/p${(i + 1) % DOCS}.html">next</a>`);
  for (const name of ['one', 'two', 'three']) {
    pages[`/app/${name}.html`] = layout(
      `App ${name}`,
      `<h1>App ${name}</h1>${prose(7)}<div id="more"></div><a href="/app/one.html">one</a> <a href="/app/two.html">two</a> <a href="/app/three.html">three</a>
       <script>setTimeout(() => { document.getElementById('more').innerHTML = '<a href="/app/added-${name}.html">added</a> ${'extra words '.repeat(20)}'; }, 30);</script>`,
    );
    pages[`/app/added-${name}.html`] = layout(`Added ${name}`, prose(8));
  }
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (path === '/robots.txt') return void response.writeHead(404).end();
    if (path === '/moved') return void response.writeHead(301, { location: '/target.html' }).end();
    const body = pages[path];
    if (!body) return void response.writeHead(404, { 'content-type': 'text/html' }).end(layout('Not found', 'no such page'));
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  });
  return listenOnLoopback(server);
}

const usageOf = (run: CrawlRun) => (run.manifest as unknown as { usage: Usage }).usage;
const pagesOf = (run: CrawlRun) => run.manifest.pages as Page[];
const byPath = (run: CrawlRun, origin: string) => new Map(pagesOf(run).map((p) => [p.url.replace(origin, ''), p]));

describe('render modes', () => {
  let stack: LocalStack;
  let site: LoopbackSite;
  let browser: CrawlRun;
  let waitMs: number;
  beforeAll(async () => {
    site = await startSite();
    const speed = await machineSpeed();
    const timings = stackTimings(speed, 3);
    waitMs = jobWaitMs(timings, speed, { pages: 40 });
    // One message at a time: what a page type learned is on the job before its next page is planned.
    stack = await startTestStack({ workers: 1, batchSize: 1, visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds, workerTimeoutMs: timings.workerTimeoutMs, env: { LEASE_MS: String(timings.leaseMs) } });
    // The reference: the browser's crawl of the whole site.
    browser = await crawl(stack, { url: `${site.origin}/`, depth: 3 }, waitMs);
  });
  afterAll(async () => {
    await Promise.all([stack?.stop(), site?.stop()]);
  });

  it('http: every page the browser finds on the static part, the same links, no tab opened', async () => {
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 3, render: 'http', formats: ['html', 'markdown', 'text', 'screenshot', 'archive'] }, waitMs);
    const scriptMade = ['/from-shell.html', '/app/added-one.html', '/app/added-two.html', '/app/added-three.html'];
    // What scripts add is the browser's alone; everything else is found over HTTP too.
    expect(paths(run.manifest.pages.map((p) => p.url), site.origin)).toEqual(paths(browser.manifest.pages.map((p) => p.url), site.origin).filter((p) => !scriptMade.includes(p)));
    const reference = byPath(browser, site.origin);
    for (const page of pagesOf(run)) {
      const path = page.url.replace(site.origin, '');
      expect(page.renderer, path).toBe('http');
      expect(page.status, path).toBe(reference.get(path)!.status);
      expect(page.title, path).toBe(reference.get(path)!.title);
      if (!path.startsWith('/app/') && path !== '/shell.html') expect(page.links, path).toBe(reference.get(path)!.links);
    }
    // the redirect followed, judged hop by hop, as the browser did
    expect(byPath(run, site.origin).get('/moved')?.finalUrl).toBe(`${site.origin}/target.html`);
    expect(usageOf(run).tabsOpened).toBe(0);
    expect(usageOf(run).navigations).toBeGreaterThanOrEqual(run.manifest.pages.length);

    // Products without a browser: Markdown and text from the document, the archive from the HTTP
    // exchange, and a screenshot skipped with the reason.
    const lines = (await (await fetch(run.completed.resultsUrl as string)).text())
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ContentLine);
    const home = lines.find((l) => l.url === `${site.origin}/`)!;
    expect(home.markdown).toContain('# Home');
    expect(home.text).toContain('word1');
    expect(home.screenshot).toBeUndefined();
    expect(home.skipped?.screenshot).toMatch(/without a browser/);
    const manifestHome = byPath(run, site.origin).get('/') as unknown as { outputs: Record<string, string> };
    expect(manifestHome.outputs.archive).toMatch(/\.archive\.warc\.gz$/);
    expect(typeof run.completed.archiveUrl).toBe('string');
    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });

  it('auto: misses nothing the browser finds, uses it for the learning sample, the scripted section and the app shell, and says why', async () => {
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 3, render: 'auto' }, waitMs);
    expect(paths(run.manifest.pages.map((p) => p.url), site.origin)).toEqual(paths(browser.manifest.pages.map((p) => p.url), site.origin));
    const pages = byPath(run, site.origin);
    for (const page of pagesOf(run)) expect(page.renderReason, page.url).toBeTruthy();

    // The app shell: its HTML says it needs scripts.
    expect(pages.get('/shell.html')).toMatchObject({ renderer: 'browser', renderReason: RenderReason.appShell });
    // The scripted section: its first page was compared and HTTP missed the added link; the others follow.
    const app = ['one', 'two', 'three'].map((n) => pages.get(`/app/${n}.html`)!);
    expect(app.every((p) => p.renderer === 'browser')).toBe(true);
    expect(app.some((p) => /http missed 1 link/.test(p.renderReason!))).toBe(true);

    // The static docs: compared for the learning sample, then over HTTP but for the sampled checks.
    const docs = pagesOf(run).filter((p) => pageTypeOf(p.url) === '/docs*2' && p.status === 200);
    const inBrowser = docs.filter((p) => p.renderer === 'browser');
    const learned = { '/docs*2': { s: LEARN_SAMPLES, d: 0, v: 'http' as const } };
    const checks = docs.filter((p) => planRender(p.url, learned).renderer === 'compare').length;
    expect(inBrowser.length).toBeGreaterThanOrEqual(LEARN_SAMPLES);
    expect(inBrowser.length).toBeLessThanOrEqual(LEARN_SAMPLES + checks);
    expect(docs.filter((p) => p.renderer === 'http').length).toBeGreaterThanOrEqual(docs.length - LEARN_SAMPLES - checks);
    for (const page of inBrowser) expect(page.renderReason, page.url).toMatch(/http gave the same/);
    // Tabs only for the pages made (or compared) in the browser.
    expect(usageOf(run).tabsOpened).toBeLessThan(run.manifest.pages.length);
    expect(usageOf(run).tabsOpened).toBeGreaterThanOrEqual(pagesOf(run).filter((p) => p.renderer === 'browser').length);
    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });

  it.each([
    ['an unknown mode', { render: 'chrome' }, /render/],
    ['actions without a browser', { render: 'http', actions: [{ wait: 10 }] }, /render: "http".*actions/],
  ])('refuses %s with invalid_request naming the field', async (_name, options, pattern) => {
    const client = await CrawlClient.connect(stack.wsUrl);
    client.send({ action: 'crawl', url: `${site.origin}/`, requestId: 'r', ...options });
    const reply = await client.waitFor((m) => m.requestId === 'r', replyWaitMs(await machineSpeed()));
    expect(reply).toMatchObject({ type: 'error', code: 'invalid_request' });
    expect(String(reply.message)).toMatch(pattern);
    await client.close();
  });
});
