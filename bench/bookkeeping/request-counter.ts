// Counts the DynamoDB requests the crawler's code sends, by operation, with the items each write
// touches and the write capacity DynamoDB Local reports for it: a middleware on the client, so
// every adapter's request is seen as sent (retries of one request count once).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

export interface RequestCounts {
  byOperation: Record<string, number>;
  /** write requests (PutItem, UpdateItem, DeleteItem, TransactWriteItems, BatchWriteItem) */
  writeRequests: number;
  /** items those requests wrote or tried to (a transaction counts each of its items) */
  writeItems: number;
  /** write capacity units DynamoDB reported as consumed (a transactional write costs two per KB) */
  writeCapacityUnits: number;
  /** read capacity units reported */
  readCapacityUnits: number;
}

export function countRequests(client: DynamoDBClient): { counts: RequestCounts; reset(): void } {
  const counts: RequestCounts = { byOperation: {}, writeRequests: 0, writeItems: 0, writeCapacityUnits: 0, readCapacityUnits: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String((context as { commandName?: string }).commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      counts.byOperation[operation] = (counts.byOperation[operation] ?? 0) + 1;
      if (WRITES.has(operation)) {
        counts.writeRequests++;
        counts.writeItems += itemsOf(operation, input);
      }
      // Ask for the capacity used; the crawler's code never reads it, so asking changes nothing else.
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        const units = c.CapacityUnits ?? 0;
        if (WRITES.has(operation)) counts.writeCapacityUnits += units;
        else counts.readCapacityUnits += units;
      }
      return result;
    },
    { step: 'initialize', name: 'bookkeepingRequestCounter' },
  );
  return {
    counts,
    reset() {
      counts.byOperation = {};
      counts.writeRequests = counts.writeItems = counts.writeCapacityUnits = counts.readCapacityUnits = 0;
    },
  };
}

interface Capacity {
  CapacityUnits?: number;
}

function itemsOf(operation: string, input: Record<string, unknown>): number {
  if (operation === 'TransactWriteItems') return (input.TransactItems as unknown[] | undefined)?.length ?? 0;
  if (operation === 'BatchWriteItem') return Object.values((input.RequestItems as Record<string, unknown[]>) ?? {}).reduce((n, items) => n + items.length, 0);
  return 1;
}
