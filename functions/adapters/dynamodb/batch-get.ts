// Reading many items of one table by key: BatchGetItem, 100 keys a request, unprocessed keys asked
// again with backoff (DynamoDB hands some back under load instead of failing).
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const KEYS_PER_REQUEST = 100;

export async function batchGetAll(
  db: DynamoDBDocumentClient,
  table: string,
  keys: Record<string, unknown>[],
  options: { consistent: boolean },
): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += KEYS_PER_REQUEST) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + KEYS_PER_REQUEST);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));
      const result: BatchGetCommandOutput = await db.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: options.consistent } } }),
      );
      found.push(...((result.Responses?.[table] ?? []) as Record<string, unknown>[]));
      pending = result.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return found;
}
