// SDK middleware that counts a job's DynamoDB capacity and S3 requests into the current usage
// scope (usage-meter.ts). Outside a scope the requests go out unchanged.
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countUsage, inUsageScope } from './usage-meter.js';

/** The DynamoDB operations that take ReturnConsumedCapacity, and which of them read. */
const DYNAMO_READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand', 'GetCommand', 'BatchGetCommand', 'TransactGetCommand']);
const DYNAMO_WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'BatchWriteCommand',
  'TransactWriteCommand',
]);

/** S3 request classes as S3 prices them: PUT/COPY/POST/LIST, and GET/HEAD. A multipart part is a PUT. */
const S3_PUTS = new Set([
  'PutObjectCommand',
  'UploadPartCommand',
  'CreateMultipartUploadCommand',
  'CompleteMultipartUploadCommand',
  'CopyObjectCommand',
  'UploadPartCopyCommand',
  'ListObjectsCommand',
  'ListObjectsV2Command',
  'ListPartsCommand',
]);
const S3_GETS = new Set(['GetObjectCommand', 'HeadObjectCommand']);

type Capacity = { CapacityUnits?: number } | undefined;

function unitsOf(consumed: Capacity | Capacity[]): number {
  const all = Array.isArray(consumed) ? consumed : [consumed];
  return all.reduce((sum, c) => sum + (c?.CapacityUnits ?? 0), 0);
}

/** Write items a request names: what a refused write is charged (at least one unit each). */
function writeItemsOf(input: Record<string, unknown>): number {
  if (Array.isArray(input.TransactItems)) return input.TransactItems.length;
  if (input.RequestItems && typeof input.RequestItems === 'object') {
    return Object.values(input.RequestItems as Record<string, unknown[]>).reduce((n, items) => n + (Array.isArray(items) ? items.length : 0), 0);
  }
  return 1;
}

let meteredDynamo = new WeakSet<object>();
let meteredS3 = new WeakSet<object>();

const TRANSACTIONS = new Set(['TransactWriteItemsCommand', 'TransactGetItemsCommand', 'TransactWriteCommand', 'TransactGetCommand']);

/**
 * Counts each request's consumed capacity, as DynamoDB returns it (ReturnConsumedCapacity TOTAL
 * is added to requests made in a usage scope). A write refused by its condition returns no
 * capacity but is charged (a unit per item at least), so it is counted so. DynamoDB Local returns
 * capacity too, but does not double the units of transactions as DynamoDB does: `emulated`
 * doubles them, so that a local crawl reports what the same requests are billed on AWS.
 */
export function meterDynamo(db: DynamoDBDocumentClient, options: { emulated?: boolean } = {}): void {
  if (meteredDynamo.has(db)) return;
  meteredDynamo.add(db);
  db.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String((context as { commandName?: string }).commandName ?? '');
      const kind = DYNAMO_READS.has(command) ? 'read' : DYNAMO_WRITES.has(command) ? 'write' : undefined;
      if (!kind || !inUsageScope()) return next(args);
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity ??= 'TOTAL';
      try {
        const result = await next(args);
        const returned = unitsOf((result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity);
        const units = options.emulated && TRANSACTIONS.has(command) ? 2 * returned : returned;
        if (units > 0) countUsage(kind === 'read' ? { dynamoReadUnits: units } : { dynamoWriteUnits: units });
        return result;
      } catch (error) {
        if (kind === 'write') countUsage({ dynamoWriteUnits: writeItemsOf(input) });
        throw error;
      }
    },
    { step: 'initialize', name: 'usageMeterDynamo', override: true },
  );
}

/** Counts S3 requests by price class; each command once (the SDK's own retries are not counted). */
export function meterS3(s3: S3Client): void {
  if (meteredS3.has(s3)) return;
  meteredS3.add(s3);
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String((context as { commandName?: string }).commandName ?? '');
      if (S3_PUTS.has(command)) countUsage({ s3Puts: 1 });
      else if (S3_GETS.has(command)) countUsage({ s3Gets: 1 });
      return next(args);
    },
    { step: 'initialize', name: 'usageMeterS3', override: true },
  );
}

/** For tests that build clients again. */
export function resetMeters(): void {
  meteredDynamo = new WeakSet();
  meteredS3 = new WeakSet();
}
