// Random access into a WACZ file on disk: small entries read whole, one record of a stored
// (not deflated) WARC read by offset and length, without unpacking the archive.
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import yauzl from 'yauzl';

export interface WaczEntry {
  name: string;
  crc32: number;
  size: number;
  compressionMethod: number;
}

/** By events: yauzl's streams end without 'close', which an async iterator would wait for. */
function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

export class WaczReader {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly byName: Map<string, yauzl.Entry>,
  ) {}

  static async open(path: string): Promise<WaczReader> {
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
    return new WaczReader(zip, byName);
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

  async read(name: string): Promise<Buffer> {
    return collect(await this.openStream(this.entry(name)));
  }

  /** `length` bytes at `offset` of a stored entry (a WARC record by its index line). */
  async readRange(name: string, offset: number, length: number): Promise<Buffer> {
    const entry = this.entry(name);
    if (entry.compressionMethod !== 0) throw new Error(`${name} is deflated; records can only be read from a stored WARC`);
    return collect(await this.openStream(entry, { start: offset, end: offset + length }));
  }

  close(): void {
    this.zip.close();
  }
}
