// Per-page archive files into one WACZ the way the stack makes it (S3WaczWriter streaming to the S3
// emulator), downloaded to a local file for the replay proxy.
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { S3WaczWriter, type WaczResult } from '../../../functions/adapters/archive/wacz-writer.js';
import { startSqsS3 } from '../../../local/emulators/sqs-s3.js';

export interface PageFile {
  url: string;
  title: string;
  /** the page's .warc.gz */
  body: Uint8Array;
}

export async function writeWacz(pages: readonly PageFile[], dir: string): Promise<{ path: string; written: WaczResult }> {
  const emulator = await startSqsS3();
  const s3 = new S3Client({ region: 'us-east-1', endpoint: emulator.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  try {
    const bucket = 'archive-fixture';
    const jobId = randomUUID();
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys = pages.map((_, i) => `jobs/${jobId}/outputs/${i}.archive.warc.gz`);
    for (const [i, page] of pages.entries()) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keys[i], Body: page.body }));
    const written = await new S3WaczWriter(s3, bucket).write({ jobId, warcKeys: keys, pages: pages.map((p) => ({ url: p.url, title: p.title })) });
    const path = join(dir, `${jobId}.wacz`);
    await pipeline((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: written.key }))).Body as Readable, createWriteStream(path));
    return { path, written };
  } finally {
    s3.destroy();
    await emulator.stop();
  }
}
