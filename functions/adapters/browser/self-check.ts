// Starts the browser the way the crawler does and renders one page served on 127.0.0.1: proves
// that the binary, its shared libraries and the renderer work on this machine. Used by
// scripts/setup.sh; run by hand with `npx tsx functions/adapters/browser/self-check.ts`.
// Prints one JSON line; exits 1 on failure.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../core/ports.js';
import { getBrowser } from './chromium.js';
import { PuppeteerRenderer } from './renderer.js';

const PAGE = `<!DOCTYPE html><html><head><title>self-check</title></head><body><a href="/static">static</a>
<script>setTimeout(() => { const a = document.createElement('a'); a.href = '/late'; document.body.append(a); }, 100);</script></body></html>`;

async function main(): Promise<void> {
  let launchMs: number | undefined;
  const log: Logger = {
    debug() {},
    info(message, ...extra) {
      if (message === 'browser launched') launchMs = Number(extra[0]?.['ms']);
    },
    warn(message, ...extra) {
      console.error(JSON.stringify({ level: 'warn', message, ...Object.assign({}, ...extra) }));
    },
    error(message, ...extra) {
      console.error(JSON.stringify({ level: 'error', message, ...Object.assign({}, ...extra) }));
    },
  };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const chromePath = process.env['CHROME_PATH'] || undefined;
  const renderer = new PuppeteerRenderer({ chromePath, chromiumBinDir: process.env['CHROMIUM_BIN_DIR'] || undefined, log });
  try {
    const first = await renderer.render(`${origin}/`, { navigationTimeoutMs: 15_000, settleIdleMs: 300, settleMaxMs: 3_000 });
    const second = await renderer.render(`${origin}/again`, { navigationTimeoutMs: 15_000, settleIdleMs: 300, settleMaxMs: 3_000 });
    const expected = [`${origin}/static`, `${origin}/late`];
    if (first.status !== 200 || JSON.stringify(first.links) !== JSON.stringify(expected)) {
      throw new Error(`unexpected render: status ${first.status}, links ${JSON.stringify(first.links)}`);
    }
    const browser = await getBrowser({ chromePath, log });
    console.log(
      JSON.stringify({
        ok: true,
        browser: await browser.version(),
        executable: browser.process()?.spawnfile,
        launchMs,
        firstPageMs: first.timings.totalMs,
        warmPageMs: second.timings.totalMs,
        warmPageWithoutSettleMs: second.timings.totalMs - second.timings.settleMs,
      }),
    );
  } finally {
    await renderer.close();
    server.close();
  }
}

main().catch((error: unknown) => {
  console.log(JSON.stringify({ ok: false, error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
