// Reading many items of one table by key: BatchGetItem, 100 keys a request (the requests of a long
// list run at once), unprocessed keys asked again with backoff (DynamoDB hands some back under load
// instead of failing).
import { BatchGetCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const KEYS_PER_REQUEST = 100;

/** The wait before asking again for what a batch request handed back unprocessed: 20 ms doubling, at most 1 s. */
export const unprocessedBackoff = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.min(1000, 20 * 2 ** attempt)));

export interface BatchGetOptions {
  /** strongly consistent reads (default: eventually consistent) */
  consistent?: boolean;
  /** only these attributes (a ProjectionExpression, with its attribute names) */
  projection?: { expression: string; names?: Record<string, string> };
}

export async function batchGetAll(
  db: DynamoDBDocumentClient,
  table: string,
  keys: Record<string, unknown>[],
  options: BatchGetOptions = {},
): Promise<Record<string, unknown>[]> {
  const chunks: Record<string, unknown>[][] = [];
  for (let start = 0; start < keys.length; start += KEYS_PER_REQUEST) chunks.push(keys.slice(start, start + KEYS_PER_REQUEST));
  const found = await Promise.all(
    chunks.map(async (chunk) => {
      const items: Record<string, unknown>[] = [];
      let pending: Record<string, unknown>[] | undefined = chunk;
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt > 0) await unprocessedBackoff(attempt);
        const result: BatchGetCommandOutput = await db.send(
          new BatchGetCommand({
            RequestItems: {
              [table]: {
                Keys: pending,
                ...(options.consistent ? { ConsistentRead: true } : {}),
                ...(options.projection
                  ? { ProjectionExpression: options.projection.expression, ...(options.projection.names ? { ExpressionAttributeNames: options.projection.names } : {}) }
                  : {}),
              },
            },
          }),
        );
        items.push(...((result.Responses?.[table] ?? []) as Record<string, unknown>[]));
        pending = result.UnprocessedKeys?.[table]?.Keys;
      }
      return items;
    }),
  );
  return found.flat();
}
