// The worst of the web against the renderer: pages that never finish, redirect forever, are big,
// are not HTML, hang the renderer, open pop-ups, or navigate themselves while we read them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBrowser } from '../../functions/adapters/browser/chromium.js';
import { RenderError } from '../../functions/adapters/browser/errors.js';
import { capUtf8, PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { startSite, type TestSite } from './fixtures-browser/site.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const timing = { navigationTimeoutMs: 3_000, settleIdleMs: 300, settleMaxMs: 1_500 };
let site: TestSite;
let renderer: PuppeteerRenderer;
const at = (path: string) => `${site.origin}${path}`;

beforeAll(async () => {
  site = await startSite();
  renderer = new PuppeteerRenderer({ log: quiet, watchdogSlackMs: 2_000, maxHtmlBytes: 100_000 });
});

afterAll(async () => {
  await renderer?.close();
  await site?.close();
});

async function failure(path: string): Promise<RenderError> {
  const error = await renderer.render(at(path), timing).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

async function openTabs(): Promise<number> {
  return (await (await getBrowser({ log: quiet })).pages()).length;
}

describe('poison pages', () => {
  it('reads what arrived of a document that never finishes', async () => {
    const page = await renderer.render(at('/trickle'), timing);
    expect(page).toMatchObject({ status: 200, title: 'trickle', links: [at('/early')] });
    expect(page.timings.navigationMs).toBeGreaterThanOrEqual(timing.navigationTimeoutMs);
  });

  it('stops waiting for a subresource that never loads after settleMaxMs', async () => {
    // The settle's own bound: without the consent watch's look for a banner after it (up to
    // CONSENT_DETECT_MS more by default, adapters/browser/consent.ts), which is its own wait.
    const page = await renderer.render(at('/stuck-image'), { ...timing, consent: 'leave' });
    expect(page).toMatchObject({ status: 200, links: [at('/a')] });
    expect(page.timings.settleMs).toBeGreaterThanOrEqual(timing.settleMaxMs - 50);
    expect(page.timings.settleMs).toBeLessThan(timing.settleMaxMs + 1_000);
  });

  it('gives up on an endless redirect loop without retrying', async () => {
    const error = await failure('/loop');
    expect(error).toMatchObject({ kind: 'network', retryable: false });
    expect(error.message).toMatch(/ERR_TOO_MANY_REDIRECTS/);
  });

  it.each([
    ['/file.zip', 200, 'application/zip'],
    ['/data.json', 200, 'application/json'],
    ['/no-content', 204, null],
  ])('records %s with its status and type, and no HTML or links', async (path, status, contentType) => {
    const page = await renderer.render(at(path), timing);
    expect(page).toMatchObject({ finalUrl: at(path), status, contentType, html: '', links: [], title: '' });
  });

  it('caps the serialised DOM at maxHtmlBytes of UTF-8 without splitting a character', async () => {
    const page = await renderer.render(at('/big'), timing);
    expect(page.links).toEqual([at('/x')]);
    expect(Buffer.byteLength(page.html, 'utf8')).toBeLessThanOrEqual(100_000);
    expect(Buffer.byteLength(page.html, 'utf8')).toBeGreaterThan(99_990);
    expect(page.html).not.toContain('\uFFFD');
    expect(capUtf8('aé', 2)).toBe('a');
    expect(capUtf8('short', 100)).toBe('short');
  });

  it('closes pop-ups, with or without an opener', async () => {
    const page = await renderer.render(at('/popups'), timing);
    expect(page.links).toEqual([at('/popup-2')]);
    expect(await openTabs()).toBe(1);
  });

  it('reports the document a page navigated to by script or meta refresh while it settled', async () => {
    expect(await renderer.render(at('/js-redirect'), timing)).toMatchObject({ finalUrl: at('/new'), status: 200, title: 'new', links: [at('/next')] });
    expect(await renderer.render(at('/meta-refresh'), timing)).toMatchObject({ finalUrl: at('/missing'), status: 404, links: [at('/')] });
  });

  it('replaces a browser hung by a script and goes on with the next page', async () => {
    const hung = await getBrowser({ log: quiet });
    const error = await failure('/busy-loop');
    expect(['browser', 'timeout']).toContain(error.kind);
    expect(error.retryable).toBe(true);
    const next = await renderer.render(at('/'), timing);
    expect(next.links).toEqual([at('/a'), at('/b')]);
    expect(hung.connected).toBe(false);
  }, 30_000);

  it('retires a browser after its share of pages and closes it once its tabs are done', async () => {
    const recycling = new PuppeteerRenderer({ log: quiet, recycleAfterPages: 2 });
    await recycling.render(at('/'), timing);
    const first = await getBrowser({ log: quiet });
    await recycling.render(at('/'), timing);
    await recycling.render(at('/'), timing);
    expect(first.connected).toBe(false);
    expect(await getBrowser({ log: quiet })).not.toBe(first);
  });

  it('closes every tab it opened, also after failures', async () => {
    await renderer.render(at('/'), timing);
    await failure('/hang');
    await failure('/loop');
    expect(await openTabs()).toBe(1);
  });
});
