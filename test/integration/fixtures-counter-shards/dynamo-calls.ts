// Records every DynamoDB call a client makes (through a middleware on the real client, nothing
// mocked) and says which items of a table each write touched: how a test counts the writes a job's
// item takes.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface RecordedCall {
  /** the operation: UpdateItem, TransactWriteItems, GetItem, BatchGetItem… */
  kind: string;
  input: Record<string, unknown>;
}

/**
 * Records the calls of `client` (and of any document client made from it). `after` runs once each
 * call has completed, before its caller sees the answer: a test can act between two requests.
 */
export function recordDynamoCalls(client: DynamoDBClient | DynamoDBDocumentClient, after?: (kind: string) => Promise<void>): RecordedCall[] {
  const calls: RecordedCall[] = [];
  (client as DynamoDBClient).middlewareStack.add(
    (next, context) => async (args) => {
      const kind = String(context.commandName ?? '').replace(/Command$/, '');
      calls.push({ kind, input: args.input as Record<string, unknown> });
      const result = await next(args);
      if (after) await after(kind);
      return result;
    },
    { step: 'build', name: 'recordDynamoCalls' },
  );
  return calls;
}

/** A key attribute as the call carried it: marshalled ({S: '…'}) at this step, or plain. */
function keyString(value: unknown): string {
  if (value && typeof value === 'object' && 'S' in value) return String((value as { S: unknown }).S);
  return String(value);
}

/** Each item of `table` a write touched (Put, Update, Delete, alone or in a transaction), by its `jobId`. */
export interface ItemWrite {
  kind: string;
  key: string;
  /** the UpdateExpression of an update, 'put' or 'delete' otherwise */
  expression: string;
}

export function jobItemWrites(calls: readonly RecordedCall[], table: string): ItemWrite[] {
  const writes: ItemWrite[] = [];
  const touch = (kind: string, operation: Record<string, unknown> | undefined) => {
    if (!operation || operation['TableName'] !== table) return;
    const key = (operation['Key'] ?? operation['Item']) as Record<string, unknown> | undefined;
    const expression = typeof operation['UpdateExpression'] === 'string' ? operation['UpdateExpression'] : operation['Item'] ? 'put' : 'delete';
    if (key) writes.push({ kind, key: keyString(key['jobId']), expression });
  };
  for (const call of calls) {
    if (call.kind === 'PutItem' || call.kind === 'UpdateItem' || call.kind === 'DeleteItem') touch(call.kind, call.input);
    if (call.kind === 'TransactWriteItems') {
      for (const item of (call.input['TransactItems'] ?? []) as Record<string, Record<string, unknown> | undefined>[]) {
        touch('TransactWriteItems', item['Put'] ?? item['Update'] ?? item['Delete']);
      }
    }
  }
  return writes;
}
