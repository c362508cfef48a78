// Schedules in the jobs table, under key shapes of their own (no job id is shaped so, and every
// job action takes only a UUID: core/messages.ts jobIdSchema): `schedule#<id>` for a schedule,
// `schedules-of#<owner>` for the list of an owner's ids and their count. The list item is how
// `schedules` finds an owner's without a Scan or an index, and how the per-client maximum is
// checked in the same transaction that adds one. The owner is kept as `scheduleOwner`, not `owner`:
// an item with `owner` is a job (core/owners.ts), and a schedule is none.
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ScheduleRecord } from '../../core/schedule.js';
import type { ScheduleRun, ScheduleStore } from '../../core/schedule-ports.js';
import { batchGetAll } from './batch-get.js';
import { cancellationReasons, conditionalWrite, isTransactionCanceled, transactWrite } from './errors.js';

const scheduleKey = (scheduleId: string) => ({ jobId: `schedule#${scheduleId}` });
const ownerKey = (owner: string) => ({ jobId: `schedules-of#${owner}` });
/** how long a removed schedule's item stays, so that a firing already on its way finds it removed */
const REMOVED_KEPT_SECONDS = 7 * 86_400;

type Item = Omit<ScheduleRecord, 'owner'> & { jobId: string; scheduleOwner: string; expiresAt?: number };

function recordOf(item: Record<string, unknown> | undefined): ScheduleRecord | null {
  if (!item || typeof item.scheduleOwner !== 'string') return null;
  const { jobId: _key, scheduleOwner, expiresAt: _expires, ...rest } = item as unknown as Item;
  return { ...rest, owner: scheduleOwner };
}

export class DynamoScheduleStore implements ScheduleStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(record: ScheduleRecord, maxPerOwner: number): Promise<'created' | 'too-many'> {
    const { owner, ...rest } = record;
    const item: Item = { ...rest, ...scheduleKey(record.scheduleId), scheduleOwner: owner };
    try {
      await transactWrite(this.db, [
        { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(jobId)' } },
        {
          Update: {
            TableName: this.table,
            Key: ownerKey(owner),
            UpdateExpression: 'ADD scheduleIds :id, scheduleCount :one',
            ConditionExpression: 'attribute_not_exists(scheduleCount) OR scheduleCount < :max',
            ExpressionAttributeValues: { ':id': new Set([record.scheduleId]), ':one': 1, ':max': maxPerOwner },
          },
        },
      ]);
      return 'created';
    } catch (error) {
      if (isTransactionCanceled(error) && cancellationReasons(error)[1]?.code === 'ConditionalCheckFailed') return 'too-many';
      throw error;
    }
  }

  async get(scheduleId: string): Promise<ScheduleRecord | null> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: scheduleKey(scheduleId), ConsistentRead: true }));
    return recordOf(Item);
  }

  async listOf(owner: string): Promise<ScheduleRecord[]> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: ownerKey(owner), ConsistentRead: true }));
    const ids = [...((Item?.scheduleIds as Set<string> | undefined) ?? [])].sort();
    if (ids.length === 0) return [];
    const items = await batchGetAll(this.db, this.table, ids.map(scheduleKey), { consistent: true });
    return items
      .map(recordOf)
      .filter((r): r is ScheduleRecord => r !== null && r.owner === owner && r.deletedAt === undefined)
      .sort((a, b) => a.createdAt - b.createdAt || a.scheduleId.localeCompare(b.scheduleId));
  }

  async remove(scheduleId: string, owner: string, now: number): Promise<'removed' | 'not-found' | 'already-removed'> {
    try {
      await transactWrite(this.db, [
        {
          Update: {
            TableName: this.table,
            Key: scheduleKey(scheduleId),
            UpdateExpression: 'SET deletedAt = :now, expiresAt = :expires',
            ConditionExpression: 'scheduleOwner = :owner AND attribute_not_exists(deletedAt)',
            ExpressionAttributeValues: { ':now': now, ':expires': Math.floor(now / 1000) + REMOVED_KEPT_SECONDS, ':owner': owner },
          },
        },
        {
          Update: {
            TableName: this.table,
            Key: ownerKey(owner),
            UpdateExpression: 'DELETE scheduleIds :ids ADD scheduleCount :minusOne',
            ConditionExpression: 'contains(scheduleIds, :id)',
            ExpressionAttributeValues: { ':ids': new Set([scheduleId]), ':id': scheduleId, ':minusOne': -1 },
          },
        },
      ]);
      return 'removed';
    } catch (error) {
      if (!isTransactionCanceled(error) || !cancellationReasons(error).some((r) => r.code === 'ConditionalCheckFailed')) throw error;
      // Another owner's, none, or removed already (a retried unschedule): which, from the item.
      const record = await this.get(scheduleId);
      if (!record || record.owner !== owner) return 'not-found';
      return 'already-removed';
    }
  }

  claimRun(scheduleId: string, previousFiredAt: number | undefined, run: ScheduleRun): Promise<boolean> {
    const sets = ['lastFiredAt = :fired', 'lastJobId = :job', '#runs = if_not_exists(#runs, :zero) + :one'];
    const removes = ['lastError'];
    const values: Record<string, unknown> = { ':fired': run.firedAt, ':job': run.jobId, ':zero': 0, ':one': 1 };
    if (run.since !== undefined) (sets.push('lastSince = :since'), (values[':since'] = run.since));
    else removes.push('lastSince');
    if (run.lastSucceededJobId !== undefined) (sets.push('lastSucceededJobId = :succeeded'), (values[':succeeded'] = run.lastSucceededJobId));
    return this.firingUpdate(scheduleId, previousFiredAt, `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`, values, { '#runs': 'runs' });
  }

  recordSkip(scheduleId: string, previousFiredAt: number | undefined, firedAt: number): Promise<boolean> {
    return this.firingUpdate(scheduleId, previousFiredAt, 'SET lastFiredAt = :fired, lastSkippedAt = :fired ADD skipped :one', { ':fired': firedAt, ':one': 1 });
  }

  async recordError(scheduleId: string, message: string): Promise<void> {
    await conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: scheduleKey(scheduleId),
          UpdateExpression: 'SET lastError = :message',
          ConditionExpression: 'attribute_exists(jobId)',
          ExpressionAttributeValues: { ':message': message.slice(0, 1024) },
        }),
      ),
    );
  }

  /** One update per firing: only from the state it was decided on (the last firing acted on), and never on a removed schedule. */
  private firingUpdate(scheduleId: string, previousFiredAt: number | undefined, expression: string, values: Record<string, unknown>, names?: Record<string, string>): Promise<boolean> {
    const previous = previousFiredAt === undefined ? 'attribute_not_exists(lastFiredAt)' : 'lastFiredAt = :previous';
    return conditionalWrite(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: scheduleKey(scheduleId),
          UpdateExpression: expression,
          ConditionExpression: `attribute_exists(jobId) AND attribute_not_exists(deletedAt) AND ${previous}`,
          ExpressionAttributeValues: { ...values, ...(previousFiredAt !== undefined ? { ':previous': previousFiredAt } : {}) },
          ...(names ? { ExpressionAttributeNames: names } : {}),
        }),
      ),
    );
  }
}
