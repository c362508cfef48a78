// The finisher's checkpoint and lease, one item per job in the jobs table (key `{jobId}#finish`,
// no `status`, so the sweeper's index never sees it), expiring with the job's other items.
//   lease: one finisher at a time works on a job; a duplicate request finds the lease held and
//          drops its message (the holder's own message comes back if the holder dies, after the
//          queue's visibility timeout, which outlasts the lease).
//   archive: how far the WACZ's multipart upload got (functions/adapters/archive/resumable-wacz.ts).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { JOBS_KEY, TTL_ATTRIBUTE } from './table-definitions.js';

export interface ArchiveCheckpoint {
  key: string;
  uploadId: string;
  /** ETags of the parts uploaded and kept, part n at index n-1 */
  etags: string[];
  /** pages of the archive's list whose WARC bytes are inside those parts */
  pagesDone: number;
  /** the warcKey of the last of them: a resumed finisher checks it is given the same list */
  lastWarcKey?: string;
  /** bytes of the ZIP inside those parts: where the next part begins */
  zipBytes: number;
  /** bytes of archive/data.warc.gz inside them, its CRC-32 and SHA-256 state (hash-wasm save(), base64) so far */
  dataBytes: number;
  crc32: number;
  sha256State: string;
  /** index lines so far (each part's lines are an S3 object of their own) */
  captures: number;
  /** per-page WARC objects not found, left out */
  missing: number;
  /** the upload is complete: the WACZ is in S3 */
  done?: boolean;
}

const keyOf = (jobId: string) => ({ [JOBS_KEY.partitionKey]: `${jobId}#finish` });

export class DynamoFinishCheckpoints {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    /** epoch seconds the item expires at (the job's own records' TTL) */
    private readonly expiresAt: () => number,
  ) {}

  /** Takes the job's finish lease until `untilMs`, when free, expired or already this owner's. */
  async lease(jobId: string, owner: string, now: number, untilMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(jobId),
          UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until, #ttl = if_not_exists(#ttl, :ttl)',
          ConditionExpression: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':owner': owner, ':until': untilMs, ':now': now, ':ttl': this.expiresAt() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Frees the lease (a finisher that is done, or failed and wants its retry to find it free). */
  async release(jobId: string, owner: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keyOf(jobId),
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async readArchive(jobId: string): Promise<ArchiveCheckpoint | undefined> {
    const result = await this.db.send(new GetCommand({ TableName: this.table, Key: keyOf(jobId), ConsistentRead: true }));
    return result.Item?.archive as ArchiveCheckpoint | undefined;
  }

  async saveArchive(jobId: string, checkpoint: ArchiveCheckpoint): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keyOf(jobId),
        UpdateExpression: 'SET #archive = :archive, #ttl = if_not_exists(#ttl, :ttl)',
        ExpressionAttributeNames: { '#archive': 'archive', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':archive': checkpoint, ':ttl': this.expiresAt() },
      }),
    );
  }
}
