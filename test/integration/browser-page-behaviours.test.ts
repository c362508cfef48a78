// The renderer in a real headless Chromium against pages that need more than a load: auto-scroll
// (on by default, bounded, off on request, skipped where nothing on the page reacts to a scroll),
// the job's actions (in order, a missing selector noted, a navigation reported and the new document
// read), and the seeds' headers and cookies (sent to the seed's origin only: not to another port of
// its address, a third-party host, or a redirect there).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import type { RenderOptions } from '../../functions/core/ports.js';
import { seedOriginsOf } from '../../functions/core/seed-credentials.js';
import { LOGIN, startBehaviourSite, type BehaviourSite } from './fixtures-browser/behaviour-site.js';

// Generous: a busy 2-core machine; nothing here asserts how long anything took.
const timing = { navigationTimeoutMs: 20_000, settleIdleMs: 400, settleMaxMs: 4_000 };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

let site: BehaviourSite;
let renderer: PuppeteerRenderer;
const at = (path: string) => `${site.origin}${path}`;
const render = (path: string, options: Partial<RenderOptions> = {}) => renderer.render(at(path), { ...timing, ...options });

beforeAll(async () => {
  site = await startBehaviourSite();
  renderer = new PuppeteerRenderer({ log: quiet });
});

afterAll(async () => {
  await renderer?.close();
  await site?.close();
});

describe('auto-scroll', () => {
  it('finds a link an IntersectionObserver adds at the bottom of a tall page, by default', async () => {
    expect((await render('/tall-lazy')).links).toContain(at('/lazy-link'));
  });

  it('does not scroll with autoscroll: false, so that link is not there', async () => {
    expect((await render('/tall-lazy', { autoscroll: false })).links).not.toContain(at('/lazy-link'));
  });

  it('lets the network settle after scrolling: a link fetched when the bottom shows is found', async () => {
    expect((await render('/tall-lazy-fetch')).links).toContain(at('/fetched-lazy-link'));
    expect((await render('/tall-lazy-fetch', { autoscroll: false })).links).not.toContain(at('/fetched-lazy-link'));
  });

  it('scrolls a page that listens for scrolling (a listener or an onscroll handler), not with autoscroll: false', async () => {
    expect((await render('/tall-listener')).links).toContain(at('/listener-link'));
    expect((await render('/tall-onscroll')).links).toContain(at('/onscroll-link'));
    expect((await render('/tall-listener', { autoscroll: false })).links).not.toContain(at('/listener-link'));
    expect((await render('/tall-onscroll', { autoscroll: false })).links).not.toContain(at('/onscroll-link'));
  });

  it('scrolls a page with a natively lazy image far below the fold, so the image is fetched', async () => {
    const fetched = () => site.hits.filter((hit) => hit.path === '/lazy-image.png').length;
    await render('/tall-lazy-image', { autoscroll: false });
    expect(fetched()).toBe(0);
    await render('/tall-lazy-image');
    expect(fetched()).toBe(1);
  });

  it('leaves a tall page on which nothing reacts to a scroll unscrolled; an observer on it is enough to scroll it', async () => {
    expect((await render('/tall-inert')).links).not.toContain(at('/was-scrolled'));
    expect((await render('/tall-inert?observed')).links).toContain(at('/was-scrolled'));
  });

  it('stops on an endless feed (bounded) and keeps what it loaded', async () => {
    const page = await render('/endless');
    const items = page.links.filter((l) => l.startsWith(at('/item-')));
    expect(items.length).toBeGreaterThan(3);
    // the height cap (40 000 px of 2 000 px items) ends it long before the feed does
    expect(items.length).toBeLessThanOrEqual(25);
  });
});

describe('actions', () => {
  it('finds a link a button reveals with a click action, and not without', async () => {
    expect((await render('/reveal')).links).not.toContain(at('/revealed'));
    const page = await render('/reveal', { actions: [{ click: '#more' }] });
    expect(page.links).toContain(at('/revealed'));
    expect(page.actionNotes).toBeUndefined();
  });

  it('runs steps in order: type, then click, and the page shows what was typed', async () => {
    const page = await render('/reveal', { actions: [{ type: '#q', text: 'lazy crawler' }, { click: '#go' }] });
    expect(page.links).toContain(at('/results?q=lazy%20crawler'));
  });

  it('clicks an element that cannot take a real click (hidden) through the DOM', async () => {
    expect((await render('/reveal', { actions: [{ click: '#hidden-more' }] })).links).toContain(at('/hidden-revealed'));
  });

  it('skips a selector that is not on the page, notes it, and runs the rest', async () => {
    const page = await render('/reveal', { actions: [{ click: '#no-such-button' }, { waitFor: '#nor-this' }, { click: 'a[' }, { click: '#more' }] });
    expect(page.links).toContain(at('/revealed'));
    expect(page.actionNotes).toEqual([
      'actions[0] click "#no-such-button": skipped: not found on this page',
      expect.stringMatching(/^actions\[1\] waitFor "#nor-this": skipped: did not appear within \d+ ms$/),
      'actions[2] click "a[": skipped: is not a valid CSS selector',
    ]);
  });

  it('waits for an element that comes after the network settled', async () => {
    // Nothing waits past the settle unless asked: not even the consent watch's look for a banner
    // (by default up to CONSENT_DETECT_MS after it, adapters/browser/consent.ts), left out here.
    expect((await render('/late-element', { consent: 'leave' })).links).not.toContain(at('/late-target'));
    expect((await render('/late-element', { actions: [{ waitFor: '#late' }] })).links).toContain(at('/late-target'));
    expect((await render('/late-element', { actions: [{ wait: 2_500 }] })).links).toContain(at('/late-target'));
  });

  it('reports a step that navigates away, runs no later step, and reads the new document', async () => {
    const page = await render('/leave', { actions: [{ click: '#away' }, { click: '#never' }] });
    expect(page).toMatchObject({ requestedUrl: at('/leave'), documentUrl: at('/landing'), finalUrl: at('/landing'), title: 'landing' });
    expect(page.links).toEqual([at('/from-landing')]);
    expect(page.actionNotes).toEqual([`actions[0] click "#away": navigated the page to ${at('/landing')}; the 1 later action(s) were not run`]);
  });
});

describe("the seeds' headers and cookies", () => {
  const credentials = () => ({
    origins: seedOriginsOf([at('/private')]),
    headers: { [LOGIN.header]: LOGIN.token },
    cookies: [{ name: LOGIN.cookie, value: LOGIN.session }],
  });

  it('a page that wants a login answers 403 without them', async () => {
    expect(await render('/private')).toMatchObject({ status: 403, title: 'forbidden' });
  });

  it("crawls it with them, and no other host (another port, a third party) gets either", async () => {
    site.hits.length = 0;
    const page = await render('/private', { credentials: credentials() });
    expect(page).toMatchObject({ status: 200, title: 'private' });
    expect(page.links).toEqual([at('/private/next'), at('/to-third-party')]);
    const own = site.hits.filter((h) => h.server === 'site');
    // the document and its own subresources (image, fetch) carry both
    expect(own.map((h) => h.path).sort()).toEqual(['/api/own', '/own.png', '/private']);
    for (const hit of own) {
      expect(hit.token).toBe(LOGIN.token);
      expect(hit.cookie).toBe(`${LOGIN.cookie}=${LOGIN.session}`);
    }
    const elsewhere = site.hits.filter((h) => h.server !== 'site');
    expect(elsewhere.map((h) => `${h.server} ${h.path}`).sort()).toEqual(['other-port /widget.js', 'third-party /api', 'third-party /pixel.png']);
    for (const hit of elsewhere) expect(hit).toMatchObject({ token: undefined, cookie: undefined });
  });

  it('a redirect from the seed host to another host: the first hop has them, the next none', async () => {
    site.hits.length = 0;
    const page = await render('/to-third-party', { credentials: credentials() });
    expect(page).toMatchObject({ status: 200, documentUrl: `${site.thirdPartyOrigin}/landing` });
    expect(site.hits.map((h) => ({ ...h }))).toEqual([
      { server: 'site', path: '/to-third-party', token: LOGIN.token, cookie: `${LOGIN.cookie}=${LOGIN.session}` },
      { server: 'third-party', path: '/landing', token: undefined, cookie: undefined },
    ]);
  });

  it('keeps the job cookie out of the browser: the next page without credentials is refused again', async () => {
    await render('/private', { credentials: credentials() });
    expect(await render('/private')).toMatchObject({ status: 403 });
  });
});
