// The frontier table: one item per (job, URL). The conditional put is the dedupe, the lease is the
// lock, and the transactions keep the job's counters in step with the items they count.
import { GetCommand, UpdateCommand, PutCommand, paginateQuery, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { counterKeyOf } from '../../core/counter-shards.js';
import type { FrontierRecord, PageFailure, PageSummary } from '../../core/job.js';
import type { AdmitOutcome, ClaimOutcome, Clock, FrontierStore, SettleOutcome } from '../../core/ports.js';
import { boundFailure, boundFrontierItem, boundSummary } from '../../core/stored-text.js';
import { batchGetAll } from './batch-get.js';
import { rememberCounterShards, takeUsage } from '../usage/usage-meter.js';
import { lowerDepth, type DepthTarget } from './frontier-depth.js';
import { endWait, noteLatestWait, releaseForHost } from './frontier-waits.js';
import { cancellationReasons, failedItem, isConditionFailure, isTransactionCanceled, transactWrite } from './errors.js';
import { usageAddTerms } from './job-usage.js';

/** children per admission transaction (TransactWriteItems takes 100 items; one is the job) */
const ADMIT_BATCH = 99;

export class DynamoFrontierStore implements FrontierStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { frontier: string; jobs: string },
    private readonly clock: Clock,
  ) {}

  async claim(jobId: string, urlKey: string, owner: string, leaseMs: number): Promise<ClaimOutcome> {
    const now = this.clock.now();
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.tables.frontier,
          Key: { jobId, urlKey },
          UpdateExpression: 'SET #state = :claimed, leaseOwner = :owner, leaseUntil = :until ADD attempts :one',
          // A live lease blocks; an expired one is taken over: that is how a dead worker's URL moves on.
          ConditionExpression: 'attribute_exists(urlKey) AND (#state = :queued OR (#state = :claimed AND leaseUntil < :now))',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':queued': 'queued', ':owner': owner, ':until': now + leaseMs, ':now': now, ':one': 1 },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', record: result.Attributes as FrontierRecord };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const record = failedItem<FrontierRecord>(error);
      if (!record) return { kind: 'missing' };
      if (record.state === 'claimed') return { kind: 'busy', record };
      return { kind: 'settled', record };
    }
  }

  async admitAll(children: FrontierRecord[], maxPages: number): Promise<AdmitOutcome[]> {
    const outcomes: AdmitOutcome[] = new Array<AdmitOutcome>(children.length);
    // A transaction holds at most 100 items: 99 children and the job's counter.
    for (let start = 0; start < children.length; start += ADMIT_BATCH) {
      const end = Math.min(children.length, start + ADMIT_BATCH);
      let pending = Array.from({ length: end - start }, (_, i) => start + i);
      while (pending.length > 0) {
        const batch = pending;
        const settledNow = await this.admitBatch(batch.map((i) => children[i]!), maxPages);
        if (settledNow === 'admitted') {
          for (const i of batch) outcomes[i] = 'admitted';
          break;
        }
        if (settledNow.kind === 'job-closed') {
          for (let i = batch[0]!; i < children.length; i++) outcomes[i] ??= 'job-closed';
          return outcomes;
        }
        // Children that exist already get their answer; at the cap, the last ones are cut. What is
        // left is tried again: the transaction was all or nothing, so none of it was written.
        const rest: number[] = [];
        batch.forEach((index, position) => {
          const existing = settledNow.existing.get(position);
          if (existing) outcomes[index] = existing;
          else rest.push(index);
        });
        if (settledNow.room !== undefined) {
          for (const index of rest.slice(Math.max(0, settledNow.room))) outcomes[index] = 'cap-reached';
          pending = rest.slice(0, Math.max(0, settledNow.room));
        } else {
          pending = rest;
        }
      }
    }
    return outcomes;
  }

  /**
   * One transaction: a conditional put per child and `admitted + n` on the job, if the job runs and
   * has room for all n. On refusal, says which children exist and how much room is left.
   */
  private async admitBatch(
    batch: FrontierRecord[],
    maxPages: number,
  ): Promise<'admitted' | { kind: 'job-closed' } | { kind: 'refused'; existing: Map<number, 'exists-mine' | 'exists-other'>; room?: number }> {
    const jobId = batch[0]!.jobId;
    try {
      await transactWrite(this.db, [
        ...batch.map((child) => ({
          Put: {
            TableName: this.tables.frontier,
            Item: child,
            ConditionExpression: 'attribute_not_exists(urlKey)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          },
        })),
        {
          Update: {
            TableName: this.tables.jobs,
            Key: { jobId },
            UpdateExpression: 'ADD admitted :n',
            ConditionExpression: '#status = :running AND admitted <= :last',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':n': batch.length, ':running': 'running', ':last': maxPages - batch.length },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
          },
        },
      ]);
      return 'admitted';
    } catch (error) {
      if (!isTransactionCanceled(error)) throw error;
      const reasons = cancellationReasons<Record<string, unknown>>(error);
      const job = reasons[batch.length];
      const existing = new Map<number, 'exists-mine' | 'exists-other'>();
      batch.forEach((child, position) => {
        const reason = reasons[position];
        if (reason?.code !== 'ConditionalCheckFailed') return;
        const found = reason.item as FrontierRecord | undefined;
        // Admitted by an earlier attempt of this same parent, which may have died before sending it.
        existing.set(position, found?.discoveredBy === child.discoveredBy && found?.state === 'queued' ? 'exists-mine' : 'exists-other');
      });
      let room: number | undefined;
      if (job?.code === 'ConditionalCheckFailed') {
        if (job.item?.['status'] !== 'running') return { kind: 'job-closed' };
        room = maxPages - Number(job.item?.['admitted'] ?? 0);
      }
      // Nothing to learn from the refusal: retrying the same transaction would loop.
      if (existing.size === 0 && (room === undefined || room >= batch.length)) throw error;
      return { kind: 'refused', existing, room };
    }
  }

  async markCapped(children: FrontierRecord[]): Promise<number> {
    let counted = 0;
    for (let start = 0; start < children.length; start += ADMIT_BATCH) {
      let pending = children.slice(start, start + ADMIT_BATCH).map((child) => ({ ...child, state: 'capped' as const, attempts: 0 }));
      while (pending.length > 0) {
        const outcome = await this.capBatch(pending);
        if (outcome === 'counted') {
          counted += pending.length;
          break;
        }
        if (outcome === 'job-closed') return counted;
        // Items that exist (admitted after all, or capped by another parent or an earlier attempt)
        // are counted already or are pages: the rest is tried again, since nothing was written.
        pending = pending.filter((_, position) => !outcome.has(position));
      }
    }
    return counted;
  }

  /** One transaction: a marker per URL where no item is, and `capped + n` on the running job. */
  private async capBatch(batch: FrontierRecord[]): Promise<'counted' | 'job-closed' | Set<number>> {
    const jobId = batch[0]!.jobId;
    try {
      await transactWrite(this.db, [
        ...batch.map((marker) => ({
          Put: { TableName: this.tables.frontier, Item: marker, ConditionExpression: 'attribute_not_exists(urlKey)' },
        })),
        {
          Update: {
            TableName: this.tables.jobs,
            Key: { jobId },
            UpdateExpression: 'ADD capped :n',
            ConditionExpression: '#status = :running',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':n': batch.length, ':running': 'running' },
          },
        },
      ]);
      return 'counted';
    } catch (error) {
      if (!isTransactionCanceled(error)) throw error;
      const reasons = cancellationReasons(error);
      if (reasons[batch.length]?.code === 'ConditionalCheckFailed') return 'job-closed';
      const existing = new Set<number>();
      batch.forEach((_, position) => {
        if (reasons[position]?.code === 'ConditionalCheckFailed') existing.add(position);
      });
      if (existing.size === 0) throw error;
      return existing;
    }
  }

  async existing(jobId: string, urlKeys: string[]): Promise<Map<string, FrontierRecord>> {
    const items = await batchGetAll(this.db, this.tables.frontier, urlKeys.map((urlKey) => ({ jobId, urlKey })), {
      consistent: true,
      projection: { expression: 'urlKey, discoveredBy, #state, #depth, aliasOf', names: { '#state': 'state', '#depth': 'depth' } },
    });
    return new Map(items.map((item) => [String(item.urlKey), item as unknown as FrontierRecord]));
  }

  lowerDepth(jobId: string, urlKey: string, to: DepthTarget, counterShards?: number): Promise<'send' | 'lowered' | 'unchanged'> {
    return lowerDepth(this.db, this.tables, jobId, urlKey, to, counterShards);
  }

  async putAlias(record: FrontierRecord): Promise<boolean> {
    try {
      await this.db.send(
        // A sitemap warning's URL and error, a redirect's target: a site's choice, bounded (core/stored-text.ts).
        new PutCommand({ TableName: this.tables.frontier, Item: boundFrontierItem(record), ConditionExpression: 'attribute_not_exists(urlKey)' }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async settle(
    jobId: string,
    urlKey: string,
    owner: string,
    outcome: SettleOutcome,
    counterShards?: number,
  ): Promise<boolean> {
    // A page picks its own title and URL: bounded here, the one place every summary and failure is
    // stored, so no page can make its item too large to write.
    const detail =
      outcome.kind === 'failed' ? { name: 'failure', value: boundFailure(outcome.failure) } : { name: 'summary', value: boundSummary(outcome.summary) };
    // What this invocation used for the job so far rides on the settle's counter update (usage-meter.ts).
    rememberCounterShards(jobId, counterShards);
    const usage = takeUsage(jobId);
    const used = usageAddTerms(usage?.counts);
    // A page's links past maxLinksPerPage: one counter per job (summed over its shards), no item each.
    const dropped = outcome.kind === 'done' && outcome.linksDropped ? outcome.linksDropped : 0;
    if (dropped > 0) {
      used.terms.push('linksDropped :linksDropped');
      used.values[':linksDropped'] = dropped;
    }
    // A page is done at the depth its links were admitted from; a shorter path that lowered the
    // record meanwhile (lowerDepth) makes the settle fail, so its holder admits them again first.
    const atDepth = outcome.kind === 'done' && typeof outcome.summary.depth === 'number' ? outcome.summary.depth : undefined;
    try {
      await transactWrite(this.db, [
        {
          Update: {
            TableName: this.tables.frontier,
            Key: { jobId, urlKey },
            UpdateExpression: `SET #state = :state, ${detail.name} = :detail REMOVE leaseOwner, leaseUntil`,
            // Only the lease holder settles, once: a worker whose lease was taken over stops here.
            ConditionExpression: `#state = :claimed AND leaseOwner = :owner${atDepth !== undefined ? ' AND #depth = :depth' : ''}`,
            ExpressionAttributeNames: { '#state': 'state', ...(atDepth !== undefined ? { '#depth': 'depth' } : {}) },
            ExpressionAttributeValues: {
              ':state': outcome.kind,
              ':detail': detail.value,
              ':claimed': 'claimed',
              ':owner': owner,
              ...(atDepth !== undefined ? { ':depth': atDepth } : {}),
            },
          },
        },
        {
          Update: {
            TableName: this.tables.jobs,
            // The URL's counter shard, not the job item: a job's settles spread over its shards.
            Key: { jobId: counterKeyOf(jobId, urlKey, counterShards) },
            // robots.txt refusals also count apart: a redrive's route reads what it would crawl again from the counters.
            UpdateExpression: `SET lastActivityAt = :now ADD settled :one, ${outcome.kind} :one${outcome.kind === 'failed' && outcome.failure.kind === 'robots' ? ', robotsRefused :one' : ''}${used.terms.map((t) => `, ${t}`).join('')}`,
            ExpressionAttributeValues: { ':one': 1, ':now': this.clock.now(), ...used.values },
          },
        },
      ]);
      return true;
    } catch (error) {
      usage?.putBack();
      if (isTransactionCanceled(error) && cancellationReasons(error)[0]?.code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async release(jobId: string, urlKey: string, owner: string, stackFault = false): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tables.frontier,
          Key: { jobId, urlKey },
          // The stack's failure is not the page's attempt: the claim's increment is given back,
          // in the same conditional write, so only the lease holder can give it back, once.
          UpdateExpression: `SET #state = :queued REMOVE leaseOwner, leaseUntil${stackFault ? ' ADD attempts :minusOne, stackFaults :one' : ''}`,
          ConditionExpression: '#state = :claimed AND leaseOwner = :owner',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':queued': 'queued',
            ':claimed': 'claimed',
            ':owner': owner,
            ...(stackFault ? { ':minusOne': -1, ':one': 1 } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  notePacedWait(jobId: string, host: string, until: number): Promise<void> {
    // on the job item, which always exists (a shard item may not yet): readers take the latest wait over the item and its shards
    return noteLatestWait(this.db, this.tables, jobId, until, host);
  }

  releaseForHost(
    jobId: string,
    urlKey: string,
    owner: string,
    until: number,
    countWait: boolean,
    counterShards?: number,
    ticketAt?: number,
    host?: string,
    throttle?: { keepAttempt: boolean },
  ): Promise<boolean> {
    return releaseForHost(this.db, this.tables, this.clock, { jobId, urlKey, owner, until, countWait, counterShards, ticketAt, host, ...(throttle ? { throttle } : {}) });
  }

  endWait(jobId: string, urlKey: string, owner: string, counterShards?: number): Promise<void> {
    return endWait(this.db, this.tables, jobId, urlKey, owner, counterShards);
  }

  async get(jobId: string, urlKey: string): Promise<FrontierRecord | null> {
    const result = await this.db.send(new GetCommand({ TableName: this.tables.frontier, Key: { jobId, urlKey }, ConsistentRead: true }));
    return (result.Item as FrontierRecord | undefined) ?? null;
  }

  async list(jobId: string): Promise<FrontierRecord[]> {
    const records: FrontierRecord[] = [];
    for await (const page of this.listPages(jobId)) records.push(...page);
    return records;
  }

  /** One Query page at a time: at most `pageSize` items when given, never more than DynamoDB's 1 MB. */
  async *listPages(jobId: string, pageSize?: number): AsyncGenerator<FrontierRecord[]> {
    const pages = paginateQuery(
      { client: this.db, ...(pageSize !== undefined ? { pageSize } : {}) },
      { TableName: this.tables.frontier, KeyConditionExpression: 'jobId = :jobId', ExpressionAttributeValues: { ':jobId': jobId }, ConsistentRead: true },
    );
    for await (const page of pages) if (page.Items && page.Items.length > 0) yield page.Items as FrontierRecord[];
  }
}
