// Consent banners in the real renderer (headless Chromium, a site on 127.0.0.1): autoconsent's rule
// for a known consent manager finds the banner and presses reject (the default) or accept before
// the page is read, so its text and Markdown are the page's, not the banner's, and the record says
// what was pressed; `leave` leaves the banner in the page; a page without one says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { rulesFor } from '../../functions/adapters/browser/consent.js';
import { createProductRegistry } from '../../functions/adapters/products/registry.js';
import type { ConsentMode, Logger, RenderedPage } from '../../functions/core/ports.js';
import { ARTICLE_TEXT, BANNER_TEXT, startConsentSite, type ConsentSite } from './fixtures-browser/consent-site.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
// Generous: the machine is shared with other test files and Chromium instances.
const timing = { navigationTimeoutMs: 20_000, settleIdleMs: 500, settleMaxMs: 5_000 };

let site: ConsentSite;
let renderer: PuppeteerRenderer;

beforeAll(async () => {
  site = await startConsentSite();
  renderer = new PuppeteerRenderer({ log: quiet, products: createProductRegistry(), productTimeoutMs: 60_000 });
});

afterAll(async () => {
  await renderer?.close();
  await site?.close();
});

const render = (path: string, consent?: ConsentMode): Promise<RenderedPage> =>
  renderer.render(`${site.origin}${path}`, { ...timing, jobId: `consent-${consent ?? 'default'}`, ...(consent ? { consent } : {}), products: [{ name: 'text' }, { name: 'markdown' }] });

const textOf = (page: RenderedPage) => page.products?.text?.fields?.text as string;
const markdownOf = (page: RenderedPage) => page.products?.markdown?.fields?.markdown as string;

describe('consent banners', () => {
  it('are rejected by default: the reject button pressed, the banner gone from text and Markdown', async () => {
    const page = await render('/banner');
    expect(page.consent).toEqual({ action: 'reject', result: 'rejected', cmp: 'cookie-script', clicked: ['Reject all'] });
    expect(textOf(page)).toContain('Consent choice: rejected');
    expect(textOf(page)).toContain(ARTICLE_TEXT);
    expect(textOf(page)).not.toContain(BANNER_TEXT);
    expect(markdownOf(page)).toContain('Consent choice: rejected');
    expect(page.html).not.toContain('id="cookiescript_injected"');
  });

  it('are rejected when the banner is drawn after load', async () => {
    const page = await render('/late-banner', 'reject');
    expect(page.consent).toMatchObject({ result: 'rejected', cmp: 'cookie-script', clicked: ['Reject all'] });
    expect(textOf(page)).not.toContain(BANNER_TEXT);
  });

  it('are accepted with consent "accept"', async () => {
    const page = await render('/banner', 'accept');
    expect(page.consent).toEqual({ action: 'accept', result: 'accepted', cmp: 'cookie-script', clicked: ['Accept all'] });
    expect(textOf(page)).toContain('Consent choice: accepted');
    expect(textOf(page)).not.toContain(BANNER_TEXT);
  });

  it('are left as shown with consent "leave": nothing pressed, nothing recorded', async () => {
    const page = await render('/banner', 'leave');
    expect(page.consent).toBeUndefined();
    expect(textOf(page)).toContain(BANNER_TEXT);
    expect(textOf(page)).toContain('Consent choice: none');
  });

  it('a page without a banner records that there was none', async () => {
    const page = await render('/plain');
    expect(page.consent).toEqual({ action: 'reject', result: 'none' });
    expect(textOf(page)).toContain(ARTICLE_TEXT);
  });
});

describe('the rules sent to a page', () => {
  it('are the generic ones and those of its site, not every site-specific rule', () => {
    const generic = rulesFor('https://example.org/').map((r) => r.name);
    expect(generic).toContain('cookie-script');
    expect(generic).not.toContain('bbc.com');
    expect(rulesFor('https://www.bbc.com/news').map((r) => r.name)).toContain('bbc.com');
  });
});
