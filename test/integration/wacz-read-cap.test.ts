// The replay tool reads an archive that may come from anywhere: no entry (the CDXJ index,
// pages.jsonl) and no WARC record is read into memory beyond its cap, whatever the zip header or the
// index claims. Archives are built here with yazl, as small files whose entries sit just above or
// below a small cap.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaczReader, WaczReadTooLarge } from '../../functions/adapters/archive/wacz-reader.js';
import { startReplay } from '../../local/replay.js';

const CAP = 4_096;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacz-cap-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A WARC response record for `url` with `body`. */
function warcRecord(url: string, body: string): Buffer {
  const http = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  const head = [
    'WARC/1.1',
    'WARC-Type: response',
    `WARC-Target-URI: ${url}`,
    'WARC-Date: 2026-01-01T00:00:00Z',
    'WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>',
    'Content-Type: application/http; msgtype=response',
    `Content-Length: ${http.length}`,
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), http, Buffer.from('\r\n\r\n')]);
}

/** A WACZ with one small page and one big page (their records in one stored WARC), `indexPadding` bytes of extra index lines, deflated or stored. */
async function writeWacz(name: string, { indexPadding = 0, pagesPadding = 0 } = {}): Promise<string> {
  const small = warcRecord('http://site.test/small', '<title>small</title>');
  const big = warcRecord('http://site.test/big', `<title>big</title>${'x'.repeat(CAP * 2)}`);
  const warc = Buffer.concat([small, big]);
  const line = (url: string, offset: number, length: number) =>
    `test,site)/${url.split('/').pop()} 20260101000000 ${JSON.stringify({ url, mime: 'text/html', status: '200', digest: 'x', offset: String(offset), length: String(length), filename: 'data.warc' })}`;
  // Lines for other URLs: the index grows without changing what it answers.
  const padding = indexPadding > 0 ? `${Array.from({ length: Math.ceil(indexPadding / 100) }, (_, i) => line(`http://pad.test/${i}`, 0, small.length)).join('\n')}\n` : '';
  const index = `${line('http://site.test/big', small.length, big.length)}\n${padding}${line('http://site.test/small', 0, small.length)}\n`;
  const pages = `{"format":"json-pages-1.0","id":"pages","title":"All Pages"}\n{"url":"http://site.test/small","ts":"2026-01-01T00:00:00Z"}\n${pagesPadding > 0 ? `{"url":"http://site.test/small","title":"${'p'.repeat(pagesPadding)}"}\n` : ''}`;
  const zip = new yazl.ZipFile();
  zip.addBuffer(warc, 'archive/data.warc', { compress: false });
  zip.addBuffer(Buffer.from(index), 'indexes/index.cdxj');
  zip.addBuffer(Buffer.from(pages), 'pages/pages.jsonl');
  zip.end();
  const path = join(dir, name);
  await pipeline(zip.outputStream, createWriteStream(path));
  return path;
}

function get(port: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path: url, headers: { host: new URL(url).host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('WACZ reads under a cap', () => {
  it('refuses an entry whose size is over the cap before reading it, and a record range over it', async () => {
    const path = await writeWacz('big-index.wacz', { indexPadding: CAP * 4 });
    const reader = await WaczReader.open(path, { maxReadBytes: CAP });
    try {
      const error = await reader.read('indexes/index.cdxj').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WaczReadTooLarge);
      expect((error as WaczReadTooLarge).message).toMatch(/^indexes\/index\.cdxj: \d+ bytes to read, more than the cap of 4096 bytes$/);
      expect((error as WaczReadTooLarge).bytes).toBeGreaterThan(CAP * 4);
      // Under the cap: read whole.
      expect((await reader.read('pages/pages.jsonl')).toString('utf8')).toContain('site.test/small');
      const entry = reader.entries().find((e) => e.name === 'archive/data.warc')!;
      await expect(reader.readRange('archive/data.warc', 0, CAP + 1)).rejects.toBeInstanceOf(WaczReadTooLarge);
      await expect(reader.readRange('archive/data.warc', entry.size - 10, 20)).rejects.toThrow(/no record at offset/);
      expect((await reader.readRange('archive/data.warc', 0, 8)).toString('latin1')).toBe('WARC/1.1');
    } finally {
      reader.close();
    }
    // The same archive opens with a larger cap.
    const roomy = await WaczReader.open(path, { maxReadBytes: CAP * 16 });
    expect((await roomy.read('indexes/index.cdxj')).length).toBeGreaterThan(CAP * 4);
    roomy.close();
  });

  it('will not start a replay whose index or pages list is over the cap, and says which and how to allow it', async () => {
    const bigIndex = await writeWacz('replay-big-index.wacz', { indexPadding: CAP * 4 });
    await expect(startReplay({ archive: bigIndex, port: 0, https: false, maxReadBytes: CAP, log: () => {} })).rejects.toThrow(
      /^cannot replay .*replay-big-index\.wacz: indexes\/index\.cdxj: \d+ bytes to read, more than the cap of 4096 bytes \(raise it with --max-read-bytes/,
    );
    const bigPages = await writeWacz('replay-big-pages.wacz', { pagesPadding: CAP * 2 });
    await expect(startReplay({ archive: bigPages, port: 0, https: false, maxReadBytes: CAP, log: () => {} })).rejects.toThrow(/pages\/pages\.jsonl: \d+ bytes to read/);
  });

  it('answers a record over the cap with 502 and the reason, and goes on serving the others', async () => {
    const path = await writeWacz('replay-big-record.wacz');
    const lines: string[] = [];
    const replay = await startReplay({ archive: path, port: 0, https: false, maxReadBytes: CAP, log: (line) => lines.push(line) });
    try {
      const big = await get(replay.port, 'http://site.test/big');
      expect(big.status).toBe(502);
      expect(big.body).toMatch(/^not replayed: archive\/data\.warc at offset \d+: \d+ bytes to read, more than the cap of 4096 bytes \(raise it with --max-read-bytes/);
      expect(lines.some((line) => line.startsWith('error GET http://site.test/big: archive/data.warc at offset'))).toBe(true);
      const small = await get(replay.port, 'http://site.test/small');
      expect(small).toMatchObject({ status: 200, body: '<title>small</title>' });
    } finally {
      await replay.close();
    }
    // With room for it, the big record is served.
    const roomy = await startReplay({ archive: path, port: 0, https: false, maxReadBytes: CAP * 4, log: () => {} });
    try {
      const big = await get(roomy.port, 'http://site.test/big');
      expect(big.status).toBe(200);
      expect(big.body.length).toBeGreaterThan(CAP * 2);
    } finally {
      await roomy.close();
    }
  });
});
