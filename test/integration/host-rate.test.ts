// The per-host gate against DynamoDB Local: concurrent reservers (as many crawler environments)
// never share a slot, granted slots are spaced by the interval, a job's slower rate holds for that
// job only, a slot too far ahead is not reserved, and a URL that must wait is given a turn in the
// host's backlog that it is served on when it comes back.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../local/provision.js';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoHostRateGate, HOST_RATE_PREFIX, hostKeyPart } from '../../functions/adapters/dynamodb/host-rate-gate.js';
import { TABLES } from '../../functions/adapters/dynamodb/table-definitions.js';
import { SLOT_LEAD_MS, type SlotDecision } from '../../functions/core/host-rate.js';
import { startDynamoDb } from '../../local/emulators/dynamodb.js';

let emulator: Awaited<ReturnType<typeof startDynamoDb>>;
let db: DynamoDBDocumentClient;
// A frozen clock: every reserver decides at the same instant, the worst case for double booking.
let now = 5_000_000;
const clock = { now: () => now };

beforeAll(async () => {
  emulator = await startDynamoDb({ port: 0 });
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await createTable(raw, 'jobs', TABLES.jobs);
  db = DynamoDBDocumentClient.from(raw);
}, 120_000);

afterAll(async () => {
  await emulator?.stop();
});

const grants = (decisions: SlotDecision[]) => decisions.flatMap((d) => (d.kind === 'grant' ? [d.at] : [])).sort((a, b) => a - b);

describe('host-rate gate on DynamoDB', () => {
  it('30 concurrent reservers (separate gates, as separate environments) never get the same slot', async () => {
    const gates = Array.from({ length: 30 }, () => new DynamoHostRateGate(db, 'jobs', clock));
    const decisions = await Promise.all(
      gates.map((gate, i) => gate.reserve({ host: 'a.test', jobId: `job-${i % 3}`, hostIntervalMs: 100, maxSleepMs: 1000 })),
    );
    const granted = grants(decisions);
    // Slots at now+lead, +100, … up to now+1000: those fit within the sleep bound.
    const fit = Math.floor((1000 - SLOT_LEAD_MS) / 100) + 1;
    expect(new Set(granted).size).toBe(granted.length);
    for (let i = 1; i < granted.length; i++) expect(granted[i]! - granted[i - 1]!).toBeGreaterThanOrEqual(100);
    expect(granted[0]).toBe(now + SLOT_LEAD_MS);
    expect(granted.at(-1)!).toBeLessThanOrEqual(now + 1000);
    // Contention may leave some reservers waiting before every slot is taken, never more granted than fit.
    expect(granted.length).toBeLessThanOrEqual(fit);
    expect(granted.length).toBeGreaterThan(1);
    for (const d of decisions) if (d.kind === 'wait') expect(d.retryInMs).toBeGreaterThan(0);
    const item = await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: `${HOST_RATE_PREFIX}a.test` }, ConsistentRead: true }));
    expect(item.Item?.nextSlotAt).toBe(granted.at(-1)! + 100);
    expect(item.Item?.status).toBeUndefined();
  }, 60_000);

  // A page decides its links' host names: a 2,000-character one (in scope of a `domain` job) must
  // not make the gate's key exceed DynamoDB's 2,048-byte partition key and fail the page.
  it('gates a host name longer than DNS allows under a bounded key, its own and per job', async () => {
    // As long as a host of a 2,048-character URL can be (`http://` + host + `/`).
    const labels = `${'a'.repeat(60)}.`.repeat(33);
    const host = `${labels}${'b'.repeat(2040 - labels.length - '.example.com'.length)}.example.com`;
    expect(host.length).toBe(2040);
    const gate = new DynamoHostRateGate(db, 'jobs', clock);
    expect(await gate.reserve({ host, jobId: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b', hostIntervalMs: 100, maxSleepMs: 500 })).toMatchObject({ kind: 'grant' });
    expect(await gate.reserve({ host, jobId: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b', hostIntervalMs: 100, jobIntervalMs: 1000, maxSleepMs: 2000 })).toMatchObject({ kind: 'grant' });
    expect(await gate.reserveTurns({ host, jobId: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b', hostIntervalMs: 100, count: 2 })).toHaveLength(2);
    expect(hostKeyPart(host)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(hostKeyPart('a.test')).toBe('a.test');
    const item = await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: `${HOST_RATE_PREFIX}${hostKeyPart(host)}` }, ConsistentRead: true }));
    expect(item.Item?.nextSlotAt).toBeGreaterThan(now);
  }, 60_000);

  it('a slot beyond the sleep bound is not reserved, the URL takes a turn; on its turn it is granted', async () => {
    const gate = new DynamoHostRateGate(db, 'jobs', clock);
    const first = await gate.reserve({ host: 'b.test', jobId: 'j', hostIntervalMs: 2000, maxSleepMs: 500 });
    const start = now;
    expect(first).toMatchObject({ kind: 'grant', at: start + SLOT_LEAD_MS });
    const second = await gate.reserve({ host: 'b.test', jobId: 'j', hostIntervalMs: 2000, maxSleepMs: 500 });
    expect(second).toEqual({ kind: 'wait', retryInMs: 2000 + SLOT_LEAD_MS, ticketAt: start + SLOT_LEAD_MS + 2000 });
    const stored = await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: `${HOST_RATE_PREFIX}b.test` }, ConsistentRead: true }));
    expect(stored.Item?.nextSlotAt).toBe(start + SLOT_LEAD_MS + 2000);
    expect(stored.Item?.backlogUntil).toBe(start + SLOT_LEAD_MS + 4000);
    now += 1800;
    // A URL that did not wait finds the turn given out: it waits for the next one.
    expect(await gate.reserve({ host: 'b.test', jobId: 'j', hostIntervalMs: 2000, maxSleepMs: 500 })).toEqual({
      kind: 'wait',
      retryInMs: start + SLOT_LEAD_MS + 4000 - now,
      ticketAt: start + SLOT_LEAD_MS + 4000,
    });
    // The one that waited comes back on its turn and is granted it.
    expect(await gate.reserve({ host: 'b.test', jobId: 'j', hostIntervalMs: 2000, maxSleepMs: 500, ticketAt: start + SLOT_LEAD_MS + 2000 })).toEqual({
      kind: 'grant',
      at: start + SLOT_LEAD_MS + 2000,
      next: start + SLOT_LEAD_MS + 4000,
    });
  });

  it('URLs that find the host busy take turns one interval apart, and come back in that order without waiting again', async () => {
    const gate = new DynamoHostRateGate(db, 'jobs', clock);
    const ask = (ticketAt?: number) => gate.reserve({ host: 'turns.test', jobId: 'j', hostIntervalMs: 1000, maxSleepMs: 500, ...(ticketAt !== undefined ? { ticketAt } : {}) });
    const start = now;
    const decisions = await Promise.all(Array.from({ length: 6 }, () => ask()));
    const granted = grants(decisions);
    expect(granted).toEqual([start + SLOT_LEAD_MS]);
    const turns = decisions.flatMap((d) => (d.kind === 'wait' && d.ticketAt !== undefined ? [d.ticketAt] : [])).sort((a, b) => a - b);
    // Five distinct turns, one interval apart, right after the granted slot (contention may leave
    // a reserver without a turn, never two on one).
    expect(new Set(turns).size).toBe(turns.length);
    expect(turns.length).toBeGreaterThanOrEqual(3);
    turns.forEach((turn, i) => expect(turn).toBe(start + SLOT_LEAD_MS + 1000 * (i + 1)));
    // Each comes back on its turn (a little late, as SQS delivers), in turn order: each is granted.
    for (const turn of turns) {
      now = turn + 300;
      const back = await ask(turn);
      expect(back.kind).toBe('grant');
      expect((back as { at: number }).at - now).toBeLessThanOrEqual(500 + 2000);
    }
    // A turn long past (the URL came back very late) is lost: that URL queues like any other.
    now += 120_000;
    expect((await ask(start)).kind).toBe('grant');
    const late = await ask(start);
    expect(late).toMatchObject({ kind: 'wait' });
  });

  it('a late navigation keeps its place: its own slot moves to now while no one reserved after it, else it asks again (retry-backoff.test.ts saw 14 waits for 6 URLs on a busy machine)', async () => {
    const gate = new DynamoHostRateGate(db, 'jobs', clock);
    const ask = { host: 'slide.test', jobId: 'j', hostIntervalMs: 4000, maxSleepMs: 1000 };
    const first = (await gate.reserve(ask)) as Extract<SlotDecision, { kind: 'grant' }>;
    expect(first.kind).toBe('grant');
    // Its tab opened 600 ms late. Asked again, the next free slot is 3.4 s on: beyond any sleep
    // bound, it would wait in the queue once more and its slot would stay idle.
    now = first.at + 600;
    expect(await gate.slide({ ...ask, slotAt: first.at, to: now + SLOT_LEAD_MS })).toBe(true);
    // The next reserver is an interval after the moved slot: the spacing holds.
    const next = await gate.reserve({ ...ask, maxSleepMs: 5000 });
    expect(next).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS + 4000 });
    // Someone reserved after it: the slot is not moved (it would fall within their interval).
    now = (next as { at: number }).at + 600;
    const third = await gate.reserve({ ...ask, maxSleepMs: 5000 });
    expect(third.kind).toBe('grant');
    expect(await gate.slide({ ...ask, slotAt: (next as { at: number }).at, to: now + SLOT_LEAD_MS })).toBe(false);

    // With the job's own interval, both its key and the host's move, or neither is relied on.
    const slow = { host: 'slide-job.test', jobId: 'slow', hostIntervalMs: 500, jobIntervalMs: 4000, maxSleepMs: 1000 };
    const own = (await gate.reserve(slow)) as Extract<SlotDecision, { kind: 'grant' }>;
    now = own.at + 300;
    expect(await gate.slide({ ...slow, slotAt: own.at, to: now + SLOT_LEAD_MS })).toBe(true);
    expect(await gate.reserve({ host: 'slide-job.test', jobId: 'other', hostIntervalMs: 500, maxSleepMs: 10_000 })).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS + 500 });
    expect(await gate.reserve({ ...slow, maxSleepMs: 10_000 })).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS + 4000 });
  });

  it("a job's slower rate spaces that job only; another job keeps the host's pace", async () => {
    const gate = new DynamoHostRateGate(db, 'jobs', clock);
    const slow = { host: 'c.test', jobId: 'slow', hostIntervalMs: 100, jobIntervalMs: 1000, maxSleepMs: 500 };
    expect(await gate.reserve(slow)).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS });
    expect(await gate.reserve(slow)).toEqual({ kind: 'wait', retryInMs: 1000 + SLOT_LEAD_MS, ticketAt: now + SLOT_LEAD_MS + 1000 });
    const fast = await gate.reserve({ host: 'c.test', jobId: 'fast', hostIntervalMs: 100, maxSleepMs: 500 });
    expect(fast).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS + 100 });
  });

  it("a job's next slot counts from its navigation's host slot when the host's came later (a fresh-clone politeness run saw slots 843 ms apart at 1/s)", async () => {
    const gate = new DynamoHostRateGate(db, 'jobs', clock);
    // Another job keeps the host busy: its slot is 300 ms after the slow job's own slot would be.
    const busy = await gate.reserve({ host: 'busy.test', jobId: 'busy', hostIntervalMs: 300, maxSleepMs: 2000 });
    expect(busy).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS });
    const slow = { host: 'busy.test', jobId: 'slow', hostIntervalMs: 300, jobIntervalMs: 1000, maxSleepMs: 2000 };
    const first = await gate.reserve(slow);
    expect(first).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS + 300 });
    const second = await gate.reserve(slow);
    expect(second.kind).toBe('grant');
    // Before the fix the job's next slot counted from its own slot (now + 150), so this came 700 ms
    // after the first navigation.
    expect((second as { at: number }).at - (first as { at: number }).at).toBeGreaterThanOrEqual(1000);
  });

  it("a page's children take consecutive turns at once, in one write; concurrent parents never share a turn", async () => {
    const gates = Array.from({ length: 6 }, () => new DynamoHostRateGate(db, 'jobs', clock));
    const interval = 500;
    // The parent's own slot: the host's next free slot is one interval past it.
    expect(await gates[0]!.reserve({ host: 'p.test', jobId: 'j', hostIntervalMs: interval, maxSleepMs: 1000 })).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS });
    const reserved = await Promise.all(gates.map((gate) => gate.reserveTurns({ host: 'p.test', jobId: 'j', hostIntervalMs: interval, count: 4 })));
    const all = reserved.flat().sort((a, b) => a - b);
    expect(all).toHaveLength(24);
    // 24 distinct turns, one interval apart, from the host's next free slot on: no gaps, no overlap.
    all.forEach((turn, i) => expect(turn).toBe(now + SLOT_LEAD_MS + interval * (i + 1)));
    for (const turns of reserved) turns.slice(1).forEach((turn, i) => expect(turn - turns[i]!).toBe(interval));
    const item = await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: `${HOST_RATE_PREFIX}p.test` } }));
    expect(item.Item?.backlogUntil).toBe(now + SLOT_LEAD_MS + interval * 25);
    // A URL that did not wait queues behind them; each child, coming back on its turn, is served then.
    expect(await gates[0]!.reserve({ host: 'p.test', jobId: 'j', hostIntervalMs: interval, maxSleepMs: 1000 })).toMatchObject({ kind: 'wait', ticketAt: now + SLOT_LEAD_MS + interval * 25 });
    const first = all[0]!;
    now = first - 400;
    expect(await gates[1]!.reserve({ host: 'p.test', jobId: 'j', hostIntervalMs: interval, maxSleepMs: 1000, ticketAt: first })).toEqual({ kind: 'grant', at: first, next: first + interval });
  });

  it("a job with its own slower rate takes its children's turns at its own interval, on its own item", async () => {
    const gate = new DynamoHostRateGate(db, 'jobs', clock);
    const turns = await gate.reserveTurns({ host: 'q.test', jobId: 'slow', hostIntervalMs: 100, jobIntervalMs: 2000, count: 3 });
    expect(turns).toEqual([now + SLOT_LEAD_MS, now + SLOT_LEAD_MS + 2000, now + SLOT_LEAD_MS + 4000]);
    const own = await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: `${HOST_RATE_PREFIX}slow#q.test` } }));
    expect(own.Item?.backlogUntil).toBe(now + SLOT_LEAD_MS + 6000);
    // The host's own backlog is left to the other jobs.
    const host = await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: `${HOST_RATE_PREFIX}q.test` } }));
    expect(host.Item?.backlogUntil).toBeUndefined();
  });

  it('hosts are independent', async () => {
    const gate = new DynamoHostRateGate(db, 'jobs', clock);
    const bound = { hostIntervalMs: 5000, maxSleepMs: SLOT_LEAD_MS };
    expect(await gate.reserve({ host: 'd.test', jobId: 'j', ...bound })).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS });
    expect(await gate.reserve({ host: 'e.test', jobId: 'j', ...bound })).toMatchObject({ kind: 'grant', at: now + SLOT_LEAD_MS });
    expect(await gate.reserve({ host: 'd.test', jobId: 'j', ...bound })).toMatchObject({ kind: 'wait' });
  });
});
