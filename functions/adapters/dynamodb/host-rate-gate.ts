// The per-host rate, shared by every job and crawler environment: one item per host in the jobs
// table (`jobId = host-rate#<host>`, no `status`, so the sweeper's scan passes over it) holding the
// host's next free navigation slot, and one per (job, host) when a job's `hostRate` is slower.
// Slots are reserved by compare-and-set: the write succeeds only if the stored instant is still the
// one the decision was made from, so two environments can never be granted the same slot.
import { createHash } from 'node:crypto';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decideSlot, HostTicket, type SlotDecision } from '../../core/host-rate.js';
import { dueForRecovery, raisedRate, slowMsFor, throttleWrite, type HostPushbackState } from '../../core/host-pushback.js';
import { assignTurns } from '../../core/paced-turns.js';
import type { Clock, HostRateGate } from '../../core/ports.js';
import { batchGetAll } from './batch-get.js';
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

type NextWritten = { set: true; item?: Record<string, unknown> } | { set: false; stored: { next?: number; backlog?: number } };

export class DynamoHostRateGate implements HostRateGate {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async reserve(request: { host: string; jobId: string; hostIntervalMs: number; jobIntervalMs?: number; maxSleepMs: number; ticketAt?: number; ceiling?: number }): Promise<SlotDecision> {
    // A URL that comes back on its turn in the backlog (HostTicket) is served against the next free
    // slot alone; any other also waits for the turns given out before it.
    const due = HostTicket.isDue(request.ticketAt, this.clock.now(), request.maxSleepMs);
    const maxSleepMs = due ? request.maxSleepMs + HostTicket.extraSleepMs : request.maxSleepMs;
    // The job's own pace first: a slot it then cannot use on the host is lost to this job only,
    // never to the other jobs sharing the host.
    const hostKey = `${HOST_RATE_PREFIX}${hostKeyPart(request.host)}`;
    // On the host's key a grant also spaces the next one by the host's pushback (slowMs) and counts
    // toward its recovery (core/host-pushback.ts): `onHost`.
    const onHost = { ceiling: request.ceiling };
    if (request.jobIntervalMs === undefined) return this.reserveOn(hostKey, request.hostIntervalMs, maxSleepMs, this.clock.now(), due, onHost);
    const jobKey = `${HOST_RATE_PREFIX}${request.jobId}#${hostKeyPart(request.host)}`;
    const mine = await this.reserveOn(jobKey, request.jobIntervalMs, maxSleepMs, this.clock.now(), due);
    if (mine.kind === 'wait') return mine;
    // The host's slot is taken no earlier than the job's: the navigation starts at the host's slot.
    const host = await this.reserveOn(hostKey, request.hostIntervalMs, maxSleepMs, mine.at, due, onHost);
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
  private async setNext(key: string, next: number, condition: string, values: Record<string, number>, onHost?: OnHost): Promise<NextWritten> {
    if (!onHost) return this.setIf(key, 'nextSlotAt = :next', next, condition, values);
    // The host's pushback widens the interval in the same write (absent: 0), and the grant counts
    // toward its recovery; the item as written tells whether a recovery step is due.
    const written = await this.setIf(key, 'nextSlotAt = :next + if_not_exists(slowMs, :zero)', next, condition, { ...values, ':zero': 0 }, 'okRun :one');
    if (written.set && onHost.ceiling !== undefined && written.item) await this.recover(key, written.item as HostPushbackState, onHost.ceiling);
    return written;
  }

  /** Sets `assignment` (`nextSlotAt` or `backlogUntil` = :next) if `condition` holds; else what is stored. */
  private async setIf(key: string, assignment: string, next: number, condition: string, values: Record<string, number>, add?: string): Promise<NextWritten> {
    try {
      const result = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: key },
          UpdateExpression: `SET ${assignment}, expiresAt = :ttl${add ? ` ADD ${add}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':next': next, ':ttl': Math.floor(next / 1000) + ITEM_TTL_SECONDS, ...values, ...(add ? { ':one': 1 } : {}) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          // what the write left, read from the same write (no extra read): the host's pushback state
          ...(add ? { ReturnValues: 'ALL_NEW' as const } : {}),
        }),
      );
      return { set: true, ...(result.Attributes ? { item: result.Attributes } : {}) };
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

  /**
   * A navigation to `host` was throttled (429/503): the host's rate is cut and the host closed until
   * `closeUntil` (its Retry-After) for every job (core/host-pushback.ts). Read, then compare-and-set:
   * a throttle is rare, the happy path never comes here. Returns the rate now in force.
   */
  async pushback(request: { host: string; ceiling: number; closeUntil?: number }): Promise<{ rateNow: number }> {
    const key = `${HOST_RATE_PREFIX}${hostKeyPart(request.host)}`;
    let state = await this.readState(key);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.clock.now();
      const write = throttleWrite(state, now, request.ceiling, request.closeUntil);
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { jobId: key },
            UpdateExpression: 'SET rateNow = :rate, slowMs = :slow, cutAt = :cutAt, okRun = :zero, nextSlotAt = :next, expiresAt = :ttl',
            ConditionExpression: `${state.nextSlotAt === undefined ? 'attribute_not_exists(nextSlotAt)' : 'nextSlotAt = :knownNext'} AND ${state.rateNow === undefined ? 'attribute_not_exists(rateNow)' : 'rateNow = :knownRate'}`,
            ExpressionAttributeValues: {
              ':rate': write.rateNow,
              ':slow': write.slowMs,
              ':cutAt': write.cutAt,
              ':zero': 0,
              ':next': write.nextSlotAt,
              ':ttl': Math.floor(write.nextSlotAt / 1000) + ITEM_TTL_SECONDS,
              ...(state.nextSlotAt !== undefined ? { ':knownNext': state.nextSlotAt } : {}),
              ...(state.rateNow !== undefined ? { ':knownRate': state.rateNow } : {}),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { rateNow: write.rateNow };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        state = stateOf(failedItem<Record<string, unknown>>(error));
      }
    }
    // Heavy contention: others are cutting it right now; what they wrote stands.
    return { rateNow: Math.min(request.ceiling, state.rateNow ?? request.ceiling) };
  }

  /** The rate each host is allowed now (navigations per second), for the manifest: the ceiling unless cut. */
  async rates(hosts: readonly string[], ceiling: number): Promise<Record<string, number>> {
    const rates: Record<string, number> = {};
    for (const host of hosts) rates[host] = ceiling;
    if (hosts.length === 0) return rates;
    const byKey = new Map<string, string>(hosts.map((host) => [`${HOST_RATE_PREFIX}${hostKeyPart(host)}`, host]));
    const items = await batchGetAll(this.db, this.table, [...byKey.keys()].map((jobId) => ({ jobId })), { consistent: true, projection: { expression: 'jobId, rateNow' } });
    for (const item of items) {
      const host = byKey.get(String(item['jobId']));
      if (host !== undefined && typeof item['rateNow'] === 'number') rates[host] = Math.min(ceiling, item['rateNow']);
    }
    return rates;
  }

  /** After a grant on a cut host: one step back up when a run of grants passed with no throttle. */
  private async recover(key: string, state: HostPushbackState, ceiling: number): Promise<void> {
    if (!dueForRecovery(state, ceiling)) return;
    const rate = raisedRate(state.rateNow!, ceiling);
    const back = rate >= ceiling;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: key },
          // At the ceiling again: the host item is as if never throttled.
          UpdateExpression: back ? 'SET okRun = :zero REMOVE rateNow, slowMs' : 'SET rateNow = :rate, slowMs = :slow, okRun = :zero',
          ConditionExpression: 'rateNow = :known AND okRun >= :run',
          ExpressionAttributeValues: { ':zero': 0, ':known': state.rateNow, ':run': state.okRun, ...(back ? {} : { ':rate': rate, ':slow': slowMsFor(rate, ceiling) }) },
        }),
      );
    } catch (error) {
      // another grant or a throttle changed it first: theirs stands
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async readState(key: string): Promise<HostPushbackState> {
    const read = await this.db.send(new GetCommand({ TableName: this.table, Key: { jobId: key }, ConsistentRead: true, ProjectionExpression: 'nextSlotAt, rateNow, cutAt, okRun' }));
    return stateOf(read.Item);
  }

  private async reserveOn(key: string, intervalMs: number, maxSleepMs: number, notBefore: number, due: boolean, onHost?: OnHost): Promise<SlotDecision> {
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
          ? await this.setNext(key, decision.next, `(attribute_not_exists(nextSlotAt) OR nextSlotAt <= :at)${backlogFree}`, { ':at': decision.at }, onHost)
          : known.next === undefined
            ? await this.setNext(key, decision.next, 'attribute_not_exists(nextSlotAt)', {}, onHost)
            : await this.setNext(key, decision.next, 'nextSlotAt = :known', { ':known': known.next }, onHost);
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
type OnHost = { ceiling?: number };

function stateOf(item: Record<string, unknown> | undefined): HostPushbackState {
  return { rateNow: numberOrUndefined(item?.['rateNow']), cutAt: numberOrUndefined(item?.['cutAt']), okRun: numberOrUndefined(item?.['okRun']), nextSlotAt: numberOrUndefined(item?.['nextSlotAt']) };
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}
