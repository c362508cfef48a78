// Page records and manifests in S3.
import { PassThrough } from 'node:stream';
import { CopyObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { PageRecord, ResultStore } from '../../core/ports.js';

export class S3ResultStore implements ResultStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  private async putJson(key: string, value: unknown): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }),
    );
  }

  putPage(key: string, record: PageRecord): Promise<void> {
    return this.putJson(key, record);
  }

  putManifest(key: string, manifest: unknown): Promise<void> {
    return this.putJson(key, manifest);
  }

  async putObject(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  putLines(key: string, lines: AsyncIterable<string>, contentType: string): Promise<void> {
    return this.putText(
      key,
      (async function* () {
        for await (const line of lines) yield `${line}\n`;
      })(),
      contentType,
    );
  }

  async putText(key: string, chunks: AsyncIterable<string>, contentType: string): Promise<void> {
    const body = new PassThrough();
    // Parts of 5 MiB, two at a time: memory stays bounded however long the object is.
    const upload = new Upload({ client: this.s3, params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }, queueSize: 2 });
    const uploaded = upload.done();
    try {
      for await (const chunk of chunks) {
        if (!body.write(chunk)) await new Promise((resolve) => body.once('drain', resolve));
      }
      body.end();
    } catch (error) {
      body.destroy(error as Error);
      await uploaded.catch(() => undefined);
      throw error;
    }
    await uploaded;
  }

  async getPage(key: string): Promise<PageRecord | null> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = await result.Body?.transformToString('utf8');
      return text ? (JSON.parse(text) as PageRecord) : null;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as Error)?.name === 'NoSuchKey') return null;
      throw error;
    }
  }

  async copyObject(fromKey: string, toKey: string): Promise<void> {
    // CopySource is bucket/key, URL-encoded except its slashes.
    const source = `${this.bucket}/${fromKey.split('/').map(encodeURIComponent).join('/')}`;
    await this.s3.send(new CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: source }));
  }

  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: expiresInSeconds });
  }
}
