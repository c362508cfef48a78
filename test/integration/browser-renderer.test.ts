// The renderer in a real headless Chromium (@sparticuz/chromium, as on Lambda) against a site on
// 127.0.0.1: links that appear late, base URLs, redirects, error statuses, downloads, dialogs,
// failures, and the life of the one warm browser (reused, closed tabs, relaunched after a kill).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBrowser } from '../../functions/adapters/browser/chromium.js';
import { RenderError } from '../../functions/adapters/browser/errors.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import type { Logger, RenderOptions } from '../../functions/core/ports.js';
import { closedPort, startSite, type TestSite } from './fixtures-browser/site.js';

const timing = { navigationTimeoutMs: 5_000, settleIdleMs: 500, settleMaxMs: 3_000 };
const launches: number[] = [];
const log: Logger = {
  debug() {},
  info(message, ...extra) {
    if (message === 'browser launched') launches.push(Number(extra[0]?.['ms']));
  },
  warn() {},
  error() {},
};

let site: TestSite;
let renderer: PuppeteerRenderer;
let baselineTabs = 0;
const at = (path: string) => `${site.origin}${path}`;
const render = (path: string, options: RenderOptions = timing) => renderer.render(at(path), options);

async function failure(url: string, options = timing): Promise<RenderError> {
  const error = await renderer.render(url, options).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

async function openTabs(): Promise<number> {
  return (await (await getBrowser()).pages()).length;
}

beforeAll(async () => {
  site = await startSite();
  renderer = new PuppeteerRenderer({ log });
  await render('/');
  baselineTabs = await openTabs();
});

afterAll(async () => {
  await renderer?.close();
  await site?.close();
});

afterEach(async () => {
  // every render closes what it opened, whatever happened to it
  expect(await openTabs()).toBe(baselineTabs);
});

describe('links, title, status and DOM', () => {
  it('waits for links a setTimeout script inserts', async () => {
    const page = await render('/timer');
    expect(page.links).toEqual([at('/static'), at('/late-1'), at('/late-2')]);
    expect(page).toMatchObject({
      requestedUrl: at('/timer'),
      finalUrl: at('/timer'),
      status: 200,
      contentType: 'text/html; charset=utf-8',
      title: 'timer',
      redirectChain: [],
    });
    expect(page.html).toMatch(/^<!DOCTYPE html><html>/);
    expect(page.html).toContain('<a href="/late-2">/late-2</a>');
    const { navigationMs, settleMs, extractMs, totalMs } = page.timings;
    expect(settleMs).toBeGreaterThanOrEqual(timing.settleIdleMs);
    expect(navigationMs + settleMs + extractMs).toBeLessThanOrEqual(totalMs);
  });

  it('waits for links built from a fetch() JSON response, resolved and deduplicated', async () => {
    const page = await render('/fetched');
    expect(page.links).toEqual([at('/from-api-1'), at('/relative-from-api'), 'https://example.test/elsewhere']);
  });

  it('resolves hrefs against <base href>, including <area> and SVG links', async () => {
    const page = await render('/base');
    expect(page.links).toEqual([
      at('/docs/v2/page'),
      at('/docs/up'),
      at('/root'),
      at('/docs/v2/?q=1'),
      at('/docs/v2/#frag'),
      'http://other.test/x',
      at('/docs/v2/area-target'),
      'mailto:x@example.test',
      at('/docs/v2/svg-link'),
    ]);
  });

  it('follows a 301 and reports the final URL and the redirect chain', async () => {
    const page = await render('/old');
    expect(page).toMatchObject({ requestedUrl: at('/old'), finalUrl: at('/new'), status: 200, title: 'new', redirectChain: [at('/old')] });
    expect(page.links).toEqual([at('/next')]);
  });

  it('records every hop of a redirect chain in order', async () => {
    const page = await render('/hop-1');
    expect(page).toMatchObject({ finalUrl: at('/new?via=hops'), status: 200, redirectChain: [at('/hop-1'), at('/hop-2')] });
  });

  it('returns a 404 and a 500 as pages, not errors', async () => {
    expect(await render('/missing')).toMatchObject({ status: 404, title: 'Not found', links: [at('/')], finalUrl: at('/missing') });
    expect(await render('/broken')).toMatchObject({ status: 500, title: 'Server error', links: [] });
  });

  it('records a PDF link target with its status and type, without HTML or links', async () => {
    const linking = await render('/pdf-link');
    expect(linking.links).toEqual([at('/file.pdf')]);
    const pdf = await renderer.render(linking.links[0]!, timing);
    expect(pdf).toMatchObject({
      requestedUrl: at('/file.pdf'),
      finalUrl: at('/file.pdf'),
      status: 200,
      contentType: 'application/pdf',
      title: '',
      html: '',
      links: [],
      redirectChain: [],
    });
  });

  it('dismisses alert, confirm and prompt, and goes on', async () => {
    const page = await render('/alert');
    expect(page.links).toEqual([at('/answered?confirm=false&prompt=null')]);
    expect(page.timings.totalMs).toBeLessThan(timing.navigationTimeoutMs);
  });

  it('lets no cookie or local storage of one page reach the next', async () => {
    await render('/set-state');
    const page = await render('/read-state');
    expect(page.links).toEqual([at('/state?cookie=&storage=null')]);
    expect(site.hits.find((hit) => hit.path === '/read-state')?.cookie).toBeUndefined();
  });
});

describe('skipping subresources (the crawl option "block")', () => {
  const assets = (since: number) =>
    site.hits
      .slice(since)
      .map((hit) => hit.path)
      .filter((path) => path.startsWith('/asset/'))
      .sort();

  it('loads every subresource by default', async () => {
    const since = site.hits.length;
    const page = await render('/heavy');
    expect(page.links).toEqual([at('/static'), at('/scripted')]);
    expect(assets(since)).toEqual(['/asset/clip.mp4', '/asset/font.woff2', '/asset/photo.png', '/asset/style.css']);
  });

  it('never requests the blocked types, and still runs scripts and fetch()', async () => {
    const since = site.hits.length;
    const page = await render('/heavy', { ...timing, block: ['image', 'font', 'media', 'stylesheet'] });
    expect(page.links).toEqual([at('/static'), at('/scripted')]);
    expect(page.status).toBe(200);
    expect(assets(since)).toEqual([]);
    expect(site.hits.slice(since).map((hit) => hit.path)).toContain('/api/links');
  });

  it('blocks only the types asked for', async () => {
    const since = site.hits.length;
    await render('/heavy', { ...timing, block: ['image'] });
    expect(assets(since)).toEqual(['/asset/clip.mp4', '/asset/font.woff2', '/asset/style.css']);
  });
});

describe('failures', () => {
  it('times out a page that never answers: RenderError timeout, retryable', async () => {
    const started = Date.now();
    const error = await failure(at('/hang'), { ...timing, navigationTimeoutMs: 1_500 });
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('reports a refused connection as a retryable network error', async () => {
    const error = await failure(`http://127.0.0.1:${await closedPort()}/`);
    expect(error).toMatchObject({ kind: 'network', retryable: true });
    expect(error.message).toMatch(/ERR_CONNECTION_REFUSED/);
  });

  it('reports a name that does not resolve as a network error', async () => {
    const error = await failure('http://no-such-host.invalid/');
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/ERR_NAME_NOT_RESOLVED/);
  });
});

describe('the warm browser', () => {
  it('is launched once and reused across renders', async () => {
    const browser = await getBrowser();
    const pid = browser.process()?.pid;
    const launched = launches.length;
    for (const path of ['/', '/a', '/b']) await render(path);
    expect(launches.length).toBe(launched);
    expect(await getBrowser()).toBe(browser);
    expect(browser.process()?.pid).toBe(pid);
  });

  it('is relaunched after it was killed', async () => {
    const browser = await getBrowser();
    const launched = launches.length;
    browser.process()?.kill('SIGKILL');
    await new Promise((resolve) => browser.once('disconnected', resolve));
    const page = await render('/');
    expect(page.links).toEqual([at('/a'), at('/b')]);
    expect(launches.length).toBe(launched + 1);
    const relaunched = await getBrowser();
    expect(relaunched).not.toBe(browser);
    expect(relaunched.process()?.pid).not.toBe(browser.process()?.pid);
  });

  it('fails a render whose browser dies under it as retryable, and the next render relaunches', async () => {
    const browser = await getBrowser();
    const pending = renderer.render(at('/slow'), timing).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 300));
    browser.process()?.kill('SIGKILL');
    const error = await pending;
    expect(error).toBeInstanceOf(RenderError);
    expect(error).toMatchObject({ kind: 'browser', retryable: true });
    const page = await render('/');
    expect(page.status).toBe(200);
    expect(await getBrowser()).not.toBe(browser);
  });
});
