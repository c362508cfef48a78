// The job store against DynamoDB Local: the conditional writes and transactions that make a job's
// connection slot, its single ending, its reads, the result cache and redrive work. The frontier's
// (leases, dedupe, links refused at the cap) are in frontier-admission.test.ts.
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { finalStatusOf, redrivableCount, type FrontierRecord, type JobRecord } from '../../functions/core/job.js';
import type { RedriveRun } from '../../functions/core/ports.js';
import { recordDynamoCalls, type RecordedCall } from './fixtures-counter-shards/dynamo-calls.js';
import { admit, child, connections, db, frontier, jobFor, jobId, jobs, seed, setNow, useDynamoStores } from './fixtures-dynamodb-stores/stores.js';

useDynamoStores();

describe('jobs per connection', () => {
  it('refuses a job over the limit without writing anything, and frees a slot when a job ends', async () => {
    const make = (n: number) => jobs.createJob(jobFor(`limit-${n}`, 'conn-limit'), { ...seed(), jobId: `limit-${n}` }, 2);
    expect(await make(1)).toBe('created');
    expect(await make(2)).toBe('created');
    expect(await make(3)).toBe('too-many-jobs');
    expect(await jobs.getJob('limit-3')).toBeNull();
    expect(await frontier.list('limit-3')).toEqual([]);
    await jobs.beginFinish('limit-1', 'cancelled', 5, { reason: 'job cancelled' });
    expect(await jobs.completeFinish(jobFor('limit-1', 'conn-limit'), 'cancelled', 'm')).toBe(true);
    expect(await jobs.completeFinish(jobFor('limit-1', 'conn-limit'), 'cancelled', 'm')).toBe(false);
    expect(await make(4)).toBe('created');
    expect(await make(5)).toBe('too-many-jobs');
  });
});

describe('making a job final', () => {
  it('writes the result-cache entry of a success in the same transaction, and none for other outcomes', async () => {
    const ok = { ...jobFor('final-ok', 'conn-final'), cacheKey: 'key-ok', finishedAt: 50 };
    await jobs.createJob(ok, { ...seed(), jobId: 'final-ok' }, 5);
    expect(await jobs.beginFinish('final-ok', 'succeeded', 50, { reason: 'test' })).toBe(true);
    expect(await jobs.completeFinish(ok, 'succeeded', 'jobs/final-ok/manifest.json')).toBe(true);
    expect(await jobs.getCacheEntry('key-ok')).toEqual({ cacheKey: 'key-ok', jobId: 'final-ok', finishedAt: 50, expiresAt: 9 });
    expect(await jobs.getJob('final-ok')).toMatchObject({ status: 'succeeded', manifestKey: 'jobs/final-ok/manifest.json' });
    expect((await jobs.getJob('final-ok'))?.slotPending).toBeUndefined();

    const cancelled = { ...jobFor('final-cancel', 'conn-final'), cacheKey: 'key-cancel', finishedAt: 60 };
    await jobs.createJob(cancelled, { ...seed(), jobId: 'final-cancel' }, 5);
    await jobs.beginFinish('final-cancel', 'cancelled', 60, { reason: 'job cancelled' });
    expect(await jobs.completeFinish(cancelled, 'cancelled', 'm')).toBe(true);
    expect(await jobs.getCacheEntry('key-cancel')).toBeNull();
  });

  it('frees the slot of a job whose finisher died after making it final, once', async () => {
    const make = (n: number) => jobs.createJob(jobFor(`crash-${n}`, 'conn-crash'), { ...seed(), jobId: `crash-${n}` }, 1);
    expect(await make(1)).toBe('created');
    expect(await make(2)).toBe('too-many-jobs');
    // the state a finisher leaves when it dies between its two transactions
    await db.send(new UpdateCommand({ TableName: 'jobs', Key: { jobId: 'crash-1' }, UpdateExpression: 'SET #s = :f, slotPending = :t', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':f': 'succeeded', ':t': true } }));
    expect(await make(3)).toBe('too-many-jobs');
    const crashed = (await jobs.getJob('crash-1'))!;
    await jobs.releaseSlot(crashed);
    await jobs.releaseSlot(crashed);
    expect((await jobs.getJob('crash-1'))?.slotPending).toBeUndefined();
    expect(await make(4)).toBe('created');
    expect(await make(5)).toBe('too-many-jobs');
  });

  it('clears the note when the connection is already gone', async () => {
    expect(await jobs.createJob(jobFor('gone-1', 'conn-gone'), { ...seed(), jobId: 'gone-1' }, 1)).toBe('created');
    await db.send(new UpdateCommand({ TableName: 'jobs', Key: { jobId: 'gone-1' }, UpdateExpression: 'SET #s = :f, slotPending = :t', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':f': 'partial', ':t': true } }));
    await db.send(new DeleteCommand({ TableName: 'connections', Key: { connectionId: 'conn-gone' } }));
    await jobs.releaseSlot((await jobs.getJob('gone-1'))!);
    expect((await jobs.getJob('gone-1'))?.slotPending).toBeUndefined();
  });
});

describe('a job ends once', () => {
  it('begins finishing only when every admitted URL is settled, and only once', async () => {
    await admit(child('a', 'seed'), 100);
    await frontier.claim(jobId, 'seed', 'w', 100);
    await frontier.settle(jobId, 'seed', 'w', { kind: 'done', summary: { url: 'http://s/' } as never });
    expect(await jobs.beginFinish(jobId, 'succeeded', 5)).toBe(false);
    await frontier.claim(jobId, 'a', 'w', 100);
    await frontier.settle(jobId, 'a', 'w', { kind: 'done', summary: { url: 'http://s/a' } as never });
    const racers = await Promise.all(Array.from({ length: 10 }, () => jobs.beginFinish(jobId, 'succeeded', 5)));
    expect(racers.filter(Boolean)).toHaveLength(1);
    const notifications = await Promise.all(Array.from({ length: 10 }, () => jobs.claimNotification(jobId, 6)));
    expect(notifications.filter(Boolean)).toHaveLength(1);
    expect(await jobs.completeFinish(jobFor(jobId, `c-${jobId}`), 'succeeded', 'jobs/x/manifest.json')).toBe(true);
    expect(await jobs.getJob(jobId)).toMatchObject({ status: 'succeeded', finalStatus: 'succeeded', manifestKey: 'jobs/x/manifest.json', done: 2 });
    expect((await frontier.list(jobId)).map((r) => r.state).sort()).toEqual(['done', 'done']);
  });

  it('throttles progress to one per interval, and returns the job either way', async () => {
    expect(await jobs.readAfterSettle(jobId, 100, 50)).toMatchObject({ progressDue: true, job: { jobId, admitted: 1, lastProgressAt: 100 } });
    expect(await jobs.readAfterSettle(jobId, 120, 50)).toMatchObject({ progressDue: false, job: { jobId, admitted: 1, lastProgressAt: 100 } });
    expect(await jobs.readAfterSettle(jobId, 151, 50)).toMatchObject({ progressDue: true, job: { lastProgressAt: 151 } });
    expect(await jobs.readAfterSettle('no-such-job', 151, 50)).toEqual({ job: null, progressDue: false });
    expect(await jobs.beginFinish(jobId, 'cancelled', 200, { reason: 'job cancelled' })).toBe(true);
    expect(await jobs.readAfterSettle(jobId, 300, 50)).toMatchObject({ progressDue: false, job: { status: 'finishing' } });
  });
});

describe("a batch's reads of its job", () => {
  let calls: RecordedCall[] = [];
  beforeAll(() => {
    calls = recordDynamoCalls(db);
  });

  /** GetItem requests the stores send while `run` runs */
  async function getItemsDuring(run: () => Promise<unknown>): Promise<number> {
    const before = calls.length;
    await run();
    return calls.slice(before).filter((call) => call.kind === 'GetItem').length;
  }

  it('share one read when they overlap, each caller with its own copy', async () => {
    let answers: (JobRecord | null)[] = [];
    expect(await getItemsDuring(async () => (answers = await Promise.all(Array.from({ length: 6 }, () => jobs.getJobSettings(jobId)))))).toBe(1);
    expect(answers.every((a) => a?.jobId === jobId && a.status === 'running')).toBe(true);
    expect(new Set(answers).size).toBe(6);
    // one after another: each reads, and sees what changed in between
    await jobs.beginFinish(jobId, 'cancelled', 200, { reason: 'job cancelled' });
    expect(await getItemsDuring(async () => expect(await jobs.getJobSettings(jobId)).toMatchObject({ status: 'finishing' }))).toBe(1);
    expect(await getItemsDuring(() => jobs.getJobSettings(jobId))).toBe(1);
    expect(await jobs.getJobSettings('no-such-job')).toBeNull();
  });

  it('never share a read that decides the end of a job', async () => {
    // getJob reads for itself even while a settings read of the job is in flight
    expect(await getItemsDuring(() => Promise.all([jobs.getJobSettings(jobId), jobs.getJob(jobId), jobs.getJob(jobId)]))).toBe(3);
  });
});

describe('a job created after its connection left', () => {
  it('recreates the connection item with an expiry, and keeps the expiry of a live one', async () => {
    const get = async (connectionId: string) => (await db.send(new GetCommand({ TableName: 'connections', Key: { connectionId } }))).Item;
    // $disconnect deleted the item before the crawl route ran: the slot it takes must not live forever.
    setNow(5_000_000);
    expect(await jobs.createJob(jobFor('after-disconnect', 'conn-left'), { ...seed(), jobId: 'after-disconnect' }, 5)).toBe('created');
    expect(await get('conn-left')).toEqual({ connectionId: 'conn-left', activeJobs: 1, expiresAt: 5_000 + 24 * 3600 });

    await connections.open('conn-live', 1_000_000);
    setNow(9_000_000);
    expect(await jobs.createJob(jobFor('on-live', 'conn-live'), { ...seed(), jobId: 'on-live' }, 5)).toBe('created');
    expect(await get('conn-live')).toMatchObject({ activeJobs: 1, expiresAt: 1_000 + 24 * 3600 });
  });
});

describe('the result cache and record expiry', () => {
  it('stops answering once the entry (and so the manifest S3 keeps for it) has expired', async () => {
    const job = { ...jobFor('cache-expiry', 'conn-cache'), cacheKey: 'key-expiry', finishedAt: 50, expiresAt: 100 };
    await jobs.createJob(job, { ...seed(), jobId: 'cache-expiry' }, 5);
    await jobs.beginFinish('cache-expiry', 'succeeded', 50, { reason: 'test' });
    expect(await jobs.completeFinish(job, 'succeeded', 'jobs/cache-expiry/manifest.json')).toBe(true);
    setNow(99_999);
    expect(await jobs.getCacheEntry('key-expiry')).toMatchObject({ jobId: 'cache-expiry', expiresAt: 100 });
    // Still in the table (DynamoDB's TTL deletes late), but past expiresAt: no answer.
    setNow(100_000);
    expect(await jobs.getCacheEntry('key-expiry')).toBeNull();
  });
});


describe('redrive restarts a finished job once', () => {
  /** a job whose seed is done and whose `failedKeys` children failed, ended and notified */
  async function finishedWithFailures(failedKeys: string[], refusedByRobots: string[] = []): Promise<JobRecord> {
    await frontier.admitAll(failedKeys.map((key) => child(key, 'seed')), 1000);
    await frontier.claim(jobId, 'seed', 'w', 100);
    await frontier.settle(jobId, 'seed', 'w', { kind: 'done', summary: { url: 'http://s/' } as never });
    for (const key of failedKeys) {
      await frontier.claim(jobId, key, 'w', 100);
      const failure = refusedByRobots.includes(key)
        ? { url: `http://s/${key}`, error: 'disallowed by robots.txt', kind: 'robots' as const }
        : { url: `http://s/${key}`, error: 'net::ERR_CONNECTION_RESET' };
      await frontier.settle(jobId, key, 'w', { kind: 'failed', failure });
    }
    expect(await jobs.beginFinish(jobId, 'partial', 7)).toBe(true);
    expect(await jobs.completeFinish((await jobs.getJob(jobId))!, 'partial', 'jobs/x/manifest.json')).toBe(true);
    expect(await jobs.claimNotification(jobId, 8)).toBe(true);
    return (await jobs.getJob(jobId))!;
  }
  const run = (connectionId: string) => ({ connectionId, requestId: `r-${connectionId}`, now: 10, deadlineAt: 1e12 });
  /** The route's open, then the finisher function's requeue and the end of the mark (app/redrive-run.ts). */
  async function redrive(job: JobRecord, failed: FrontierRecord[], at: RedriveRun) {
    const outcome = await jobs.openRedrive(job, at, 5);
    if (outcome !== 'started') return outcome;
    const number = (job.redrives ?? 0) + 1;
    expect(await jobs.requeueFailed(job.jobId, number, failed)).toBe(true);
    await jobs.endRedrive(job.jobId, number);
    return outcome;
  }

  it('lets one of two at once start, resets the failed items and takes their count back', async () => {
    const job = await finishedWithFailures(['a', 'b']);
    const failed = (await frontier.list(jobId)).filter((r) => r.state === 'failed');
    const outcomes = await Promise.all([redrive(job, failed, run('c1')), redrive(job, failed, run('c2'))]);
    expect(outcomes.sort()).toEqual(['refused', 'started']);
    const restarted = (await jobs.getJob(jobId))!;
    expect(restarted).toMatchObject({ status: 'running', admitted: 3, settled: 1, done: 1, failed: 0, redrives: 1, lastActivityAt: 10 });
    expect(['c1', 'c2']).toContain(restarted.connectionId);
    expect(restarted.requestId).toBe(`r-${restarted.connectionId}`);
    for (const gone of ['notifiedAt', 'finishedAt', 'finalStatus', 'slotPending'] as const) expect(restarted[gone]).toBeUndefined();
    const items = await frontier.list(jobId);
    expect(items.filter((r) => r.urlKey !== 'seed').map((r) => [r.urlKey, r.state, r.attempts, r.failure])).toEqual([
      ['a', 'queued', 0, undefined],
      ['b', 'queued', 0, undefined],
    ]);
    // The run ends, and tells its client, once more.
    for (const key of ['a', 'b']) {
      await frontier.claim(jobId, key, 'w2', 100);
      await frontier.settle(jobId, key, 'w2', { kind: 'done', summary: { url: `http://s/${key}` } as never });
    }
    expect(await jobs.beginFinish(jobId, 'succeeded', 20)).toBe(true);
    expect(await jobs.completeFinish((await jobs.getJob(jobId))!, 'succeeded', 'jobs/x/manifest.json')).toBe(true);
    const claims = await Promise.all(Array.from({ length: 5 }, () => jobs.claimNotification(jobId, 21)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await jobs.getJob(jobId)).toMatchObject({ status: 'succeeded', done: 3, failed: 0, settled: 3, admitted: 3 });
  });

  it('refuses a job whose last ending is not complete, or read before it changed', async () => {
    const job = await finishedWithFailures(['a']);
    const failed = (await frontier.list(jobId)).filter((r) => r.state === 'failed');
    // read at an earlier ending: each ending claims a new notifiedAt
    expect(await redrive({ ...job, notifiedAt: job.notifiedAt! - 1 }, failed, run('c1'))).toBe('refused');
    await db.send(new UpdateCommand({ TableName: 'jobs', Key: { jobId }, UpdateExpression: 'REMOVE notifiedAt' }));
    expect(await redrive(job, failed, run('c1'))).toBe('refused');
    expect(await jobs.getJob(jobId)).toMatchObject({ status: 'partial', failed: 1 });
  });

  it('holds the job open while its URLs are put back, and puts back nothing once cancelled or ended', async () => {
    const job = await finishedWithFailures(['a', 'b']);
    const failed = (await frontier.list(jobId)).filter((r) => r.state === 'failed');
    expect(await jobs.openRedrive(job, run('c-hold'), 5)).toBe('started');
    // Opened, nothing taken back yet: settled = admitted, but the mark keeps it from ending.
    expect(await jobs.getJob(jobId)).toMatchObject({ status: 'running', redriving: 1, admitted: 3, settled: 3 });
    expect(await jobs.beginFinishIfSettled(jobId, finalStatusOf, 11)).toBe(false);
    expect(await jobs.requeueFailed(jobId, 1, failed.slice(0, 1))).toBe(true);
    expect(await jobs.getJob(jobId)).toMatchObject({ settled: 2, failed: 1 });
    // A repeat of an item already put back: its transaction fails, nothing counted twice.
    await expect(jobs.requeueFailed(jobId, 1, failed.slice(0, 1))).rejects.toThrow();
    expect(await jobs.getJob(jobId)).toMatchObject({ settled: 2, failed: 1 });
    // Another run's number, or the mark gone: refused, nothing changed.
    expect(await jobs.requeueFailed(jobId, 2, failed.slice(1))).toBe(false);
    await jobs.endRedrive(jobId, 1);
    expect(await jobs.requeueFailed(jobId, 1, failed.slice(1))).toBe(false);
    expect((await jobs.getJob(jobId))!.redriving).toBeUndefined();
    expect((await frontier.list(jobId)).map((r) => [r.urlKey, r.state])).toEqual([
      ['a', 'queued'],
      ['b', 'failed'],
      ['seed', 'done'],
    ]);
  });

  it('counts robots.txt refusals apart from other failures', async () => {
    const job = await finishedWithFailures(['a', 'b'], ['b']);
    expect(job).toMatchObject({ failed: 2, robotsRefused: 1 });
    expect(redrivableCount(job)).toBe(1);
  });

  it('resets more failed items than one transaction holds', async () => {
    const keys = Array.from({ length: 130 }, (_, i) => `f${i}`);
    const job = await finishedWithFailures(keys);
    const failed = (await frontier.list(jobId)).filter((r) => r.state === 'failed');
    expect(await redrive(job, failed, run('c-many'))).toBe('started');
    expect(await jobs.getJob(jobId)).toMatchObject({ status: 'running', admitted: 131, settled: 1, failed: 0 });
    expect((await frontier.list(jobId)).filter((r) => r.state === 'queued')).toHaveLength(130);
  }, 120_000);
});
