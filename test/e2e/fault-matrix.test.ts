// The fault matrix: a worker process killed at every point of handling a page, with and without
// duplicate delivery, on the page two others discover at the same time (/shared.html). Each fault
// point gets its own job (its own copy of the demo site), all running at once on one stack, so
// crashes also hit whatever else the dying environment was doing.
import { afterAll, describe, expect, it } from 'vitest';
import { FAULT_POINTS } from '../../functions/core/ports.js';
import { startDemoSite, type DemoSite } from '../../local/demo-site.js';
import type { LocalStack } from '../../local/stack.js';
import { crawl, pageObjectKeys, paths, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings } from './support/machine.js';

const FAULTED_PAGE = '/shared.html';
const DEPTH = 3;

interface Row {
  point: string;
  duplicates: boolean;
  expected: number;
  pages: number;
  lost: number;
  duplicateRecords: number;
  completions: number;
  status: string;
  seconds: number;
}
const rows: Row[] = [];

afterAll(() => {
  console.log(`\nfault matrix (crash once at each point on ${FAULTED_PAGE}, depth ${DEPTH}):`);
  console.log('point          duplicates  pages/expected  lost  dup-records  completions  status     seconds');
  for (const r of rows) {
    console.log(
      `${r.point.padEnd(15)}${String(r.duplicates).padEnd(12)}${`${r.pages}/${r.expected}`.padEnd(16)}${String(r.lost).padEnd(6)}${String(r.duplicateRecords).padEnd(13)}${String(r.completions).padEnd(13)}${r.status.padEnd(11)}${r.seconds.toFixed(1)}`,
    );
  }
});

describe.each([false, true])('duplicate delivery: %s', (duplicateDelivery) => {
  let stack: LocalStack | undefined;
  let sites: DemoSite[] = [];
  afterAll(async () => {
    await Promise.all([stack?.stop(), ...sites.map((s) => s.stop())]);
  });

  it('loses no page, records none twice, and completes every job exactly once', async () => {
    sites = await Promise.all(FAULT_POINTS.map(() => startDemoSite()));
    // One rule per job: the fault fires on that job's /shared.html only (its origin has its own port).
    const faults = FAULT_POINTS.map((point, i) => `${point}@${sites[i]?.origin}${FAULTED_PAGE}`).join(',');
    const lines: string[] = [];
    const speed = await machineSpeed();
    const timings = stackTimings(speed, 3);
    stack = await startTestStack({
      workers: 3,
      batchSize: 3,
      duplicateDelivery,
      visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
      workerTimeoutMs: timings.workerTimeoutMs,
      // A crash takes the other pages of its environment's batch with it, whatever job they belong
      // to: allow those collateral deaths as attempts and receives, so only what the matrix tests
      // (the faulted page's own crash) decides the outcome, never how batches happened to mix.
      maxReceiveCount: 2 * FAULT_POINTS.length + 2,
      env: { LEASE_MS: String(timings.leaseMs), MAX_ATTEMPTS: String(2 * FAULT_POINTS.length + 2) },
      workerEnv: { CRAWLER_FAULTS: faults },
      log: (line) => lines.push(line),
    });
    const live = stack;
    const expected = sites[0]!.documentsByDepth.slice(0, DEPTH + 1).flat().sort();
    const started = Date.now();
    await Promise.all(
      FAULT_POINTS.map(async (point, i) => {
        const site = sites[i]!;
        const run = await crawl(live, { url: `${site.origin}/`, depth: DEPTH }, jobWaitMs(timings, speed, { recoveries: FAULT_POINTS.length, pages: 13 * FAULT_POINTS.length }));
        const got = paths(run.manifest.pages.map((p) => p.url), site.origin);
        const records = await pageObjectKeys(live, run.jobId);
        const completions = await settleAndCountCompletions(run, 2000);
        rows.push({
          point,
          duplicates: duplicateDelivery,
          expected: expected.length,
          pages: got.length,
          lost: expected.filter((p) => !got.includes(p)).length,
          duplicateRecords: records.length - new Set(records).size + (got.length - new Set(got).size),
          completions,
          status: String(run.completed.status),
          seconds: (Date.now() - started) / 1000,
        });
        expect(got, point).toEqual(expected);
        expect(records.length, point).toBe(expected.length);
        expect(run.completed, point).toMatchObject({ status: 'succeeded', pages: expected.length, failed: 0 });
        expect(completions, point).toBe(1);
        // The fault really fired for this job.
        expect(lines.some((l) => l.includes('injected fault') && l.includes(`"point":"${point}"`) && l.includes(site.origin)), point).toBe(true);
        await run.client.close();
      }),
    );
  });
});
