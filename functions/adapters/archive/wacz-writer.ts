// Assembles a job's WACZ 1.1.1 from its per-page WARC files in S3 and streams it back to S3 as a
// multipart upload: one page's object is read at a time, its bytes go straight into the zip entry
// `archive/data.warc.gz` (per-record gzip members concatenate into one valid .warc.gz) while
// warcio's CDXJ indexer reads the same bytes. Only the index lines and one record are ever held.
//
// Layout (https://specs.webrecorder.net/wacz/1.1.1/): archive/data.warc.gz (stored, not deflated,
// so readers can seek into it), indexes/index.cdxj (sorted), pages/pages.jsonl, datapackage.json
// (sha256 and size of each file), datapackage-digest.json.
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { CDXIndexer, WARCRecord, WARCSerializer, WARC_1_1 } from 'warcio';
import yazl from 'yazl';
import type { Clock } from '../../core/ports.js';

export const WACZ_VERSION = '1.1.1';
export const DATA_FILE = 'data.warc.gz';
const SOFTWARE = 'fanout-crawler (warcio.js, yazl)';
/** S3's minimum part is 5 MiB; two parts in flight bound the upload's memory. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

export function waczObjectKey(jobId: string): string {
  return `jobs/${jobId}/archive.wacz`;
}

export interface WaczPage {
  url: string;
  title?: string;
  /** when the page was captured (ISO 8601); default: its first capture in the archive */
  ts?: string;
}

export interface WaczInput {
  jobId: string;
  /** per-page .warc.gz objects in this bucket, in the order they join the archive */
  warcKeys: readonly string[];
  pages: readonly WaczPage[];
  /** default jobs/{jobId}/archive.wacz */
  key?: string;
  title?: string;
}

export interface WaczResult {
  key: string;
  /** size of the WACZ */
  bytes: number;
  /** index lines (captures) */
  captures: number;
  pages: number;
  /** per-page objects not found (a page whose archive write was lost): left out */
  missing: string[];
}

interface Capture {
  line: string;
  url: string;
  timestamp: string;
  status: string;
}

/** Bytes that pass through, counted and hashed on the way. */
class Tally {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  add(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

const isoOf = (timestamp: string) =>
  `${timestamp.slice(0, 4)}-${timestamp.slice(4, 6)}-${timestamp.slice(6, 8)}T${timestamp.slice(8, 10)}:${timestamp.slice(10, 12)}:${timestamp.slice(12, 14)}Z`;

export class S3WaczWriter {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly clock: Clock = { now: () => Date.now() },
  ) {}

  async write(input: WaczInput): Promise<WaczResult> {
    const key = input.key ?? waczObjectKey(input.jobId);
    const created = new Date(this.clock.now());
    const zip = new yazl.ZipFile();
    const output = zip.outputStream as unknown as Readable;
    const wacz = new Tally();
    output.on('data', (chunk: Buffer) => (wacz.bytes += chunk.length));
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: key, Body: output, ContentType: 'application/wacz' },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
    });
    const uploaded = upload.done();
    // a failed upload stops reading the zip: the writer must stop waiting for room, not hang
    const uploadFailed = uploaded.then(
      () => new Promise<never>(() => {}),
      (error: unknown) => Promise.reject(error),
    );
    uploadFailed.catch(() => {});
    try {
      const data = new PassThrough();
      const dataTally = new Tally();
      zip.addReadStreamLazy(`archive/${DATA_FILE}`, { compress: false, mtime: created }, (cb) => cb(null, data));
      const { captures, missing } = await this.writeData(input, data, dataTally, created, uploadFailed);
      data.end();

      captures.sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
      const index = Buffer.from(captures.map((c) => c.line).join(''), 'utf8');
      const pagesFile = Buffer.from(waczPagesJsonl(input.pages, captures), 'utf8');
      const resources = [
        { name: DATA_FILE, path: `archive/${DATA_FILE}`, hash: dataTally.digest(), bytes: dataTally.bytes },
        this.addBuffer(zip, 'indexes/index.cdxj', index, created),
        this.addBuffer(zip, 'pages/pages.jsonl', pagesFile, created),
      ];
      const first = input.pages[0];
      const datapackage = Buffer.from(
        JSON.stringify(
          {
            profile: 'data-package',
            wacz_version: WACZ_VERSION,
            title: input.title ?? `Crawl ${input.jobId}`,
            created: created.toISOString(),
            software: SOFTWARE,
            ...(first ? { mainPageUrl: first.url, mainPageDate: first.ts ?? this.firstCapture(captures, first.url) } : {}),
            resources,
          },
          null,
          2,
        ),
        'utf8',
      );
      const described = this.addBuffer(zip, 'datapackage.json', datapackage, created);
      const digestFile = Buffer.from(JSON.stringify({ path: 'datapackage.json', hash: described.hash }, null, 2), 'utf8');
      this.addBuffer(zip, 'datapackage-digest.json', digestFile, created);
      zip.end();
      await uploaded;
      return { key, bytes: wacz.bytes, captures: captures.length, pages: input.pages.length, missing };
    } catch (error) {
      output.destroy();
      await upload.abort().catch(() => {});
      throw error;
    }
  }

  private addBuffer(zip: yazl.ZipFile, path: string, body: Buffer, mtime: Date): { name: string; path: string; hash: string; bytes: number } {
    // small text files may be deflated; the WARC data must stay stored for random access
    zip.addBuffer(body, path, { compress: true, mtime });
    return { name: path.split('/').pop() ?? path, path, hash: `sha256:${createHash('sha256').update(body).digest('hex')}`, bytes: body.length };
  }

  /** A warcinfo record, then every page's object in order, indexed as it streams past. */
  private async writeData(
    input: WaczInput,
    data: PassThrough,
    tally: Tally,
    created: Date,
    uploadFailed: Promise<never>,
  ): Promise<{ captures: Capture[]; missing: string[] }> {
    const write = async (chunk: Uint8Array) => {
      tally.add(chunk);
      if (!data.write(chunk)) await Promise.race([once(data, 'drain'), uploadFailed]);
    };
    const info = WARCRecord.createWARCInfo(
      { filename: DATA_FILE, warcVersion: WARC_1_1, date: created.toISOString() },
      { software: SOFTWARE, format: 'WARC File Format 1.1', isPartOf: input.jobId },
    );
    await write(await WARCSerializer.serialize(info, { gzip: true }));

    const captures: Capture[] = [];
    const missing: string[] = [];
    const indexer = new CDXIndexer({ format: 'cdxj' });
    for (const key of input.warcKeys) {
      const object = await this.open(key);
      if (!object) {
        missing.push(key);
        continue;
      }
      const { body, length } = object;
      const base = tally.bytes;
      let seen = 0;
      const tap = (async function* () {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          seen += chunk.length;
          await write(chunk);
          yield chunk;
        }
      })();
      for await (const result of indexer.iterIndex([{ filename: DATA_FILE, reader: tap }])) {
        const entry = result as Record<string, unknown>;
        entry['offset'] = Number(entry['offset']) + base;
        const url = String(entry['url'] ?? '');
        const timestamp = String(entry['timestamp'] ?? '');
        const status = String(entry['status'] ?? '');
        captures.push({ line: indexer.serialize(entry), url, timestamp, status });
      }
      // whatever the parser left unread (trailing bytes) still belongs to the file
      for await (const _chunk of tap) void _chunk;
      if (length !== undefined && seen !== length) throw new Error(`archive object ${key} was not copied whole`);
    }
    return { captures, missing };
  }

  private async open(key: string): Promise<{ body: Readable; length: number | undefined } | null> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return result.Body ? { body: result.Body as Readable, length: result.ContentLength } : null;
    } catch (error) {
      if ((error as Error)?.name === 'NoSuchKey') return null;
      throw error;
    }
  }

  private firstCapture(captures: Capture[], url: string): string | undefined {
    let best: string | undefined;
    for (const capture of captures) {
      if (capture.url === url && (best === undefined || capture.timestamp < best)) best = capture.timestamp;
    }
    return best ? isoOf(best) : undefined;
  }

}

/** pages/pages.jsonl of a WACZ: each page with its first capture's date (one pass: 100,000 pages are linear). */
export function waczPagesJsonl(pages: readonly WaczPage[], captures: readonly Pick<Capture, 'url' | 'timestamp'>[]): string {
  const firsts = new Map<string, string>();
  for (const c of captures) {
    const seen = firsts.get(c.url);
    if (seen === undefined || c.timestamp < seen) firsts.set(c.url, c.timestamp);
  }
  const lines = [JSON.stringify({ format: 'json-pages-1.0', id: 'pages', title: 'All Pages' })];
  for (const page of pages) {
    const captured = firsts.get(page.url);
    const ts = page.ts ?? (captured ? isoOf(captured) : undefined);
    lines.push(
      JSON.stringify({
        id: createHash('sha256').update(page.url).digest('hex').slice(0, 32),
        url: page.url,
        ...(page.title !== undefined ? { title: page.title } : {}),
        ...(ts ? { ts } : {}),
      }),
    );
  }
  return lines.join('\n') + '\n';
}
