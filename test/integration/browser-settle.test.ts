// The settle rule under a busy main thread: links a page's timers add within the idle window are
// read even when the page could not run those timers in time (a heavy script, or a loaded machine
// starving the renderer, which is how the fault matrix once lost /delayed.html).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';

let server: Server;
let origin = '';
const renderer = new PuppeteerRenderer({ log: { debug() {}, info() {}, warn() {}, error() {} } });

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    // The first timer keeps the main thread busy well past the idle window; the second, due long
    // before the window ends, adds a link. Deterministic: the busy loop is what a starved renderer does.
    res.end(`<!doctype html><title>busy</title><div id=x></div><script>
      setTimeout(() => { const end = Date.now() + 1500; while (Date.now() < end) {} }, 10);
      setTimeout(() => { const a = document.createElement('a'); a.href = '/late'; document.getElementById('x').append(a); }, 20);
    </script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await renderer.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('reads the links of timers that fell due while the main thread was busy', async () => {
  for (let i = 0; i < 3; i++) {
    const page = await renderer.render(`${origin}/`, { navigationTimeoutMs: 60_000, settleIdleMs: 400, settleMaxMs: 4_000 });
    expect(page.links, `render ${i + 1}`).toEqual([`${origin}/late`]);
  }
});
