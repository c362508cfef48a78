// HTTPS through the replay proxy: a site served over https on 127.0.0.1 (its certificate from a CA
// of its own, which the crawling Chromium is told to ignore) is crawled with the archive product,
// its WACZ assembled, the site stopped; then a Chromium whose only route is the replay proxy, and
// which accepts only the proxy's certificates (--ignore-certificate-errors-spki-list with the
// fingerprints the proxy prints), shows its pages again: same titles, same links (those a fetch()
// adds too), every subresource the crawl saw answered, all of it as https:// from the archive.
import chromium from '@sparticuz/chromium';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { InMemoryPayloadDigests } from '../../functions/adapters/archive/payload-digests.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { ArchiveProduct } from '../../functions/adapters/products/archive.js';
import type { Logger } from '../../functions/core/ports.js';
import { chromiumFlags, startReplay, type ReplayServer } from '../../local/replay.js';
import { createReplayCa } from '../../local/replay-tls.js';
import { API_LINKS, startArchiveSite, type ArchiveSite } from './fixtures-archive/site.js';
import { parseWarc } from './fixtures-archive/warc.js';
import { writeWacz, type PageFile } from './fixtures-archive/wacz.js';

const timing = { navigationTimeoutMs: 15_000, settleIdleMs: 500, settleMaxMs: 5_000, products: [{ name: 'archive' }] };
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

let site: ArchiveSite | undefined;
let origin: string;
let dir: string;
let replay: ReplayServer | undefined;
let browser: Browser | undefined;
const crawled: { url: string; finalUrl: string; title: string; links: string[] }[] = [];
const seen = new Set<string>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archive-https-'));
  // the site's own CA, unrelated to the one the replay proxy will make
  site = await startArchiveSite({ tls: createReplayCa().pemsFor('127.0.0.1') });
  origin = site.origin;
  const digests = new InMemoryPayloadDigests();
  const renderer = new PuppeteerRenderer({
    log: quiet,
    extraArgs: ['--ignore-certificate-errors'],
    products: (r) => (r.name === 'archive' ? new ArchiveProduct({ jobId: 'https-job', digests, log: quiet }) : undefined),
  });
  const files: PageFile[] = [];
  try {
    for (const path of ['/', '/a', '/old-b']) {
      const page = await renderer.render(`${origin}${path}`, timing);
      const body = page.products?.['archive']?.files?.[0]?.body as Uint8Array | undefined;
      expect(body, path).toBeDefined();
      for (const record of await parseWarc(body!)) if (record.type === 'response' || record.type === 'revisit') seen.add(record.uri);
      files.push({ url: page.finalUrl, title: page.title, body: body! });
      crawled.push({ url: `${origin}${path}`, finalUrl: page.finalUrl, title: page.title, links: page.links });
    }
  } finally {
    await renderer.close();
  }
  const { path } = await writeWacz(files, dir);
  await site.close();
  site = undefined;

  replay = await startReplay({ archive: path, port: 0, log: () => {} });
  chromium.setGraphicsMode = false;
  browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    headless: 'shell',
    args: [...chromium.args.filter((flag) => flag !== '--single-process'), ...chromiumFlags(replay)],
  });
});

afterAll(async () => {
  await browser?.close();
  await replay?.close();
  await site?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('crawled an https site', () => {
  expect(origin).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  // no request guard here, so the home page's /blocked.js runs and retitles it: the replay must too
  expect(crawled.map((c) => c.title)).toEqual(['not blocked', 'page a', 'page b']);
  expect(crawled[0]!.links).toEqual(expect.arrayContaining(API_LINKS.map((p) => `${origin}${p}`)));
  expect([...seen].every((uri) => uri.startsWith(`${origin}/`))).toBe(true);
});

it('replays the https pages through the proxy with their titles and links, nothing the crawl saw missing', async () => {
  expect(replay!.ca?.spkiFingerprints).toHaveLength(2);
  for (const page of crawled) {
    const tab = await browser!.newPage();
    try {
      const response = await tab.goto(page.url, { waitUntil: 'domcontentloaded', timeout: 30_000 });
      expect(response?.url()).toMatch(/^https:/);
      await tab.waitForNetworkIdle({ idleTime: 500, timeout: 15_000 }).catch(() => {});
      const shown = await tab.evaluate(() => ({
        url: location.href,
        title: document.title,
        links: [...new Set(Array.from(document.querySelectorAll('a[href]'), (a) => (a as HTMLAnchorElement).href))],
        secure: window.isSecureContext,
      }));
      expect(shown.url, page.url).toBe(page.finalUrl);
      expect(shown.title, page.url).toBe(page.title);
      expect(new Set(shown.links), page.url).toEqual(new Set(page.links));
      expect(shown.secure).toBe(true);
    } finally {
      await tab.close();
    }
  }
  const served = new Set(replay!.served.map((s) => s.url));
  expect([...served].every((url) => url.startsWith('https://'))).toBe(true);
  // the stylesheet, the image and the fetch()ed JSON came from the archive over https
  for (const path of ['/style.css', '/shared.png']) expect(served.has(`${origin}${path}`), path).toBe(true);
  expect([...served].some((url) => url.startsWith(`${origin}/api/links`))).toBe(true);
  expect(replay!.misses.filter((m) => !m.endsWith('/favicon.ico'))).toEqual([]);
});

it('is real TLS: a browser not told about the proxy’s CA refuses the page', async () => {
  const strict = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    headless: 'shell',
    args: [...chromium.args.filter((flag) => flag !== '--single-process'), ...chromiumFlags({ port: replay!.port })],
  });
  try {
    const tab = await strict.newPage();
    await expect(tab.goto(`${origin}/`, { timeout: 30_000 })).rejects.toThrow(/ERR_CERT|ERR_SSL|ERR_/);
  } finally {
    await strict.close();
  }
});
