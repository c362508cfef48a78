// The offline internet, end to end: the demo site crawled through the stack with `archive`, the site
// stopped, and the WACZ from `completed.archiveUrl` replayed by `npm run replay`'s proxy to a
// Chromium whose only route is that proxy. Every page shows what the crawl saw: its title and its
// links, the ones a script and a fetch() add included.
import chromium from '@sparticuz/chromium';
import { request } from 'node:http';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemoSite, type DemoSite } from '../../local/demo-site.js';
import { startReplay, type ReplayServer } from '../../local/replay.js';
import type { LocalStack } from '../../local/stack.js';
import { crawl, readObject, startTestStack, type CrawlRun } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings } from './support/machine.js';

let stack: LocalStack | undefined;
let site: DemoSite | undefined;
let replay: ReplayServer | undefined;
let browser: Browser | undefined;
let run: CrawlRun;

beforeAll(async () => {
  site = await startDemoSite();
  const speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  stack = await startTestStack({ visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds, workerTimeoutMs: timings.workerTimeoutMs });
  run = await crawl(stack, { url: `${site.origin}/`, depth: 2, formats: ['archive'] }, jobWaitMs(timings, speed, { pages: 12 }));
  // From here on the site is gone: whatever the browser shows comes from the archive.
  await site.stop();
  site = undefined;
  replay = await startReplay({ archive: run.completed.archiveUrl as string, port: 0, log: () => {} });
  chromium.setGraphicsMode = false;
  browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    headless: 'shell',
    args: [...chromium.args.filter((flag) => flag !== '--single-process'), `--proxy-server=http://127.0.0.1:${replay.port}`, '--proxy-bypass-list=<-loopback>'],
  });
});

afterAll(async () => {
  await browser?.close();
  await replay?.close();
  await run?.client.close();
  await Promise.all([stack?.stop(), site?.stop()]);
});

it('replays every HTML page of the crawl with its title and links, and misses nothing the crawl saw', async () => {
  expect(run.completed.status).toBe('succeeded');
  const speed = await machineSpeed();
  const htmlPages = run.manifest.pages.filter((p) => p.status === 200 && !p.url.endsWith('.pdf'));
  expect(htmlPages.length).toBeGreaterThanOrEqual(9);
  for (const page of htmlPages) {
    // `formats: ["archive"]` alone: the record keeps title and links, not the DOM.
    const record = await readObject<{ page: { title: string; links: string[]; html: string } }>(stack!, page.key);
    expect(record.page.html).toBe('');
    const tab = await browser!.newPage();
    try {
      await tab.goto(page.url, { waitUntil: 'domcontentloaded', timeout: 30_000 + 10 * speed.heavyMs });
      await tab.waitForNetworkIdle({ idleTime: 500, timeout: 10_000 + 10 * speed.heavyMs }).catch(() => {});
      const shown = await tab.evaluate(() => ({
        title: document.title,
        links: [...new Set(Array.from(document.querySelectorAll('a[href], area[href]'), (a) => (a as HTMLAnchorElement).href))],
      }));
      expect(shown.title, page.url).toBe(record.page.title);
      expect(new Set(shown.links), page.url).toEqual(new Set(record.page.links));
    } finally {
      await tab.close();
    }
  }
  // Links a script (/a.html) and a fetch() (/b.html) added were replayed too.
  const linksOf = async (path: string) => (await readObject<{ page: { links: string[] } }>(stack!, htmlPages.find((p) => p.url === `${run.manifest.url}${path.slice(1)}`)!.key)).page.links;
  expect(await linksOf('/a.html')).toContain(`${run.manifest.url}delayed.html`);
  expect(await linksOf('/b.html')).toContain(`${run.manifest.url}from-fetch.html`);
  // A document Chromium downloads instead of showing (the PDF) was archived too, and is served as recorded.
  const pdf = await new Promise<{ status: number; type: string | undefined; body: Buffer }>((resolve, reject) => {
    const url = `${run.manifest.url}report.pdf`;
    const req = request({ host: '127.0.0.1', port: replay!.port, path: url, headers: { host: new URL(url).host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
  expect(pdf.status).toBe(200);
  expect(pdf.type).toBe('application/pdf');
  expect(pdf.body.toString('utf8')).toBe('%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
  // The only misses are requests the crawl never made (the browser's favicon).
  expect(replay!.misses.filter((m) => !m.endsWith('/favicon.ico'))).toEqual([]);
});
