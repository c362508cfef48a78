// The CHROME_PATH mode: a multi-process Chromium (here @sparticuz/chromium's binary started without
// --single-process, as a system Chrome would be) gives every page its own incognito context.
// Its own file: the browser is one per process, and this one must be launched with chromePath.
import chromium from '@sparticuz/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBrowser, supportsBrowserContexts } from '../../functions/adapters/browser/chromium.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { startSite, type TestSite } from './fixtures-browser/site.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const timing = { navigationTimeoutMs: 5_000, settleIdleMs: 300, settleMaxMs: 2_000 };
let site: TestSite;
let renderer: PuppeteerRenderer;
const at = (path: string) => `${site.origin}${path}`;

beforeAll(async () => {
  site = await startSite();
  renderer = new PuppeteerRenderer({ chromePath: await chromium.executablePath(), log: quiet });
});

afterAll(async () => {
  await renderer?.close();
  await site?.close();
});

describe('a multi-process browser (CHROME_PATH)', () => {
  it('renders each page in a fresh incognito context and closes it', async () => {
    const page = await renderer.render(at('/timer'), timing);
    expect(page.links).toEqual([at('/static'), at('/late-1'), at('/late-2')]);
    const browser = await getBrowser();
    expect(browser.process()?.spawnargs).not.toContain('--single-process');
    expect(supportsBrowserContexts(browser)).toBe(true);
    expect(browser.browserContexts()).toHaveLength(1);
    expect(await browser.pages()).toHaveLength(1);
  });

  it('keeps cookies and storage of one page from every other, also while pages run at once', async () => {
    await Promise.all([renderer.render(at('/set-state'), timing), renderer.render(at('/set-state?again'), timing)]);
    // the reader is not alone in the browser: in a shared context nothing would be cleared for it
    const pages = await Promise.all([renderer.render(at('/set-state?third'), timing), renderer.render(at('/read-state'), timing)]);
    expect(pages[1].links).toEqual([at('/state?cookie=&storage=null')]);
    expect(site.hits.filter((hit) => hit.path.startsWith('/read-state')).map((hit) => hit.cookie)).toEqual([undefined]);
  });

  it('handles downloads, dialogs and pop-ups inside the context', async () => {
    expect(await renderer.render(at('/file.pdf'), timing)).toMatchObject({ status: 200, contentType: 'application/pdf', html: '', links: [] });
    expect((await renderer.render(at('/alert'), timing)).links).toEqual([at('/answered?confirm=false&prompt=null')]);
    expect((await renderer.render(at('/popups'), timing)).links).toEqual([at('/popup-2')]);
    const browser = await getBrowser();
    expect(browser.browserContexts()).toHaveLength(1);
    expect(await browser.pages()).toHaveLength(1);
  });
});
