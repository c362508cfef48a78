// Random access into a WACZ file on disk: small entries read whole, one record of a stored
// (not deflated) WARC read by offset and length, without unpacking the archive. Every read lands in
// memory, and an archive may come from anywhere (a URL given to the replay tool): no read is larger
// than `maxReadBytes`, whatever the entry's header or the index's `length` claims. A larger one is
// refused with WaczReadTooLarge before anything is read; a stream that delivers more than its
// entry declared is cut off at the cap.
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import yauzl from 'yauzl';

export interface WaczEntry {
  name: string;
  crc32: number;
  size: number;
  compressionMethod: number;
}

/** The bytes one read may bring into memory unless the reader is opened with another cap. */
export const DEFAULT_MAX_READ_BYTES = 64 * 1024 * 1024;

export interface WaczReaderOptions {
  /** the largest entry (or WARC record range) one read may return, in bytes */
  maxReadBytes?: number;
}

/** A read larger than the reader's cap: named, so a tool can say which entry and which setting. */
export class WaczReadTooLarge extends Error {
  override name = 'WaczReadTooLarge';
  constructor(
    readonly entry: string,
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`${entry}: ${bytes} bytes to read, more than the cap of ${maxBytes} bytes`);
  }
}

/** By events: yauzl's streams end without 'close', which an async iterator would wait for. */
function collect(stream: Readable, name: string, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    stream.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        stream.destroy();
        reject(new WaczReadTooLarge(name, total, maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

export class WaczReader {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly byName: Map<string, yauzl.Entry>,
    readonly maxReadBytes: number,
  ) {}

  static async open(path: string, options: WaczReaderOptions = {}): Promise<WaczReader> {
    const maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
    if (!Number.isSafeInteger(maxReadBytes) || maxReadBytes < 1) throw new RangeError(`maxReadBytes must be a positive integer, not ${maxReadBytes}`);
    const zip = await promisify<string, yauzl.Options, yauzl.ZipFile>(yauzl.open)(path, { lazyEntries: true, autoClose: false });
    const byName = new Map<string, yauzl.Entry>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        byName.set(entry.fileName, entry);
        zip.readEntry();
      });
      zip.once('end', () => resolve());
      zip.once('error', reject);
      zip.readEntry();
    });
    return new WaczReader(zip, byName, maxReadBytes);
  }

  entries(): WaczEntry[] {
    return [...this.byName.values()].map((e) => ({ name: e.fileName, crc32: e.crc32, size: e.uncompressedSize, compressionMethod: e.compressionMethod }));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private entry(name: string): yauzl.Entry {
    const entry = this.byName.get(name);
    if (!entry) throw new Error(`${name} is not in the archive`);
    return entry;
  }

  private openStream(entry: yauzl.Entry, range?: { start: number; end: number }): Promise<Readable> {
    return new Promise((resolve, reject) => {
      const done = (error: Error | null, stream: Readable) => (error ? reject(error) : resolve(stream));
      if (range) this.zip.openReadStream(entry, range, done);
      else this.zip.openReadStream(entry, done);
    });
  }

  /** The whole entry, when its (uncompressed) size is within the cap. */
  async read(name: string): Promise<Buffer> {
    const entry = this.entry(name);
    if (entry.uncompressedSize > this.maxReadBytes) throw new WaczReadTooLarge(name, entry.uncompressedSize, this.maxReadBytes);
    return collect(await this.openStream(entry), name, this.maxReadBytes);
  }

  /** `length` bytes at `offset` of a stored entry (a WARC record by its index line), within the cap. */
  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    const entry = this.entry(name);
    if (entry.compressionMethod !== 0) throw new Error(`${name} is deflated; records can only be read from a stored WARC`);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > entry.uncompressedSize) {
      throw new Error(`${name}: no record at offset ${offset} of length ${length} (the entry has ${entry.uncompressedSize} bytes)`);
    }
    if (length > this.maxReadBytes) throw new WaczReadTooLarge(`${name} at offset ${offset}`, length, this.maxReadBytes);
    return collect(await this.openStream(entry, { start: offset, end: offset + length }), name, this.maxReadBytes);
  }

  close(): void {
    this.zip.close();
  }
}
