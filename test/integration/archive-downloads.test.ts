// Documents Chromium downloads instead of showing (a PDF in headless Chromium, an octet-stream
// attachment, HTML sent as an attachment): the archive product in the real renderer records their
// bodies anyway (read while the response is paused, Fetch domain), with and without the request
// guard's interception, within the page's byte cap, and the replay proxy serves them back from a
// WACZ assembled the usual way (S3 emulator, streaming writer).
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryPayloadDigests } from '../../functions/adapters/archive/payload-digests.js';
import type { RequestGuard } from '../../functions/adapters/browser/request-guard.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { ArchiveProduct, type ArchiveFacts } from '../../functions/adapters/products/archive.js';
import { isDownload } from '../../functions/adapters/products/archive/exchange-recorder.js';
import type { Logger, RenderedPage } from '../../functions/core/ports.js';
import { startReplay } from '../../local/replay.js';
import { BLOB, PDF, startArchiveSite, type ArchiveSite } from './fixtures-archive/site.js';
import { parseWarc, type ParsedRecord } from './fixtures-archive/warc.js';
import { writeWacz } from './fixtures-archive/wacz.js';

const timing = { navigationTimeoutMs: 10_000, settleIdleMs: 300, settleMaxMs: 5_000, products: [{ name: 'archive' }] };
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const allowAll: RequestGuard = async () => ({ allowed: true });

let site: ArchiveSite;
const at = (path: string) => `${site.origin}${path}`;
const jobId = randomUUID();
/** per-page archive files, kept for the WACZ */
const files: { url: string; title: string; body: Uint8Array }[] = [];

function rendererWith(options: { guard?: RequestGuard; maxPageBytes?: number }): PuppeteerRenderer {
  const digests = new InMemoryPayloadDigests();
  return new PuppeteerRenderer({
    log: quiet,
    ...(options.guard ? { guard: options.guard } : {}),
    products: (r) => (r.name === 'archive' ? new ArchiveProduct({ jobId, digests, log: quiet, ...(options.maxPageBytes ? { maxPageBytes: options.maxPageBytes } : {}) }) : undefined),
  });
}

async function archived(renderer: PuppeteerRenderer, path: string): Promise<{ page: RenderedPage; records: ParsedRecord[]; facts: ArchiveFacts; body: Uint8Array }> {
  const page = await renderer.render(at(path), timing);
  const output = page.products?.['archive'];
  expect(output?.error, path).toBeUndefined();
  const file = output?.files?.[0];
  expect(file, `${path}: ${JSON.stringify(output)}`).toBeDefined();
  return { page, records: await parseWarc(file!.body), facts: output!.fields!['archive'] as ArchiveFacts, body: file!.body as Uint8Array };
}

const responseOf = (records: ParsedRecord[], uri: string) => records.find((r) => r.type === 'response' && r.uri === uri);

beforeAll(async () => {
  site = await startArchiveSite();
});

afterAll(async () => {
  await site?.close();
});

it('tells downloads from documents Chromium shows', () => {
  expect(isDownload([['Content-Type', 'application/pdf']])).toBe(true);
  expect(isDownload([['content-type', 'application/octet-stream']])).toBe(true);
  expect(isDownload([['content-type', 'text/html'], ['Content-Disposition', 'attachment; filename=x.html']])).toBe(true);
  expect(isDownload([['content-type', 'text/html; charset=utf-8']])).toBe(false);
  expect(isDownload([['content-type', 'application/xhtml+xml']])).toBe(false);
  expect(isDownload([['content-type', 'image/svg+xml']])).toBe(false);
  expect(isDownload([['content-type', 'application/json']])).toBe(false);
  expect(isDownload([['content-disposition', 'inline']])).toBe(false);
  expect(isDownload([])).toBe(false);
});

describe.each([
  ['with the request guard intercepting', allowAll],
  ['with no interception', undefined],
])('downloads are archived %s', (_name, guard) => {
  let renderer: PuppeteerRenderer;
  beforeAll(() => {
    renderer = rendererWith(guard ? { guard } : {});
  });
  afterAll(async () => {
    await renderer?.close();
  });

  it('a PDF: its bytes and headers as received, and the page record as before', async () => {
    const { page, records, facts, body } = await archived(renderer, '/report.pdf');
    expect(page).toMatchObject({ status: 200, contentType: 'application/pdf', title: '', links: [] });
    const response = responseOf(records, at('/report.pdf'));
    expect(response).toBeDefined();
    expect(response!.status).toBe(200);
    expect(response!.httpHeader('content-type')).toBe('application/pdf');
    expect(Number(response!.httpHeader('content-length'))).toBe(PDF.length);
    expect(Buffer.compare(Buffer.from(response!.payload), PDF)).toBe(0);
    expect(response!.header('WARC-Truncated')).toBeNull();
    expect(records.find((r) => r.type === 'request' && r.uri === at('/report.pdf'))?.header('WARC-Concurrent-To')).toBe(response!.id);
    expect(facts.truncated).toBe(0);
    if (guard) files.push({ url: at('/report.pdf'), title: '', body });
  });

  it('an octet-stream attachment and an HTML attachment', async () => {
    const blob = await archived(renderer, '/export');
    expect(blob.page.status).toBe(200);
    const exported = responseOf(blob.records, at('/export'));
    expect(exported?.httpHeader('content-disposition')).toBe('attachment; filename="export.bin"');
    expect(Buffer.compare(Buffer.from(exported!.payload), BLOB)).toBe(0);

    const saved = await archived(renderer, '/save-me.html');
    expect(Buffer.from(responseOf(saved.records, at('/save-me.html'))!.payload).toString('utf8')).toContain('<title>saved</title>');
    if (guard) files.push({ url: at('/export'), title: '', body: blob.body });
  });

  it('a download behind a redirect: both hops', async () => {
    const { page, records } = await archived(renderer, '/old-report');
    expect(page.finalUrl).toBe(at('/report.pdf'));
    expect(responseOf(records, at('/old-report'))?.status).toBe(301);
    // the job archived this PDF already (the first test): a revisit, by the digest of the body read here
    const pdf = records.find((r) => r.type === 'revisit' && r.uri === at('/report.pdf'));
    expect(pdf?.status).toBe(200);
    expect(pdf?.header('WARC-Payload-Digest')).toBe(`sha256:${createHash('sha256').update(PDF).digest('hex')}`);
    expect(pdf?.header('WARC-Refers-To-Target-URI')).toBe(at('/report.pdf'));
  });

  it('an HTML page still streams and is recorded as before', async () => {
    const { page, records, body } = await archived(renderer, '/a');
    expect(page.title).toBe('page a');
    expect(responseOf(records, at('/a'))?.status).toBe(200);
    if (guard) files.push({ url: at('/a'), title: page.title, body });
  });
});

it('cuts a download over the page byte cap and marks it', async () => {
  const renderer = rendererWith({ guard: allowAll, maxPageBytes: 5_000 });
  try {
    const { page, records, facts } = await archived(renderer, '/report.pdf');
    expect(page.status).toBe(200);
    const response = responseOf(records, at('/report.pdf'));
    expect(response?.header('WARC-Truncated')).toBe('length');
    expect(response!.payload.length).toBe(5_000);
    expect(Buffer.compare(Buffer.from(response!.payload), PDF.subarray(0, 5_000))).toBe(0);
    expect(facts.truncated).toBe(1);
  } finally {
    await renderer.close();
  }
});

describe('replayed from a WACZ', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'archive-downloads-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the proxy serves the PDF and the attachment as archived, with the site gone', async () => {
    expect(files.map((f) => f.url)).toEqual([at('/report.pdf'), at('/export'), at('/a')]);
    const { path } = await writeWacz(files, dir);
    const origin = site.origin;
    await site.close();

    const replay = await startReplay({ archive: path, port: 0, log: () => {}, https: false });
    try {
      const get = (url: string) =>
        new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
          // absolute-form request line: what a browser sends to its HTTP proxy
          const req = request({ host: '127.0.0.1', port: replay.port, path: url, headers: { host: new URL(url).host } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          });
          req.on('error', reject);
          req.end();
        });
      const pdf = await get(`${origin}/report.pdf`);
      expect(pdf.status).toBe(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      expect(Buffer.compare(pdf.body, PDF)).toBe(0);
      const blob = await get(`${origin}/export`);
      expect(blob.headers['content-disposition']).toBe('attachment; filename="export.bin"');
      expect(Buffer.compare(blob.body, BLOB)).toBe(0);
      expect(replay.misses).toEqual([]);
    } finally {
      await replay.close();
    }
  });
});
