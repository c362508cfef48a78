// A URL waiting for its host (politeness): released with its attempt given back and counted in the
// job's `delayed` (with the host and when it is due, for the job's progress), and the count taken
// back once it no longer waits. Part of the frontier store (frontier-store.ts).
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { counterKeyOf } from '../../core/counter-shards.js';
import type { Clock } from '../../core/ports.js';
import { countUsage, rememberCounterShards, takeUsage } from '../usage/usage-meter.js';
import { cancellationReasons, isConditionFailure, isTransactionCanceled, transactWrite } from './errors.js';
import { usageAddTerms } from './job-usage.js';

type Tables = { frontier: string; jobs: string };

export interface HostWait {
  jobId: string;
  urlKey: string;
  owner: string;
  until: number;
  countWait: boolean;
  counterShards?: number;
  ticketAt?: number;
  host?: string;
  /**
   * the host throttled the page (core/pushback.ts): its `throttles` count grows, and past the
   * free ones (`keepAttempt`) the claim's attempt is kept
   */
  throttle?: { keepAttempt: boolean };
}

export async function releaseForHost(db: DynamoDBDocumentClient, tables: Tables, clock: Clock, wait: HostWait): Promise<boolean> {
  const { jobId, urlKey, owner, until, countWait, counterShards, ticketAt, host, throttle } = wait;
  const giveBack = !throttle?.keepAttempt;
  const adds = [...(giveBack ? ['attempts :minusOne'] : []), ...(throttle ? ['throttles :one'] : [])];
  // A URL's waits count on its counter shard, as its settle does (so its endWait finds its count there).
  const counterKey = counterKeyOf(jobId, urlKey, counterShards);
  // Waiting for the host's slot is not an attempt: the claim's increment is given back, so a
  // polite URL can wait any number of times without being given up.
  const now = clock.now();
  // The deferral and what the invocation used for the job so far ride on the counter update.
  countUsage({ deferrals: 1 });
  rememberCounterShards(jobId, counterShards);
  const usage = takeUsage(jobId);
  const used = usageAddTerms(usage?.counts);
  try {
    await transactWrite(db, [
      {
        Update: {
          TableName: tables.frontier,
          Key: { jobId, urlKey },
          UpdateExpression: `SET #state = :queued${countWait ? ', waitingSince = :now' : ''}${ticketAt !== undefined ? ', hostTicketAt = :ticket' : ''} REMOVE leaseOwner, leaseUntil${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
          ConditionExpression: '#state = :claimed AND leaseOwner = :owner',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':queued': 'queued',
            ':claimed': 'claimed',
            ':owner': owner,
            ...(giveBack ? { ':minusOne': -1 } : {}),
            ...(throttle ? { ':one': 1 } : {}),
            ...(countWait ? { ':now': now } : {}),
            ...(ticketAt !== undefined ? { ':ticket': ticketAt } : {}),
          },
        },
      },
      {
        Update: {
          TableName: tables.jobs,
          Key: { jobId: counterKey },
          // A delay is activity: the sweeper must not take a polite job for a stalled one.
          UpdateExpression: `SET lastDelayedAt = :now ADD hostWaits :one${countWait ? ', delayed :one' : ''}${used.terms.map((t) => `, ${t}`).join('')}`,
          ExpressionAttributeValues: { ':now': now, ':one': 1, ...used.values },
        },
      },
    ]);
  } catch (error) {
    usage?.putBack();
    if (isTransactionCanceled(error) && cancellationReasons(error)[0]?.code === 'ConditionalCheckFailed') return false;
    throw error;
  }
  await noteLatestWait(db, tables, counterKey, until, host);
  return true;
}

/**
 * The latest instant a waiting URL of the job is due back, with the host it waits on (what the
 * job's progress names, core/progress.ts), only ever moved later (waits on two hosts may end out of
 * order): a separate write, since a transaction cannot express "the larger of". Written for a URL
 * sent back to wait and for children sent paced to their turns (app/pace-children.ts).
 */
export async function noteLatestWait(db: DynamoDBDocumentClient, tables: Tables, counterKey: string, until: number, host?: string): Promise<void> {
  try {
    await db.send(
      new UpdateCommand({
        TableName: tables.jobs,
        Key: { jobId: counterKey },
        UpdateExpression: `SET delayedUntil = :until${host !== undefined ? ', delayedHost = :host' : ''}`,
        ConditionExpression: 'attribute_exists(jobId) AND (attribute_not_exists(delayedUntil) OR delayedUntil < :until)',
        ExpressionAttributeValues: { ':until': until, ...(host !== undefined ? { ':host': host } : {}) },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function endWait(db: DynamoDBDocumentClient, tables: Tables, jobId: string, urlKey: string, owner: string, counterShards?: number): Promise<void> {
  try {
    await transactWrite(db, [
      {
        Update: {
          TableName: tables.frontier,
          Key: { jobId, urlKey },
          UpdateExpression: 'REMOVE waitingSince',
          // Only the mark's removal lowers the count: a second call (a retry after a crash) finds no mark.
          ConditionExpression: 'attribute_exists(waitingSince) AND leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        },
      },
      {
        Update: {
          TableName: tables.jobs,
          Key: { jobId: counterKeyOf(jobId, urlKey, counterShards) },
          UpdateExpression: 'ADD delayed :minusOne',
          ExpressionAttributeValues: { ':minusOne': -1 },
        },
      },
    ]);
  } catch (error) {
    if (isTransactionCanceled(error) && cancellationReasons(error)[0]?.code === 'ConditionalCheckFailed') return;
    throw error;
  }
}
