// Turns DynamoDB's failure shapes into facts the stores can act on, and retries what is only a conflict.
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

export function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}

/** A conditional put or update as sent: true when written, false when its condition refused it. */
export async function conditionalWrite(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export function isTransactionCanceled(error: unknown): error is TransactionCanceledException {
  return error instanceof TransactionCanceledException || (error as Error)?.name === 'TransactionCanceledException';
}

/** The item returned with a failed condition (ReturnValuesOnConditionCheckFailure: ALL_OLD). */
export function failedItem<T>(error: ConditionalCheckFailedException): T | undefined {
  return error.Item ? (unmarshall(error.Item) as T) : undefined;
}

export interface CancellationReason<T> {
  code: string;
  item?: T;
}

export function cancellationReasons<T>(error: TransactionCanceledException): CancellationReason<T>[] {
  return (error.CancellationReasons ?? []).map((reason) => ({
    code: reason.Code ?? 'None',
    item: reason.Item ? (unmarshall(reason.Item) as T) : undefined,
  }));
}

/**
 * Two transactions on the job item at once make one fail with TransactionConflict; the SDK does not
 * retry those, so the stores do, with jittered backoff.
 */
export async function retryOnConflict<T>(operation: () => Promise<T>, attempts = 12): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      const conflict =
        (isTransactionCanceled(error) && cancellationReasons(error).some((r) => r.code === 'TransactionConflict')) ||
        (error as Error)?.name === 'TransactionConflictException';
      if (!conflict || attempt >= attempts) throw error;
      const delay = Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random() / 2);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** A write transaction, retried while it only conflicts with another one (see retryOnConflict). */
export async function transactWrite(db: DynamoDBDocumentClient, items: NonNullable<TransactWriteCommandInput['TransactItems']>): Promise<void> {
  await retryOnConflict(() => db.send(new TransactWriteCommand({ TransactItems: items })));
}
