// Exact depth in the frontier table (core/depth.ts): a URL found by a shorter path takes the smaller
// depth by conditional updates that only ever lower it; a done page whose links the shorter path
// needs is reopened, its settle taken back on its counter shard in the same transaction.
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { counterKeyOf } from '../../core/counter-shards.js';
import { depthRepairOf } from '../../core/depth.js';
import type { FrontierRecord } from '../../core/job.js';
import { cancellationReasons, isConditionFailure, isTransactionCanceled, transactWrite } from './errors.js';

/** races lowerDepth may lose before it gives up (a depth falls at most once per level) */
const MAX_LOWER_ROUNDS = 16;

/** Where the shorter path puts the URL: its depth, and the page that found it there. */
export interface DepthTarget {
  depth: number;
  parent: string;
  discoveredBy: string;
}

type Tables = { frontier: string; jobs: string };

/** See FrontierStore.lowerDepth (core/store-ports.ts). */
export async function lowerDepth(
  db: DynamoDBDocumentClient,
  tables: Tables,
  jobId: string,
  urlKey: string,
  to: DepthTarget,
  counterShards?: number,
): Promise<'send' | 'lowered' | 'unchanged'> {
  // Each write is conditional on the state and depth it was decided from; one that lost a race
  // (another finder, a claim, a settle) reads the record again and decides anew. The depth only
  // falls, at most once per level, so this ends.
  for (let round = 0; round < MAX_LOWER_ROUNDS; round++) {
    const read = await db.send(new GetCommand({ TableName: tables.frontier, Key: { jobId, urlKey }, ConsistentRead: true }));
    const current = read.Item as FrontierRecord | undefined;
    if (!current) return 'unchanged';
    const repair = depthRepairOf(current, to.depth);
    if (repair.kind === 'none') {
      // An earlier attempt of this finder lowered it and may have died before sending it.
      const mine = current.state === 'queued' && current.depth === to.depth && current.discoveredBy === to.discoveredBy;
      return mine ? 'send' : 'unchanged';
    }
    try {
      if (repair.kind === 'lower') {
        await lowerInPlace(db, tables, current, to);
        return repair.send ? 'send' : 'lowered';
      }
      return (await reopen(db, tables, current, to, counterShards)) ? 'send' : 'unchanged';
    } catch (error) {
      if (!isConditionFailure(error) && !(isTransactionCanceled(error) && cancellationReasons(error)[0]?.code === 'ConditionalCheckFailed')) throw error;
    }
  }
  throw new Error(`the depth of ${urlKey} kept changing under ${MAX_LOWER_ROUNDS} attempts to lower it`);
}

/** Depth, parent and discoverer, if the record is still in the state and at the depth decided from. */
async function lowerInPlace(db: DynamoDBDocumentClient, tables: Tables, current: FrontierRecord, to: DepthTarget): Promise<void> {
  // A done page without links keeps its summary in step: the manifest lists the summary.
  const summary = current.state === 'done' && current.summary ? ', summary.#depth = :depth, summary.#parent = :parent' : '';
  await db.send(
    new UpdateCommand({
      TableName: tables.frontier,
      Key: { jobId: current.jobId, urlKey: current.urlKey },
      UpdateExpression: `SET #depth = :depth, #parent = :parent, discoveredBy = :by${summary}`,
      ConditionExpression: '#state = :state AND #depth = :was',
      ExpressionAttributeNames: { '#state': 'state', '#depth': 'depth', '#parent': 'parent' },
      ExpressionAttributeValues: { ':depth': to.depth, ':parent': to.parent, ':by': to.discoveredBy, ':state': current.state, ':was': current.depth },
    }),
  );
}

/**
 * A done page queued again at the smaller depth, its settle taken back on its counter shard (so
 * `admitted - settled` counts it open again), in one transaction, only while the job runs. Its
 * summary stays: the worker that claims it admits the stored page's links (app/crawl-page.ts).
 * False when the job no longer runs.
 */
async function reopen(db: DynamoDBDocumentClient, tables: Tables, current: FrontierRecord, to: DepthTarget, counterShards?: number): Promise<boolean> {
  const { jobId, urlKey } = current;
  const counterKey = counterKeyOf(jobId, urlKey, counterShards);
  const onJobItem = counterKey === jobId;
  const running = { ConditionExpression: '#status = :running', ExpressionAttributeNames: { '#status': 'status' } };
  try {
    await transactWrite(db, [
      {
        Update: {
          TableName: tables.frontier,
          Key: { jobId, urlKey },
          // One attempt: the claim makes it the second, which reuses the stored page record.
          UpdateExpression: 'SET #state = :queued, #depth = :depth, #parent = :parent, discoveredBy = :by, attempts = :one',
          ConditionExpression: '#state = :done AND #depth = :was',
          ExpressionAttributeNames: { '#state': 'state', '#depth': 'depth', '#parent': 'parent' },
          ExpressionAttributeValues: { ':queued': 'queued', ':done': 'done', ':depth': to.depth, ':parent': to.parent, ':by': to.discoveredBy, ':was': current.depth, ':one': 1 },
        },
      },
      {
        Update: {
          TableName: tables.jobs,
          Key: { jobId: counterKey },
          UpdateExpression: 'ADD settled :minusOne, done :minusOne',
          ...(onJobItem ? running : {}),
          ExpressionAttributeValues: { ':minusOne': -1, ...(onJobItem ? { ':running': 'running' } : {}) },
        },
      },
      ...(onJobItem ? [] : [{ ConditionCheck: { TableName: tables.jobs, Key: { jobId }, ...running, ExpressionAttributeValues: { ':running': 'running' } } }]),
    ]);
    return true;
  } catch (error) {
    if (!isTransactionCanceled(error)) throw error;
    // The job no longer runs (cancelled, past its time): its pages stay as they are.
    if (cancellationReasons(error)[onJobItem ? 1 : 2]?.code === 'ConditionalCheckFailed') return false;
    throw error;
  }
}
