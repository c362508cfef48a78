// A worker process that dies mid-page loses nothing: its claim is a lease that expires, the message
// comes back after the visibility timeout, and another execution environment finishes the page.
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { startDemoSite, type DemoSite } from '../../local/demo-site.js';
import type { LocalStack } from '../../local/stack.js';
import { crawl, pageObjectKeys, paths, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings } from './support/machine.js';

let site: DemoSite;
let stack: LocalStack | undefined;

beforeAll(async () => {
  site = await startDemoSite();
});
afterAll(async () => {
  await site?.stop();
});
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

describe.each([
  ['after claiming a URL', 'after-claim@/a.html'],
  ['after writing its results, before settling', 'before-settle@/b.html'],
])('a worker that dies %s', (_name, faults) => {
  it('still completes the job once with exactly the expected pages', async () => {
    const lines: string[] = [];
    const speed = await machineSpeed();
    // An invocation killed by its timeout would re-render a page: the timeouts come from this
    // machine's measured speed, so only the injected fault kills an environment.
    const timings = stackTimings(speed, 3);
    stack = await startTestStack({
      log: (line) => lines.push(line),
      workers: 2,
      batchSize: 3,
      visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
      workerTimeoutMs: timings.workerTimeoutMs,
      env: { LEASE_MS: String(timings.leaseMs) },
      workerEnv: { CRAWLER_FAULTS: faults },
    });
    site.reset();
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 2 }, jobWaitMs(timings, speed, { recoveries: 1, pages: 12 }));
    const expected = site.documentsByDepth.slice(0, 3).flat().sort();
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: expected.length, failed: 0 });
    expect(paths(run.manifest.pages.map((p) => p.url), site.origin)).toEqual(expected);
    expect((await pageObjectKeys(stack, run.jobId)).length).toBe(expected.length);
    // The page whose worker died was rendered once: before the claim nothing was fetched, and
    // after the store the next attempt reuses the stored record.
    const faulted = faults.split('@')[1] ?? '';
    // The fault really fired: an execution environment died in the middle of an invocation.
    expect(lines.some((line) => line.includes('injected fault') && line.includes(faulted))).toBe(true);
    expect(lines.some((line) => line.includes('died during the invocation'))).toBe(true);
    expect(site.requests.get(faulted)).toBe(1);
    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });
});
