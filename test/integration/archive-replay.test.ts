// From capture to offline replay: a small site crawled with the archive product in the real
// renderer, each page's WARC put in S3 (fauxqs), the job's WACZ assembled by streaming multipart
// upload, downloaded, checked (zip CRCs, datapackage digests, index, pages), then the site is
// stopped and a fresh Chromium whose only route is the replay proxy shows every page again: same
// title, same links (those a fetch() adds included), no resource the crawl saw left unanswered.
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import chromium from '@sparticuz/chromium';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryPayloadDigests } from '../../functions/adapters/archive/payload-digests.js';
import { parseCdxj, withoutBusters } from '../../functions/adapters/archive/replay-index.js';
import { WaczReader } from '../../functions/adapters/archive/wacz-reader.js';
import { S3WaczWriter, type WaczResult } from '../../functions/adapters/archive/wacz-writer.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { ArchiveProduct } from '../../functions/adapters/products/archive.js';
import type { Logger } from '../../functions/core/ports.js';
import { startSqsS3 } from '../../local/emulators/sqs-s3.js';
import type { RunningEmulator } from '../../local/emulators/dynamodb.js';
import { startReplay, type ReplayServer } from '../../local/replay.js';
import { API_LINKS, startArchiveSite, type ArchiveSite } from './fixtures-archive/site.js';
import { parseWarc } from './fixtures-archive/warc.js';

const timing = { navigationTimeoutMs: 10_000, settleIdleMs: 500, settleMaxMs: 5_000, products: [{ name: 'archive' }] };
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const bucket = 'archive-test';
const jobId = randomUUID();

interface Crawled {
  requested: string;
  finalUrl: string;
  title: string;
  links: string[];
}

let site: ArchiveSite;
let origin: string;
let s3Emulator: RunningEmulator;
let s3: S3Client;
let dir: string;
let waczPath: string;
let written: WaczResult;
const crawled: Crawled[] = [];
/** every URL the crawl recorded a response (or revisit) for */
const seen = new Set<string>();
let recordsWritten = 0;
let replay: ReplayServer | undefined;
let browser: Browser | undefined;

/** Breadth-first over the site's own links, every page through the archive product. */
async function crawl(renderer: PuppeteerRenderer): Promise<string[]> {
  const queue = [`${origin}/`];
  const visited = new Set(queue);
  const keys: string[] = [];
  while (queue.length > 0) {
    const url = queue.shift()!;
    const page = await renderer.render(url, timing);
    const file = page.products?.['archive']?.files?.[0];
    expect(file, url).toBeDefined();
    const key = `jobs/${jobId}/archive/${createHash('sha256').update(url).digest('hex')}.warc.gz`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: file!.body, ContentType: file!.contentType }));
    keys.push(key);
    for (const record of await parseWarc(file!.body)) {
      recordsWritten++;
      if (record.type === 'response' || record.type === 'revisit') seen.add(record.uri);
    }
    crawled.push({ requested: url, finalUrl: page.finalUrl, title: page.title, links: page.links });
    for (const link of page.links) {
      if (link.startsWith(origin) && !visited.has(link)) {
        visited.add(link);
        queue.push(link);
      }
    }
  }
  return keys;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archive-replay-'));
  site = await startArchiveSite();
  origin = site.origin;
  s3Emulator = await startSqsS3();
  s3 = new S3Client({ region: 'us-east-1', endpoint: s3Emulator.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));

  const digests = new InMemoryPayloadDigests();
  const renderer = new PuppeteerRenderer({
    log: quiet,
    products: (request) => (request.name === 'archive' ? new ArchiveProduct({ jobId, digests, log: quiet }) : undefined),
  });
  let keys: string[];
  try {
    keys = await crawl(renderer);
  } finally {
    await renderer.close();
  }
  written = await new S3WaczWriter(s3, bucket).write({ jobId, warcKeys: keys, pages: crawled.map((c) => ({ url: c.finalUrl, title: c.title })) });
  waczPath = join(dir, 'archive.wacz');
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: written.key }));
  await pipeline(object.Body as Readable, createWriteStream(waczPath));
  // from here on the site exists only in the archive
  await site.close();
});

afterAll(async () => {
  await browser?.close();
  await replay?.close();
  await site?.close();
  s3?.destroy();
  await s3Emulator?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the WACZ', () => {
  let reader: WaczReader;
  beforeAll(async () => {
    reader = await WaczReader.open(waczPath);
  });
  afterAll(() => reader?.close());

  it('holds the WACZ files, the WARC stored, every entry matching its CRC', async () => {
    const names = reader.entries().map((e) => e.name);
    expect(names).toEqual(['archive/data.warc.gz', 'indexes/index.cdxj', 'pages/pages.jsonl', 'datapackage.json', 'datapackage-digest.json']);
    expect(reader.entries().find((e) => e.name === 'archive/data.warc.gz')?.compressionMethod).toBe(0);
    for (const entry of reader.entries()) {
      const bytes = await reader.read(entry.name);
      expect(bytes.length, entry.name).toBe(entry.size);
      expect(crc32(bytes), entry.name).toBe(entry.crc32);
    }
    expect(written.missing).toEqual([]);
    expect(written.pages).toBe(crawled.length);
  });

  it('lists sha256 digests and sizes in datapackage.json that match the entries', async () => {
    const datapackage = JSON.parse((await reader.read('datapackage.json')).toString('utf8')) as {
      wacz_version: string;
      resources: { path: string; hash: string; bytes: number }[];
    };
    expect(datapackage.wacz_version).toBe('1.1.1');
    expect(datapackage.resources.map((r) => r.path).sort()).toEqual(['archive/data.warc.gz', 'indexes/index.cdxj', 'pages/pages.jsonl']);
    for (const resource of datapackage.resources) {
      const bytes = await reader.read(resource.path);
      expect(resource.hash, resource.path).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      expect(resource.bytes).toBe(bytes.length);
    }
    const digest = JSON.parse((await reader.read('datapackage-digest.json')).toString('utf8')) as { path: string; hash: string };
    expect(digest).toEqual({ path: 'datapackage.json', hash: `sha256:${createHash('sha256').update(await reader.read('datapackage.json')).digest('hex')}` });
  });

  it('has every page record concatenated in one valid WARC, and a sorted index that finds each page’s document', async () => {
    const records = await parseWarc(await reader.read('archive/data.warc.gz'));
    expect(records[0]?.type).toBe('warcinfo');
    expect(records).toHaveLength(recordsWritten + 1);

    const text = (await reader.read('indexes/index.cdxj')).toString('utf8');
    const lines = text.trim().split('\n');
    expect([...lines].sort()).toEqual(lines);
    const captures = parseCdxj(text);
    for (const page of crawled) {
      const capture = captures.find((c) => c.url === page.finalUrl && c.mime !== 'warc/revisit');
      expect(capture, page.finalUrl).toBeDefined();
      const [record] = await parseWarc(await reader.readRange('archive/data.warc.gz', capture!.offset, capture!.length));
      expect(record).toMatchObject({ type: 'response', uri: page.finalUrl });
    }
    expect(written.captures).toBe(captures.length);
  });

  it('lists the pages in pages/pages.jsonl after its header line, each with a capture time', async () => {
    const [header, ...pages] = (await reader.read('pages/pages.jsonl')).toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);
    expect(header).toMatchObject({ format: 'json-pages-1.0', id: 'pages' });
    expect(pages.map((p) => p['url'])).toEqual(crawled.map((c) => c.finalUrl));
    for (const page of pages) expect(page['ts']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });
});

describe('offline replay through the proxy', () => {
  const failed: string[] = [];
  const notFound: string[] = [];

  beforeAll(async () => {
    replay = await startReplay({ archive: waczPath, port: 0, log: () => {} });
    chromium.setGraphicsMode = false;
    browser = await puppeteer.launch({
      executablePath: await chromium.executablePath(),
      headless: 'shell',
      args: [
        ...chromium.args.filter((flag) => flag !== '--single-process'),
        // the proxy is the only route, loopback included: nothing can reach a live server
        `--proxy-server=http://127.0.0.1:${replay.port}`,
        '--proxy-bypass-list=<-loopback>',
      ],
    });
  });

  it('prints the pages the archive holds', () => {
    expect(replay!.pages.map((p) => p.url)).toEqual(crawled.map((c) => c.finalUrl));
  });

  it('shows every page with the same title and links as the crawl, fetch()-inserted links included', async () => {
    for (const page of crawled) {
      const tab = await browser!.newPage();
      tab.on('requestfailed', (request) => failed.push(`${request.url()} ${request.failure()?.errorText}`));
      tab.on('response', (response) => {
        if (response.status() === 404) notFound.push(response.url());
      });
      try {
        await tab.goto(page.requested, { waitUntil: 'domcontentloaded', timeout: 20_000 });
        await tab.waitForNetworkIdle({ idleTime: 500, timeout: 10_000 }).catch(() => {});
        const shown = await tab.evaluate(() => ({
          title: document.title,
          url: location.href,
          links: [...new Set(Array.from(document.querySelectorAll('a[href]'), (a) => (a as HTMLAnchorElement).href))],
        }));
        expect(shown.url, page.requested).toBe(page.finalUrl);
        expect(shown.title, page.requested).toBe(page.title);
        expect(shown.links, page.requested).toEqual(page.links);
      } finally {
        await tab.close();
      }
    }
    const home = crawled.find((c) => c.requested === `${origin}/`)!;
    expect(home.links).toEqual(expect.arrayContaining(API_LINKS.map((path) => `${origin}${path}`)));
    // the script's fetch carried a new cache-buster: found by the fuzzy rule, not missed
    expect(replay!.served.some((s) => s.url.startsWith(`${origin}/api/links?_=`) && s.rule === 'cache-buster')).toBe(true);
  });

  it('left no request for a resource the crawl saw unanswered', () => {
    const seenKeys = new Set([...seen].map(withoutBusters));
    const missedSeen = replay!.misses.filter((miss) => seenKeys.has(withoutBusters(miss.split(' ')[1] ?? '')));
    expect(missedSeen).toEqual([]);
    // the only 404s are the ones the crawl recorded as 404
    for (const url of notFound) expect(seen.has(url), url).toBe(true);
    expect(failed).toEqual([]);
  });

  it('answers HEAD with the recorded headers and no body, and 404 for what the archive lacks', async () => {
    const proxy = `http://127.0.0.1:${replay!.port}`;
    const { request } = await import('node:http');
    const ask = (method: string, url: string) =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = request(proxy, { method, path: url, headers: { host: new URL(url).host } }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const head = await ask('HEAD', `${origin}/style.css`);
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-type']).toBe('text/css');
    const moved = await ask('GET', `${origin}/old-b`);
    expect(moved.status).toBe(302);
    expect(moved.headers['location']).toBe('/b');
    const missing = await ask('GET', `${origin}/never-crawled`);
    expect(missing.status).toBe(404);
    expect(replay!.misses).toContain(`GET ${origin}/never-crawled`);
  });
});
