// A job's usage counts as stored: ADD clauses on one of its counter items (the job item or a
// counter shard, core/counter-shards.ts), summed with its other counters when the job is read.
import { randomUUID } from 'node:crypto';
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { counterShardOf, shardKey } from '../../core/counter-shards.js';
import { USAGE_COUNTERS, usageAttribute, type UsageCounts } from '../../core/usage.js';
import { isConditionFailure } from './errors.js';

/** `ADD` terms (without the keyword) and their values for the counts, for an update that happens anyway. */
export function usageAddTerms(counts: UsageCounts | undefined): { terms: string[]; values: Record<string, number> } {
  const terms: string[] = [];
  const values: Record<string, number> = {};
  if (!counts) return { terms, values };
  USAGE_COUNTERS.forEach((counter, i) => {
    const value = counts[counter];
    if (!value) return;
    terms.push(`${usageAttribute(counter)} :usage${i}`);
    values[`:usage${i}`] = value;
  });
  return { terms, values };
}

/**
 * One update adding the counts to one of the job's counter shards, any (spread at random), when
 * their number is known, else to the job item; if the item still exists (an ended job keeps its
 * items until they expire; one that expired is not made again).
 */
export async function addJobUsage(db: DynamoDBDocumentClient, table: string, jobId: string, counts: UsageCounts, counterShards?: number): Promise<void> {
  const { terms, values } = usageAddTerms(counts);
  if (terms.length === 0) return;
  const key = counterShards && counterShards > 0 ? shardKey(jobId, counterShardOf(randomUUID(), counterShards)) : jobId;
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: { jobId: key },
        UpdateExpression: `ADD ${terms.join(', ')}`,
        ConditionExpression: 'attribute_exists(jobId)',
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
