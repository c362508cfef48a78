// Two clients' crawls of one host at once, through the whole local stack, in one crawler
// environment whose browser is the Lambda one (@sparticuz/chromium, --single-process: the local
// stack sets no CHROME_PATH) and whose batches mix the two jobs' pages. Job A sends credentials and
// the site gives it a session cookie; job B leaves a cookie and storage of its own. No page of one
// job may send or read the other's cookie, localStorage or IndexedDB
// (test/integration/browser-job-isolation.test.ts shows it page by page against the renderer).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { PROBES, startTenantSite, type TenantSite } from '../integration/fixtures-browser/tenant-site.js';
import { crawl, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings } from './support/machine.js';

const BATCH = 5;
let stack: LocalStack;
let site: TenantSite;
let waitMs: number;

beforeAll(async () => {
  site = await startTenantSite();
  const speed = await machineSpeed();
  const timings = stackTimings(speed, BATCH);
  waitMs = jobWaitMs(timings, speed, { pages: 2 * (PROBES + 1) });
  stack = await startTestStack({
    // one environment, one browser, batches that hold both jobs' pages
    workers: 1,
    batchSize: BATCH,
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs) },
  });
});

afterAll(async () => {
  await stack?.stop();
  await site?.close();
});

describe('two jobs crawling one host in one environment', () => {
  it("never see each other's session cookie or storage", async () => {
    const host = new URL(site.origin).host;
    const [a, b] = await Promise.all([
      crawl(stack, { url: `${site.origin}/login?job=A`, depth: 1, headers: { authorization: 'Bearer secret-of-A' }, requestId: 'A' }, waitMs),
      crawl(stack, { url: `${site.origin}/mark?job=B`, depth: 1, requestId: 'B' }, waitMs),
    ]);
    expect(a.completed).toMatchObject({ status: 'succeeded', pages: PROBES + 1, failed: 0 });
    expect(b.completed).toMatchObject({ status: 'succeeded', pages: PROBES + 1, failed: 0 });
    expect(host).toBe(new URL(a.manifest.url).host);

    // A's credentials reached the site, which gave A its session
    expect(site.hits.find((hit) => hit.path === '/login')).toMatchObject({ authorization: 'Bearer secret-of-A' });
    const reports = (job: string) => site.hits.filter((hit) => hit.path === '/report' && hit.job === job).map((hit) => hit.query);
    // every probe page of each job reported what it saw (a redelivered page may report twice)
    expect(new Set(reports('A').map((q) => q['n'])).size).toBe(PROBES);
    expect(new Set(reports('B').map((q) => q['n'])).size).toBe(PROBES);

    // B: no request carried A's session or credentials; no page read A's cookie or storage
    const fromB = site.hits.filter((hit) => hit.job === 'B');
    expect(fromB.filter((hit) => hit.cookie?.includes('session=') || hit.authorization)).toEqual([]);
    for (const seen of reports('B')) {
      expect(seen['cookie']).not.toContain('session=');
      expect([seen['storage'], seen['idb']]).not.toContain('A');
    }
    // A: none of B's cookie or storage
    const fromA = site.hits.filter((hit) => hit.job === 'A');
    expect(fromA.filter((hit) => hit.cookie?.includes('visitor='))).toEqual([]);
    for (const seen of reports('A')) {
      expect(seen['cookie']).not.toContain('visitor=');
      expect([seen['storage'], seen['idb']]).not.toContain('B');
    }
    await Promise.all([a.client.close(), b.client.close()]);
  });
});
