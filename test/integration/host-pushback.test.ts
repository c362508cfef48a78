// The host's shared rate when it pushes back, on DynamoDB Local (adapters/dynamodb/host-rate-gate.ts
// over core/host-pushback.ts): a throttle reported by one environment cuts the rate and closes the
// host for every reserver, the next grants are spaced by the cut rate, a run of grants raises it
// back step by step to the ceiling (where the item is as if never throttled), and the rates are read
// back for the manifest.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoHostRateGate, HOST_RATE_PREFIX } from '../../functions/adapters/dynamodb/host-rate-gate.js';
import { TABLES } from '../../functions/adapters/dynamodb/table-definitions.js';
import { hostIntervalMs, SLOT_LEAD_MS } from '../../functions/core/host-rate.js';
import { RECOVERY_RUN } from '../../functions/core/host-pushback.js';
import { createTable } from '../../local/provision.js';
import { startDynamoDb } from '../../local/emulators/dynamodb.js';

let emulator: Awaited<ReturnType<typeof startDynamoDb>>;
let db: DynamoDBDocumentClient;
let now = 9_000_000;
const clock = { now: () => now };
const CEILING = 2;
const INTERVAL = hostIntervalMs(CEILING);

beforeAll(async () => {
  emulator = await startDynamoDb({ port: 0 });
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await createTable(raw, 'jobs', TABLES.jobs);
  db = DynamoDBDocumentClient.from(raw);
}, 120_000);

afterAll(async () => {
  await emulator?.stop();
});

const ask = (gate: DynamoHostRateGate, host: string, jobId = 'job-a') =>
  gate.reserve({ host, jobId, hostIntervalMs: INTERVAL, maxSleepMs: 1_000, ceiling: CEILING });

describe('host pushback on the shared gate', () => {
  it('a throttle in one environment closes the host until its Retry-After for another, and spaces grants by the cut rate', async () => {
    const host = 'throttled.example:80';
    const mine = new DynamoHostRateGate(db, 'jobs', clock);
    const other = new DynamoHostRateGate(db, 'jobs', clock);
    expect((await ask(mine, host)).kind).toBe('grant');
    const cut = await mine.pushback({ host, ceiling: CEILING, closeUntil: now + 5_000 });
    expect(cut.rateNow).toBe(1);
    // another job, another environment: nothing before the Retry-After
    const refused = await ask(other, host, 'job-b');
    expect(refused.kind).toBe('wait');
    expect(refused.kind === 'wait' && refused.retryInMs).toBeGreaterThanOrEqual(5_000);
    // after it, grants come at the cut rate: the interval plus what the cut adds (500 ms at 1/s of 2/s)
    now += 5_000;
    const first = await ask(other, host, 'job-b');
    expect(first).toMatchObject({ kind: 'grant' });
    const item = (await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: `${HOST_RATE_PREFIX}${host}` } }))).Item!;
    expect(item['nextSlotAt']).toBe((first as { at: number }).at + INTERVAL + 500);
    expect(await mine.rates([host, 'never.example:80'], CEILING)).toEqual({ [host]: 1, 'never.example:80': CEILING });
  });

  it('throttles of the same moment cut once; a run of grants raises the rate back to the ceiling, step by step', async () => {
    const host = 'recovering.example:80';
    const gate = new DynamoHostRateGate(db, 'jobs', clock);
    const cuts = await Promise.all(Array.from({ length: 5 }, () => new DynamoHostRateGate(db, 'jobs', clock).pushback({ host, ceiling: CEILING })));
    expect(new Set(cuts.map((c) => c.rateNow))).toEqual(new Set([1]));
    const seen: number[] = [];
    for (let i = 0; i < 12 * RECOVERY_RUN; i++) {
      now += 30_000; // each ask finds the host free: a grant every time
      expect((await ask(gate, host)).kind).toBe('grant');
      const rate = (await gate.rates([host], CEILING))[host]!;
      if (seen.at(-1) !== rate) seen.push(rate);
    }
    // 1 → 1.2 → … → 2 in steps of a tenth of the ceiling, each after RECOVERY_RUN grants
    expect(seen.map((r) => Math.round(r * 10) / 10)).toEqual([1, 1.2, 1.4, 1.6, 1.8, 2]);
    const item = (await db.send(new GetCommand({ TableName: 'jobs', Key: { jobId: `${HOST_RATE_PREFIX}${host}` } }))).Item!;
    expect(item['rateNow']).toBeUndefined();
    expect(item['slowMs']).toBeUndefined();
    // back at the ceiling, grants are one interval apart again
    now += 30_000;
    const a = await ask(gate, host);
    const b = await ask(gate, host);
    expect([a, b]).toMatchObject([{ kind: 'grant' }, { kind: 'grant' }]);
    expect((b as { at: number }).at - (a as { at: number }).at).toBe(INTERVAL);
    expect(SLOT_LEAD_MS).toBeGreaterThan(0);
  });
});
