// Sorted runs of the manifest's external sort, as gzip files in a directory of their own under the
// temporary directory (/tmp on Lambda). Compressed because /tmp is shared with Chromium's files
// (512 MB unless the function is given more): a frontier entry of ~400 bytes takes ~80 on disk.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGunzip, createGzip } from 'node:zlib';
import type { DisposableRunStore } from '../../core/sorted-runs.js';

export class TempFileRunStore implements DisposableRunStore {
  private next = 0;

  /** the directory of this sort's runs, removed by dispose */
  private constructor(readonly directory: string) {}

  /** A fresh directory, so finishers of two jobs (or two finishers of one) never share files. */
  static async create(prefix = 'runs-'): Promise<TempFileRunStore> {
    return new TempFileRunStore(await mkdtemp(join(tmpdir(), prefix)));
  }

  async write(lines: readonly string[]): Promise<string> {
    return this.writeStream(
      (async function* () {
        for (const line of lines) yield line;
      })(),
    );
  }

  async writeStream(lines: AsyncIterable<string>): Promise<string> {
    const run = join(this.directory, `run-${this.next++}.jsonl.gz`);
    const text = Readable.from(
      (async function* () {
        for await (const line of lines) yield `${line}\n`;
      })(),
    );
    // Level 1: the runs are read back in a minute; speed matters more than size.
    await pipeline(text, createGzip({ level: constants.Z_BEST_SPEED }), createWriteStream(run));
    return run;
  }

  async *read(run: string): AsyncGenerator<string> {
    const file = createReadStream(run);
    const gunzip = createGunzip();
    file.on('error', (error) => gunzip.destroy(error));
    const lines = createInterface({ input: file.pipe(gunzip), crlfDelay: Infinity });
    try {
      for await (const line of lines) if (line.length > 0) yield line;
    } finally {
      lines.close();
      file.destroy();
    }
  }

  async remove(run: string): Promise<void> {
    await rm(run, { force: true });
  }

  /** removes the directory and whatever is left in it */
  async dispose(): Promise<void> {
    await rm(this.directory, { recursive: true, force: true });
  }
}
