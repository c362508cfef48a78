// Payload digests as items of the frontier table, one per (job, digest), written with a
// conditional put: the first put wins across all crawler environments. They live in a partition of
// their own (`{jobId}#payload-digests`), so reading a job's frontier never meets them, and they
// expire with the job's other items (TTL).
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { failedItem, isConditionFailure } from '../dynamodb/errors.js';
import { FRONTIER_KEY, TTL_ATTRIBUTE } from '../dynamodb/table-definitions.js';
import { STORED_TEXT_BYTES } from '../../core/limits.js';
import { fitsStored } from '../../core/stored-text.js';
import type { DigestClaim, PayloadDigests } from './payload-digests.js';

interface DigestItem {
  uri: string;
  date: string;
  owner: string;
}

export const digestPartition = (jobId: string) => `${jobId}#payload-digests`;

export class DynamoPayloadDigests implements PayloadDigests {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly frontierTable: string,
    /** epoch seconds after which the items may go (the job's expiresAt) */
    private readonly expiresAt: number,
  ) {}

  async claim(jobId: string, digest: string, uri: string, date: string, owner: string): Promise<DigestClaim> {
    // The page chose these URLs, and a revisit must name its original whole: one too long to store
    // is not deduplicated (its record is written in full), never cut nor stored whole (400 KB).
    if (!fitsStored(uri, STORED_TEXT_BYTES.url) || !fitsStored(owner, STORED_TEXT_BYTES.url)) return { first: true, uri, date };
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.frontierTable,
          Item: { [FRONTIER_KEY.partitionKey]: digestPartition(jobId), [FRONTIER_KEY.sortKey]: digest, uri, date, owner, [TTL_ATTRIBUTE]: this.expiresAt },
          ConditionExpression: 'attribute_not_exists(#key)',
          ExpressionAttributeNames: { '#key': FRONTIER_KEY.sortKey },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { first: true, uri, date };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const existing = failedItem<DigestItem>(error);
      // the condition failed, so the item exists; an emulator that does not return it gets a full record
      if (!existing) return { first: true, uri, date };
      return { first: existing.owner === owner, uri: existing.uri, date: existing.date };
    }
  }
}
