// The renderer against pages served on 127.0.0.1, including the worst of the web: pages that never
// load, redirect forever, are huge, are binary, hang the renderer, or open dialogs and pop-ups.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBrowser } from '../../functions/adapters/browser/chromium.js';
import { RenderError } from '../../functions/adapters/browser/errors.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const timing = { navigationTimeoutMs: 3_000, settleIdleMs: 300, settleMaxMs: 1_500 };
let server: Server;
let origin = '';
let renderer: PuppeteerRenderer;

beforeAll(async () => {
  server = createServer((req, res) => {
    const html = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html><head><title>t</title></head><body>${body}</body></html>`);
    };
    switch (req.url) {
      case '/hang':
        return; // never answers
      case '/loop':
        res.writeHead(302, { location: '/loop' });
        return res.end();
      case '/huge':
        return html(`<a href="/x">x</a><p>${'lorem ipsum '.repeat(1_100_000)}</p>`);
      case '/binary':
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(Buffer.alloc(4096, 7));
      case '/busy-loop':
        return html('<script>while (true) {}</script>');
      case '/dialogs':
        return html(`<a href="/after-dialogs">next</a><script>alert('hi'); confirm('sure?'); prompt('name?');
          window.open('/popup', '_blank'); window.onbeforeunload = () => 'stay';</script>`);
      case '/popup':
        return html('popup');
      default:
        return html(`<a href="/a">a</a>`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  renderer = new PuppeteerRenderer({ log: quiet, watchdogSlackMs: 3_000 });
});

afterAll(async () => {
  await renderer?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

async function failure(path: string): Promise<RenderError> {
  const error = await renderer.render(`${origin}${path}`, timing).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

async function openTabs(): Promise<number> {
  return (await (await getBrowser({ log: quiet })).pages()).length;
}

describe('poison pages', () => {
  it('times out a page that never answers, as a retryable error', async () => {
    expect(await failure('/hang')).toMatchObject({ kind: 'timeout', retryable: true });
  });

  it('gives up on an endless redirect loop without retrying', async () => {
    const error = await failure('/loop');
    expect(error).toMatchObject({ kind: 'network', retryable: false });
    expect(error.message).toMatch(/ERR_TOO_MANY_REDIRECTS/);
  });

  it('records a binary response with its status and type, and no links', async () => {
    const page = await renderer.render(`${origin}/binary`, timing);
    expect(page).toMatchObject({ status: 200, contentType: 'application/octet-stream', links: [], html: '' });
  });

  it('renders a 13 MB page and caps what it keeps', async () => {
    const page = await renderer.render(`${origin}/huge`, { ...timing, navigationTimeoutMs: 15_000 });
    expect(page.links).toEqual([`${origin}/x`]);
    expect(page.html.length).toBeLessThanOrEqual(10 * 1024 * 1024);
  });

  it('dismisses dialogs and closes pop-ups', async () => {
    const page = await renderer.render(`${origin}/dialogs`, timing);
    expect(page.links).toEqual([`${origin}/after-dialogs`]);
    expect(await openTabs()).toBeLessThanOrEqual(1);
  });

  it('replaces a browser hung by a script and goes on with the next page', async () => {
    const error = await failure('/busy-loop');
    expect(['browser', 'timeout']).toContain(error.kind);
    expect(error.retryable).toBe(true);
    const next = await renderer.render(`${origin}/`, timing);
    expect(next.links).toEqual([`${origin}/a`]);
  }, 60_000);

  it('relaunches a browser that was killed', async () => {
    const browser = await getBrowser({ log: quiet });
    browser.process()?.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await renderer.render(`${origin}/`, timing);
    expect(next.status).toBe(200);
    expect(await getBrowser({ log: quiet })).not.toBe(browser);
  });

  it('retires a browser after its share of pages and closes it once its tabs are done', async () => {
    const recycling = new PuppeteerRenderer({ log: quiet, recycleAfterPages: 2 });
    await recycling.render(`${origin}/`, timing);
    const first = await getBrowser({ log: quiet });
    await recycling.render(`${origin}/`, timing);
    await recycling.render(`${origin}/`, timing);
    expect(first.connected).toBe(false);
    expect(await getBrowser({ log: quiet })).not.toBe(first);
  });

  it('closes every tab it opened', async () => {
    await renderer.render(`${origin}/`, timing);
    await failure('/hang');
    expect(await openTabs()).toBeLessThanOrEqual(1);
  });
});
