// The per-host rate, shared by every job and crawler environment: one item per host in the jobs
// table (`jobId = host-rate#<host>`, no `status`, so the sweeper's scan passes over it) holding the
// host's next free navigation slot, and one per (job, host) when a job's `hostRate` is slower.
// Slots are reserved by compare-and-set: the write succeeds only if the stored instant is still the
// one the decision was made from, so two environments can never be granted the same slot.
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { decideSlot, type SlotDecision } from '../../core/host-rate.js';
import type { Clock, HostRateGate } from '../../core/ports.js';
import { failedItem, isConditionFailure } from './errors.js';

export const HOST_RATE_PREFIX = 'host-rate#';

/** compare-and-set rounds before a reserver gives up and waits like a URL whose slot is taken */
const MAX_ROUNDS = 8;
/** gate items outlive their last use by a day; a host not crawled since starts afresh */
const ITEM_TTL_SECONDS = 24 * 3600;

type NextWritten = { set: true } | { set: false; stored: number | undefined };

export class DynamoHostRateGate implements HostRateGate {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async reserve(request: { host: string; jobId: string; hostIntervalMs: number; jobIntervalMs?: number; maxSleepMs: number }): Promise<SlotDecision> {
    // The job's own pace first: a slot it then cannot use on the host is lost to this job only,
    // never to the other jobs sharing the host.
    const hostKey = `${HOST_RATE_PREFIX}${request.host}`;
    if (request.jobIntervalMs === undefined) return this.reserveOn(hostKey, request.hostIntervalMs, request.maxSleepMs, this.clock.now());
    const jobKey = `${HOST_RATE_PREFIX}${request.jobId}#${request.host}`;
    const mine = await this.reserveOn(jobKey, request.jobIntervalMs, request.maxSleepMs, this.clock.now());
    if (mine.kind === 'wait') return mine;
    // The host's slot is taken no earlier than the job's: the navigation starts at the host's slot.
    const host = await this.reserveOn(hostKey, request.hostIntervalMs, request.maxSleepMs, mine.at);
    if (host.kind === 'wait' || host.at <= mine.at) return host;
    // The host's slot came later than the job's (the host was busy, or the first write took long):
    // the job's next slot counts from when this navigation really starts, or the job's next one
    // could come less than its interval after it. Only if no one of this job reserved since; else
    // that slot may fall within the interval, and this one is given up.
    const pushed = await this.setNext(jobKey, host.at + request.jobIntervalMs, 'nextSlotAt = :known', { ':known': mine.next });
    return pushed.set ? host : { kind: 'wait', retryInMs: request.jobIntervalMs };
  }

  /**
   * Moves the key's next free slot to `next` if `condition` holds; when it does not, what is stored
   * now (undefined: no slot yet), for the caller to decide again from.
   */
  private async setNext(key: string, next: number, condition: string, values: Record<string, number>): Promise<NextWritten> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { jobId: key },
          UpdateExpression: 'SET nextSlotAt = :next, expiresAt = :ttl',
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':next': next, ':ttl': Math.floor(next / 1000) + ITEM_TTL_SECONDS, ...values },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { set: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const stored = failedItem<{ nextSlotAt?: number }>(error);
      return { set: false, stored: typeof stored?.nextSlotAt === 'number' ? stored.nextSlotAt : undefined };
    }
  }

  private async reserveOn(key: string, intervalMs: number, maxSleepMs: number, notBefore: number): Promise<SlotDecision> {
    // First round assumes the slot is free now (one write, the common case on a quiet host); a
    // refusal returns the stored instant, from which the next round decides.
    let known: number | undefined | 'unread' = 'unread';
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.clock.now();
      const decision = decideSlot(known === 'unread' ? undefined : known, now, intervalMs, maxSleepMs, notBefore);
      if (decision.kind === 'wait') return decision;
      const written: NextWritten =
        known === 'unread'
          ? await this.setNext(key, decision.next, 'attribute_not_exists(nextSlotAt) OR nextSlotAt <= :at', { ':at': decision.at })
          : known === undefined
            ? await this.setNext(key, decision.next, 'attribute_not_exists(nextSlotAt)', {})
            : await this.setNext(key, decision.next, 'nextSlotAt = :known', { ':known': known });
      if (written.set) return decision;
      // Someone reserved in between: decide again from what is stored now.
      known = written.stored;
    }
    // Heavy contention: behave as a URL whose slot is taken, and come back after an interval.
    return { kind: 'wait', retryInMs: intervalMs };
  }
}
