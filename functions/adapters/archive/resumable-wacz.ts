// A job's WACZ 1.1.1, written so that a finisher that dies or times out resumes where it stopped.
// Same layout as wacz-writer.ts (archive/data.warc.gz stored, indexes/index.cdxj, pages/pages.jsonl,
// datapackage.json, datapackage-digest.json), built as an S3 multipart upload whose parts are the
// checkpoints:
//   - the page objects are read 16 at a time, in order (core/ordered-pool.ts), and appended to
//     archive/data.warc.gz; a part is cut at a page boundary once it holds PART_SIZE bytes;
//   - after each part: its index lines go to an S3 object of their own (finisher/{jobId}/index-N.cdxj),
//     then the checkpoint (adapters/dynamodb/finish-checkpoints.ts) records the upload id, the
//     parts' ETags, how many pages they hold, the bytes so far, and the CRC-32 and SHA-256 states
//     of data.warc.gz (hash-wasm can save and load a SHA-256 midway; node:crypto cannot);
//   - a resumed finisher finds the checkpoint, checks it is given the same page list (the count
//     and the last page's key), and continues the same upload from the next page: what was read
//     since the last part is read again, nothing before it;
//   - the last part holds what remains, the data descriptor, the small files and the ZIP's central
//     directory (built from the per-part index objects), then the upload is completed and the
//     checkpoint marked done. A finisher resumed after that skips the archive. The index objects
//     are left to the bucket's lifecycle rule, as every result is (no function deletes results).
//   What a resumed finisher redoes: the pages read since the last part (at most a part's worth,
//   8 MiB), and the whole tail (index, pages list, directory). The manifest and pages.jsonl before
//   the archive are written again whole (app/finish-job.ts): they read the frontier, not page objects.
// The archive's created date is the job's end, so a resumed finisher writes the same bytes again.
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createSHA256, type IHasher } from 'hash-wasm';
import { CDXIndexer, WARCRecord, WARCSerializer, WARC_1_1 } from 'warcio';
import { mapInOrder } from '../../core/ordered-pool.js';
import type { ArchiveCheckpoint } from '../dynamodb/finish-checkpoints.js';
import { DATA_FILE, WACZ_VERSION, waczObjectKey, waczPagesJsonl, type WaczPage, type WaczResult } from './wacz-writer.js';
import { centralDirectory, dataDescriptor, streamedLocalHeader, wholeEntry, type ZipEntry } from './zip-records.js';

const SOFTWARE = 'fanout-crawler (warcio.js)';
/** S3's minimum part is 5 MiB (all but the last); 8 MiB keeps 1 GiB of archive under 130 parts */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** S3 GETs in flight: a page's archive is small, and latency, not bandwidth, is what a long job waits on */
export const DEFAULT_READS_IN_FLIGHT = 16;
const DATA_PATH = `archive/${DATA_FILE}`;

export interface ResumableWaczInput {
  jobId: string;
  /** the archive's date: the job's end, so that a resumed finisher writes the same bytes */
  created: Date;
  pages: readonly (WaczPage & { warcKey: string })[];
}

export interface CheckpointStore {
  readArchive(jobId: string): Promise<ArchiveCheckpoint | undefined>;
  saveArchive(jobId: string, checkpoint: ArchiveCheckpoint): Promise<void>;
}

export interface ResumableWaczOptions {
  partSize?: number;
  readsInFlight?: number;
  /** after each part is uploaded and checkpointed (the fault injector's point) */
  afterPart?: (partsDone: number) => void;
  log?: (message: string, detail: Record<string, unknown>) => void;
}

interface Capture {
  line: string;
  url: string;
  timestamp: string;
}

const indexObjectKey = (jobId: string, part: number) => `finisher/${jobId}/index-${String(part).padStart(5, '0')}.cdxj`;

export class ResumableWaczWriter {
  private readonly partSize: number;
  private readonly readsInFlight: number;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly checkpoints: CheckpointStore,
    private readonly options: ResumableWaczOptions = {},
  ) {
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.readsInFlight = options.readsInFlight ?? DEFAULT_READS_IN_FLIGHT;
  }

  async write(input: ResumableWaczInput): Promise<WaczResult & { resumedAtPage: number; skipped: boolean }> {
    const key = waczObjectKey(input.jobId);
    const previous = await this.checkpoints.readArchive(input.jobId);
    if (previous?.done && previous.key === key) {
      return { key, bytes: previous.zipBytes, captures: previous.captures, pages: input.pages.length, missing: [], resumedAtPage: input.pages.length, skipped: true };
    }
    const sha = await createSHA256();
    let state = previous && this.sameList(previous, input) ? await this.resumable(previous, sha) : undefined;
    if (state) this.options.log?.('archive resumed from its checkpoint', { jobId: input.jobId, pagesDone: state.pagesDone, partsKept: state.etags.length });
    else {
      if (previous && !previous.done) await this.abort(previous);
      state = await this.start(input, key, sha);
    }
    const resumedAtPage = state.pagesDone;
    const indexer = new CDXIndexer({ format: 'cdxj' });
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let captures: Capture[] = [];
    const append = (chunk: Buffer, data: boolean) => {
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (data) {
        state.crc32 = crc32(chunk, state.crc32) >>> 0;
        sha.update(chunk);
        state.dataBytes += chunk.length;
      }
    };
    if (state.zipBytes === 0 && state.etags.length === 0 && state.pagesDone === 0) {
      append(streamedLocalHeader(DATA_PATH, input.created), false);
      append(await this.warcInfo(input), true);
    }

    const rest = input.pages.slice(state.pagesDone);
    const reads = mapInOrder(rest, this.readsInFlight, (page) => this.read(page.warcKey));
    let index = state.pagesDone;
    for await (const body of reads) {
      const page = input.pages[index]!;
      index++;
      if (!body) state.missing++;
      else {
        const base = state.dataBytes;
        for await (const result of indexer.iterIndex([{ filename: DATA_FILE, reader: once(body) }])) {
          const entry = result as Record<string, unknown>;
          entry['offset'] = Number(entry['offset']) + base;
          captures.push({ line: indexer.serialize(entry), url: String(entry['url'] ?? ''), timestamp: String(entry['timestamp'] ?? '') });
        }
        append(body, true);
      }
      if (pendingBytes >= this.partSize && index < input.pages.length) {
        await this.commitPart(input.jobId, state, Buffer.concat(pending), captures, index, page.warcKey, sha);
        pending = [];
        pendingBytes = 0;
        captures = [];
      }
    }

    // The tail: what remains of the data, its descriptor, the small files and the directory.
    const allCaptures = [...(await this.readIndexes(input.jobId, state.etags.length)), ...captures];
    allCaptures.sort((a, b) => (a.line < b.line ? -1 : a.line > b.line ? 1 : 0));
    const dataDigest = `sha256:${sha.digest('hex')}`;
    append(dataDescriptor(state.crc32, state.dataBytes), false);
    const dataEntry: ZipEntry = { name: DATA_PATH, method: 0, crc: state.crc32, compressedSize: state.dataBytes, size: state.dataBytes, offset: 0, descriptor: true };
    const entries: ZipEntry[] = [dataEntry];
    let offset = state.zipBytes + pendingBytes;
    const resources: { name: string; path: string; hash: string; bytes: number }[] = [{ name: DATA_FILE, path: DATA_PATH, hash: dataDigest, bytes: state.dataBytes }];
    const addFile = (path: string, body: Buffer, describe: boolean) => {
      const { bytes, entry } = wholeEntry(path, body, offset, input.created);
      append(bytes, false);
      entries.push(entry);
      offset += bytes.length;
      const hash = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      if (describe) resources.push({ name: path.split('/').pop() ?? path, path, hash, bytes: body.length });
      return hash;
    };
    addFile('indexes/index.cdxj', Buffer.from(allCaptures.map((c) => c.line).join(''), 'utf8'), true);
    addFile('pages/pages.jsonl', Buffer.from(waczPagesJsonl(input.pages, allCaptures), 'utf8'), true);
    const first = input.pages[0];
    const datapackage = {
      profile: 'data-package',
      wacz_version: WACZ_VERSION,
      title: `Crawl ${input.jobId}`,
      created: input.created.toISOString(),
      software: SOFTWARE,
      ...(first ? { mainPageUrl: first.url, mainPageDate: first.ts ?? firstCapture(allCaptures, first.url) } : {}),
      resources,
    };
    const described = addFile('datapackage.json', Buffer.from(JSON.stringify(datapackage, null, 2), 'utf8'), false);
    addFile('datapackage-digest.json', Buffer.from(JSON.stringify({ path: 'datapackage.json', hash: described }, null, 2), 'utf8'), false);
    append(centralDirectory(entries, offset, input.created), false);

    const last = Buffer.concat(pending);
    const etag = await this.uploadPart(state, state.etags.length + 1, last);
    const etags = [...state.etags, etag];
    await this.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: state.uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const bytes = state.zipBytes + last.length;
    await this.checkpoints.saveArchive(input.jobId, { ...state, etags, zipBytes: bytes, captures: allCaptures.length, pagesDone: input.pages.length, done: true });
    return { key, bytes, captures: allCaptures.length, pages: input.pages.length, missing: Array.from({ length: state.missing }, () => ''), resumedAtPage, skipped: false };
  }

  /** The part is in S3, then its index lines, then the checkpoint that counts them: a crash between redoes this part only. */
  private async commitPart(jobId: string, state: ArchiveCheckpoint, body: Buffer, captures: Capture[], pagesDone: number, lastWarcKey: string, sha: IHasher): Promise<void> {
    const partNumber = state.etags.length + 1;
    const etag = await this.uploadPart(state, partNumber, body);
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: indexObjectKey(jobId, partNumber), Body: JSON.stringify(captures), ContentType: 'application/json' }),
    );
    state.etags = [...state.etags, etag];
    state.zipBytes += body.length;
    state.pagesDone = pagesDone;
    state.lastWarcKey = lastWarcKey;
    state.captures += captures.length;
    state.sha256State = Buffer.from(sha.save()).toString('base64');
    await this.checkpoints.saveArchive(jobId, state);
    this.options.afterPart?.(partNumber);
  }

  private async uploadPart(state: ArchiveCheckpoint, partNumber: number, body: Buffer): Promise<string> {
    if (partNumber > 10_000) throw new Error('the archive needs more than 10,000 parts; raise the part size');
    const result = await this.s3.send(new UploadPartCommand({ Bucket: this.bucket, Key: state.key, UploadId: state.uploadId, PartNumber: partNumber, Body: body }));
    if (!result.ETag) throw new Error(`S3 gave no ETag for part ${partNumber}`);
    return result.ETag;
  }

  private sameList(checkpoint: ArchiveCheckpoint, input: ResumableWaczInput): boolean {
    if (checkpoint.done || checkpoint.pagesDone > input.pages.length) return false;
    return checkpoint.pagesDone === 0 || input.pages[checkpoint.pagesDone - 1]?.warcKey === checkpoint.lastWarcKey;
  }

  /** The checkpoint's hashing state restored; undefined when it cannot be (then the archive starts over). */
  private async resumable(checkpoint: ArchiveCheckpoint, sha: IHasher): Promise<ArchiveCheckpoint | undefined> {
    // A checkpoint without a part has no state worth keeping: the upload is started over.
    if (checkpoint.etags.length === 0) return undefined;
    try {
      sha.load(Buffer.from(checkpoint.sha256State, 'base64'));
    } catch {
      return undefined;
    }
    return { ...checkpoint, etags: [...checkpoint.etags] };
  }

  private async start(input: ResumableWaczInput, key: string, sha: IHasher): Promise<ArchiveCheckpoint> {
    sha.init();
    const upload = await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/wacz' }));
    if (!upload.UploadId) throw new Error('S3 gave no upload id');
    const state: ArchiveCheckpoint = { key, uploadId: upload.UploadId, etags: [], pagesDone: 0, zipBytes: 0, dataBytes: 0, crc32: 0, sha256State: '', captures: 0, missing: 0 };
    // Saved before any part, so a finisher that dies now leaves an upload its successor can abort.
    await this.checkpoints.saveArchive(input.jobId, state);
    return state;
  }

  private async abort(checkpoint: ArchiveCheckpoint): Promise<void> {
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: checkpoint.key, UploadId: checkpoint.uploadId })).catch(() => {});
  }

  private async warcInfo(input: ResumableWaczInput): Promise<Buffer> {
    const info = WARCRecord.createWARCInfo(
      { filename: DATA_FILE, warcVersion: WARC_1_1, date: input.created.toISOString() },
      { software: SOFTWARE, format: 'WARC File Format 1.1', isPartOf: input.jobId },
    );
    return Buffer.from(await WARCSerializer.serialize(info, { gzip: true }));
  }

  private async read(key: string): Promise<Buffer | null> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!result.Body) return null;
      const bytes = Buffer.from(await result.Body.transformToByteArray());
      if (result.ContentLength !== undefined && bytes.length !== result.ContentLength) throw new Error(`archive object ${key} was not read whole`);
      return bytes;
    } catch (error) {
      if ((error as Error)?.name === 'NoSuchKey') return null;
      throw error;
    }
  }

  private async readIndexes(jobId: string, parts: number): Promise<Capture[]> {
    const captures: Capture[] = [];
    const numbers = Array.from({ length: parts }, (_, i) => i + 1);
    for await (const lines of mapInOrder(numbers, this.readsInFlight, async (n) => {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: indexObjectKey(jobId, n) }));
      return JSON.parse((await result.Body?.transformToString('utf8')) ?? '[]') as Capture[];
    })) {
      captures.push(...lines);
    }
    return captures;
  }

}

async function* once(body: Uint8Array): AsyncGenerator<Uint8Array> {
  yield body;
}

function isoOf(timestamp: string): string {
  return `${timestamp.slice(0, 4)}-${timestamp.slice(4, 6)}-${timestamp.slice(6, 8)}T${timestamp.slice(8, 10)}:${timestamp.slice(10, 12)}:${timestamp.slice(12, 14)}Z`;
}

function firstCapture(captures: readonly Capture[], url: string): string | undefined {
  let best: string | undefined;
  for (const capture of captures) if (capture.url === url && (best === undefined || capture.timestamp < best)) best = capture.timestamp;
  return best ? isoOf(best) : undefined;
}

