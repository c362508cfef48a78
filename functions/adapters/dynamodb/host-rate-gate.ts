// The per-host rate, shared by every job and crawler environment: one item per host in the jobs
// table (`jobId = host-rate#<host>`, no `status`, so the sweeper's scan passes over it) holding the
// host's next free navigation slot, and one per (job, host) when a job's `hostRate` is slower.
// Slots are reserved by compare-and-set: the write succeeds only if the stored instant is still the
// one the decision was made from, so two environments can never be granted the same slot.
import { createHash } from 'node:crypto';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decideSlot, HostTicket, type SlotDecision } from '../../core/host-rate.js';
import { assignTurns } from '../../core/paced-turns.js';
import type { Clock, HostRateGate } from '../../core/ports.js';
import { failedItem, isConditionFailure } from './errors.js';

export const HOST_RATE_PREFIX = 'host-rate#';

/**
 * The host as it appears in a gate item's key. A host name is the site's choice and WHATWG URLs do
 * not bound it (a link to a 2,000-character subdomain is in a `domain`-scoped job's scope), while
 * a DynamoDB partition key stops at 2,048 bytes: a host longer than DNS allows (253) is keyed by
 * its digest. Such a name never resolves, but its gate is taken before the navigation fails.
 */
export function hostKeyPart(host: string): string {
  return host.length <= 253 ? host : `sha256:${createHash('sha256').update(host).digest('hex')}`;
}

/** compare-and-set rounds before a reserver gives up and waits like a URL whose slot is taken */
const MAX_ROUNDS = 8;
/** gate items outlive their last use by a day; a host not crawled since starts afresh */
const ITEM_TTL_SECONDS = 24 * 3600;

type NextWritten = { set: true } | { set: false; stored: { next?: number; backlog?: number } };

export class DynamoHostRateGate implements HostRateGate {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async reserve(request: { host: string; jobId: string; hostIntervalMs: number; jobIntervalMs?: number; maxSleepMs: number; ticketAt?: number }): Promise<SlotDecision> {
    // A URL that comes back on its turn in the backlog (HostTicket) is served against the next free
    // slot alone; any other also waits for the turns given out before it.
    const due = HostTicket.isDue(request.ticketAt, this.clock.now(), request.maxSleepMs);
    const maxSleepMs = due ? request.maxSleepMs + HostTicket.extraSleepMs : request.maxSleepMs;
    // The job's own pace first: a slot it then cannot use on the host is lost to this job only,
    // never to the other jobs sharing the host.
    const hostKey = `${HOST_RATE_PREFIX}${hostKeyPart(request.host)}`;
    if (request.jobIntervalMs === undefined) return this.reserveOn(hostKey, request.hostIntervalMs, maxSleepMs, this.clock.now(), due);
    const jobKey = `${HOST_RATE_PREFIX}${request.jobId}#${hostKeyPart(request.host)}`;
    const mine = await this.reserveOn(jobKey, request.jobIntervalMs, maxSleepMs, this.clock.now(), due);
    if (mine.kind === 'wait') return mine;
    // The host's slot is taken no earlier than the job's: the navigation starts at the host's slot.
    const host = await this.reserveOn(hostKey, request.hostIntervalMs, maxSleepMs, mine.at, due);
    if (host.kind === 'wait' || host.at <= mine.at) return host;
    // The host's slot came later than the job's (the host was busy, or the first write took long):
    // the job's next slot counts from when this navigation really starts, or the job's next one
    // could come less than its interval after it. Only if no one of this job reserved since; else
    // that slot may fall within the interval, and this one is given up.
    const pushed = await this.setNext(jobKey, host.at + request.jobIntervalMs, 'nextSlotAt = :known', { ':known': mine.next });
    return pushed.set ? host : { kind: 'wait', retryInMs: request.jobIntervalMs };
  }

  /**
   * Reserves `count` consecutive turns in the backlog (core/paced-turns.ts) for a page's children on
   * `host`, in one conditional write after one read (a retry only if another reserver wrote in
   * between). A job with its own slower rate takes them on its own (job, host) item, at its
   * interval, as its waiting URLs do. Empty after heavy contention: the children go unpaced, as before.
   */
  async reserveTurns(request: { host: string; jobId: string; hostIntervalMs: number; jobIntervalMs?: number; count: number }): Promise<number[]> {
    if (request.count <= 0) return [];
    const own = request.jobIntervalMs !== undefined;
    const key = own ? `${HOST_RATE_PREFIX}${request.jobId}#${hostKeyPart(request.host)}` : `${HOST_RATE_PREFIX}${hostKeyPart(request.host)}`;
    const intervalMs = request.jobIntervalMs ?? request.hostIntervalMs;
    const read = await this.db.send(new GetCommand({ TableName: this.table, Key: { jobId: key }, ConsistentRead: true, ProjectionExpression: 'nextSlotAt, backlogUntil' }));
    let known: Stored = { next: numberOrUndefined(read.Item?.nextSlotAt), backlog: numberOrUndefined(read.Item?.backlogUntil) };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { turns, backlogUntil } = assignTurns(this.clock.now(), known.next, known.backlog, intervalMs, request.count);
      const written =
        known.backlog === undefined
          ? await this.setIf(key, 'backlogUntil = :next', backlogUntil, 'attribute_not_exists(backlogUntil)', {})
          : await this.setIf(key, 'backlogUntil = :next', backlogUntil, 'backlogUntil = :known', { ':known': known.backlog });
      if (written.set) return turns;
      known = written.stored;
    }
    return [];
  }

  /**
   * Moves the key's next free slot to `next` if `condition` holds; when it does not, what is stored
   * now (undefined: no slot yet), for the caller to decide again from.
   */
  private async setNext(key: string, next: number, condition: string, values: Record<string, number>): Promise<NextWritten> {
    return this.setIf(key, 'nextSlotAt = :next', next, condition, values);
  }

  /** Sets `assignment` (`nextSlotAt` or `backlogUntil` = :next) if `condition` holds; else what is stored. */
  private async setIf(key: string, assignment: string, next: number, condition: string, values: Record<string, number>): Promise<NextWritten> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: key },
          UpdateExpression: `SET ${assignment}, expiresAt = :ttl`,
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':next': next, ':ttl': Math.floor(next / 1000) + ITEM_TTL_SECONDS, ...values },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { set: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const stored = failedItem<{ nextSlotAt?: number; backlogUntil?: number }>(error);
      return { set: false, stored: { next: numberOrUndefined(stored?.nextSlotAt), backlog: numberOrUndefined(stored?.backlogUntil) } };
    }
  }

  async slide(request: { host: string; jobId: string; hostIntervalMs: number; jobIntervalMs?: number; slotAt: number; to: number }): Promise<boolean> {
    // The job's key first: moved alone (the host's then refused), the job only waits a little longer.
    if (request.jobIntervalMs !== undefined) {
      const jobKey = `${HOST_RATE_PREFIX}${request.jobId}#${request.host}`;
      const mine = await this.setNext(jobKey, request.to + request.jobIntervalMs, 'nextSlotAt = :known', { ':known': request.slotAt + request.jobIntervalMs });
      if (!mine.set) return false;
    }
    const hostKey = `${HOST_RATE_PREFIX}${request.host}`;
    const host = await this.setNext(hostKey, request.to + request.hostIntervalMs, 'nextSlotAt = :known', { ':known': request.slotAt + request.hostIntervalMs });
    return host.set;
  }

  private async reserveOn(key: string, intervalMs: number, maxSleepMs: number, notBefore: number, due: boolean): Promise<SlotDecision> {
    // First round assumes the slot is free now (one write, the common case on a quiet host); a
    // refusal returns the stored instants, from which the next round decides.
    let known: Stored | 'unread' = 'unread';
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.clock.now();
      const stored: Stored = known === 'unread' ? {} : known;
      const decision = decideSlot(stored.next, now, intervalMs, maxSleepMs, notBefore, due ? undefined : stored.backlog);
      if (decision.kind === 'wait') return known === 'unread' ? decision : this.takeTicket(key, intervalMs, known);
      // A URL without a due turn is granted only if no turn given out is later than its slot.
      const backlogFree = due ? '' : ' AND (attribute_not_exists(backlogUntil) OR backlogUntil <= :at)';
      const written: NextWritten =
        known === 'unread'
          ? await this.setNext(key, decision.next, `(attribute_not_exists(nextSlotAt) OR nextSlotAt <= :at)${backlogFree}`, { ':at': decision.at })
          : known.next === undefined
            ? await this.setNext(key, decision.next, 'attribute_not_exists(nextSlotAt)', {})
            : await this.setNext(key, decision.next, 'nextSlotAt = :known', { ':known': known.next });
      if (written.set) return decision;
      // Someone reserved in between: decide again from what is stored now.
      known = written.stored;
    }
    // Heavy contention: behave as a URL whose slot is taken, and come back after an interval.
    return { kind: 'wait', retryInMs: intervalMs };
  }

  /**
   * The URL must wait: it takes the next turn in the key's backlog (core/host-rate.ts HostTicket),
   * moving `backlogUntil` one interval past it by compare-and-set, and waits until its turn.
   */
  private async takeTicket(key: string, intervalMs: number, stored: Stored): Promise<SlotDecision> {
    let known = stored;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.clock.now();
      const ticketAt = HostTicket.next(now, known.next, known.backlog);
      const written =
        known.backlog === undefined
          ? await this.setIf(key, 'backlogUntil = :next', ticketAt + intervalMs, 'attribute_not_exists(backlogUntil)', {})
          : await this.setIf(key, 'backlogUntil = :next', ticketAt + intervalMs, 'backlogUntil = :known', { ':known': known.backlog });
      if (written.set) return { kind: 'wait', retryInMs: ticketAt - now, ticketAt };
      known = written.stored;
    }
    // Heavy contention: wait without a turn, as before turns existed.
    const now = this.clock.now();
    return { kind: 'wait', retryInMs: HostTicket.next(now, known.next, known.backlog) - now };
  }
}

type Stored = { next?: number; backlog?: number };

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
