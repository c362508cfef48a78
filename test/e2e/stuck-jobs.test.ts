// Jobs that cannot finish by themselves still end: pages lost to the DLQ, a time limit, a cancel.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoSite, type DemoSite } from '../../local/demo-site.js';
import type { LocalStack } from '../../local/stack.js';
import { connectClient, doneWithin, refusal } from './support/test-client.js';
import { crawl, paths, queueDepth, settleAndCountCompletions, startTestStack } from './harness.js';
import { HEADROOM, jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

/** A site whose pages below the seed answer slowly, so a job is still running when we act. */
async function startSlowSite(delayMs: number): Promise<{ origin: string; hits: string[]; stop(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/robots.txt') {
      res.writeHead(404).end();
      return;
    }
    const send = () => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(req.url === '/' ? Array.from({ length: 6 }, (_, i) => `<a href="/slow-${i}">${i}</a>`).join(' ') : `<title>${req.url}</title>`);
    };
    if (req.url === '/') send();
    else setTimeout(send, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe('a page whose messages end in the DLQ', () => {
  let stack: LocalStack;
  let site: DemoSite;
  let speed: MachineSpeed;
  let timings: StackTimings;
  beforeAll(async () => {
    site = await startDemoSite();
    speed = await machineSpeed();
    // A timeout of a healthy invocation would also count a receive: timeouts from this machine's speed.
    timings = stackTimings(speed, 1);
    stack = await startTestStack({
      workers: 2,
      // One message per invocation: the crash takes only the doomed page down with it.
      batchSize: 1,
      visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
      workerTimeoutMs: timings.workerTimeoutMs,
      maxReceiveCount: 2,
      sweepIntervalMs: 1_000,
      // The crawler would retry 5 times, but SQS gives up after 2 receives: the page is lost. The
      // stall timeout is far above an invocation, so a slow page is never mistaken for a stall.
      env: { LEASE_MS: String(timings.leaseMs), MAX_ATTEMPTS: '5', STALL_TIMEOUT_MS: String(timings.stallTimeoutMs) },
      workerEnv: { CRAWLER_FAULTS: 'after-claim@/a.html#1,after-claim@/a.html#2' },
    });
  });
  afterAll(async () => {
    await Promise.all([stack?.stop(), site?.stop()]);
  });

  it('ends the stalled job through the sweeper, listing the lost page in errors', async () => {
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 1 }, jobWaitMs(timings, speed, { recoveries: 2, pages: 7 }) + timings.stallTimeoutMs);
    expect(run.completed).toMatchObject({ status: 'partial', pages: 6 });
    expect(run.manifest.errors).toEqual([{ url: `${site.origin}/a.html`, error: 'not crawled: stalled: no page settled recently' }]);
    expect(paths(run.manifest.pages.map((p) => p.url), site.origin)).toEqual(site.documentsByDepth[1]!.filter((p) => p !== '/a.html').concat('/').sort());
    expect(await queueDepth(stack, stack.resources.dlqUrl)).toBe(1);
    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });
});

describe('time limits and cancel', () => {
  let stack: LocalStack;
  let slow: Awaited<ReturnType<typeof startSlowSite>>;
  let speed: MachineSpeed;
  /** seconds: the seed page is surely crawled within it, and no slow page can be */
  let timeLimit = 0;
  beforeAll(async () => {
    speed = await machineSpeed();
    timeLimit = Math.ceil((HEADROOM * (speed.envStartMs + speed.coldRenderMs + speed.lightMs)) / 1000) + 4;
    slow = await startSlowSite(timeLimit * 1000);
    stack = await startTestStack({ workers: 1, batchSize: 2, sweepIntervalMs: 500, env: { MAX_JOBS_PER_CONNECTION: '1' } });
  });
  afterAll(async () => {
    await Promise.all([stack?.stop(), slow?.stop()]);
  });

  it('ends a job at its time limit with what it has', async () => {
    const run = await crawl(stack, { url: `${slow.origin}/`, depth: 1, timeLimit }, 60_000 + 4 * timeLimit * 1000);
    expect(run.completed).toMatchObject({ status: 'partial' });
    expect(run.manifest.pages.map((p) => p.url)).toContain(`${slow.origin}/`);
    expect(run.manifest.errors.length).toBeGreaterThan(0);
    for (const error of run.manifest.errors) expect(error.error).toBe('not crawled: time limit reached');
    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });

  it('cancels a running job: completed once as cancelled, and no new pages start', async () => {
    const client = await connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });
    const job = await client.crawl({ url: `${slow.origin}/`, depth: 1 });
    const jobId = job.jobId;
    // One running job per connection in this stack: a second one is refused while the first runs.
    expect(await refusal(client.crawl({ url: `${slow.origin}/`, depth: 1 }))).toMatchObject({ type: 'error', code: 'too_many_jobs' });
    await client.waitFor((m) => m.type === 'progress' && m.jobId === jobId, 60_000 + HEADROOM * (speed.envStartMs + speed.coldRenderMs));
    const reply = await client.cancel(jobId);
    expect(reply).toMatchObject({ jobId, status: 'cancelled' });
    const { completed, manifest } = await doneWithin(client, job, 60_000 + 2 * timeLimit * 1000);
    expect(completed).toMatchObject({ status: 'cancelled' });
    expect(manifest.errors.some((e) => e.error === 'not crawled: job cancelled')).toBe(true);
    // In-flight pages may finish; nothing new is started once the cancel is in.
    const hitsAtCancel = slow.hits.length;
    await new Promise((resolve) => setTimeout(resolve, 9_000));
    expect(slow.hits.length - hitsAtCancel).toBeLessThanOrEqual(2);
    expect(client.received.filter((m) => m.type === 'completed' && m.jobId === jobId)).toHaveLength(1);
    expect(await refusal(client.cancel(jobId))).toMatchObject({ type: 'error', code: 'job_finished' });
    // The cancelled job freed the connection's slot.
    expect((await client.crawl({ url: `${slow.origin}/`, depth: 0 })).jobId).not.toBe(jobId);
    await client.close();
  });
});
