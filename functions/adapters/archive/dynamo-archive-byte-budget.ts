// The job-wide archive byte cap in the frontier table, holding across concurrent crawler
// environments and retries. Partition `{jobId}#archive-bytes` holds one counter item (`total`,
// attribute `used`) and one grant item per page (`page#{sha256 of its URL}`). A page's grant is
// one transaction: put the page's grant item if it does not exist AND add the grant to `used` if
// `used + grant <= cap`. So:
//   - the cap holds whatever runs at once: the counter moves only under its condition, atomically;
//   - a retried or twice-delivered page never counts twice: its grant item exists, the transaction
//     is cancelled, and the page gets the bytes it was granted the first time;
//   - a grant is never half-made: a crash before the transaction leaves nothing, after it both.
// When the condition on the counter fails, the page asks again for what is left (the counter's
// value comes back with the failure), so the page that crosses the cap gets the remainder and the
// ones after it get 0. Bytes granted to a page whose archive file is then never written (a crash
// after the grant and no retry) stay counted: the cap can only be under-filled, never exceeded.
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { cancellationReasons, failedItem, isConditionFailure, isTransactionCanceled } from '../dynamodb/errors.js';
import { FRONTIER_KEY, TTL_ATTRIBUTE } from '../dynamodb/table-definitions.js';
import type { ArchiveByteBudget, ByteGrant } from './archive-byte-budget.js';

export const archiveBytesPartition = (jobId: string) => `${jobId}#archive-bytes`;
export const TOTAL_KEY = 'total';
export const grantKey = (owner: string) => `page#${createHash('sha256').update(owner).digest('hex')}`;

/** Transactions on the one counter item conflict when pages finish at once; retried with jittered backoff (at most ~0.5 s a round). */
const MAX_ROUNDS = 60;

interface GrantItem {
  granted: number;
  wanted: number;
}

export class DynamoArchiveByteBudget implements ArchiveByteBudget {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly frontierTable: string,
    private readonly maxJobBytes: number,
    /** epoch seconds after which the items may go (the job's expiresAt) */
    private readonly expiresAt: number,
  ) {}

  async reserve(jobId: string, owner: string, wanted: number): Promise<ByteGrant> {
    const partition = archiveBytesPartition(jobId);
    if (wanted <= 0) return { granted: 0, exhausted: (await this.used(partition)) >= this.maxJobBytes };
    const grantItem = { [FRONTIER_KEY.partitionKey]: partition, [FRONTIER_KEY.sortKey]: grantKey(owner), owner: owner.slice(0, 2048), wanted, [TTL_ATTRIBUTE]: this.expiresAt };
    const pageCondition = { ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': FRONTIER_KEY.sortKey } };
    // What the counter is believed to hold; it only grows, so a stale value errs on the generous side
    // and the condition corrects it.
    let known = 0;
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const granted = Math.max(0, Math.min(wanted, this.maxJobBytes - known));
      try {
        if (granted === 0) {
          // Nothing left: record the page's empty grant, so its retries agree with it.
          await this.db.send(new PutCommand({ TableName: this.frontierTable, Item: { ...grantItem, granted: 0 }, ...pageCondition, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
          return { granted: 0, exhausted: true };
        }
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.frontierTable, Item: { ...grantItem, granted }, ...pageCondition, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
              {
                Update: {
                  TableName: this.frontierTable,
                  Key: { [FRONTIER_KEY.partitionKey]: partition, [FRONTIER_KEY.sortKey]: TOTAL_KEY },
                  UpdateExpression: 'SET #used = if_not_exists(#used, :zero) + :granted, #cap = :cap, #ttl = :ttl',
                  ConditionExpression: 'attribute_not_exists(#used) OR #used <= :room',
                  ExpressionAttributeNames: { '#used': 'used', '#cap': 'cap', '#ttl': TTL_ATTRIBUTE },
                  ExpressionAttributeValues: { ':zero': 0, ':granted': granted, ':cap': this.maxJobBytes, ':room': this.maxJobBytes - granted, ':ttl': this.expiresAt },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
        );
        return { granted, exhausted: granted < wanted };
      } catch (error) {
        if (isConditionFailure(error)) return this.earlier(failedItem<GrantItem>(error), partition, owner, wanted);
        if (!isTransactionCanceled(error)) throw error;
        const [page, total] = cancellationReasons<GrantItem & { used?: number }>(error);
        if (page?.code === 'ConditionalCheckFailed') return this.earlier(page.item, partition, owner, wanted);
        if (total?.code === 'ConditionalCheckFailed') {
          known = total.item?.used ?? (await this.used(partition));
          continue;
        }
        // TransactionConflict: another page's grant on the counter at the same moment
        const delay = Math.min(500, 10 * 2 ** Math.min(round, 6)) * (0.5 + Math.random() / 2);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    throw new Error(`archive byte budget of job ${jobId}: no grant after ${MAX_ROUNDS} rounds of conflicts`);
  }

  /** The page was granted bytes before (it is a retry): the same grant, never more than it wants now. */
  private async earlier(item: GrantItem | undefined, partition: string, owner: string, wanted: number): Promise<ByteGrant> {
    const found =
      item ??
      ((
        await this.db.send(
          new GetCommand({ TableName: this.frontierTable, Key: { [FRONTIER_KEY.partitionKey]: partition, [FRONTIER_KEY.sortKey]: grantKey(owner) }, ConsistentRead: true }),
        )
      ).Item as GrantItem | undefined);
    if (!found) throw new Error(`archive byte grant of ${owner} exists but could not be read`);
    return { granted: Math.min(wanted, found.granted), exhausted: found.granted < found.wanted };
  }

  private async used(partition: string): Promise<number> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.frontierTable, Key: { [FRONTIER_KEY.partitionKey]: partition, [FRONTIER_KEY.sortKey]: TOTAL_KEY }, ConsistentRead: true }),
    );
    return Number(Item?.['used'] ?? 0);
  }
}
