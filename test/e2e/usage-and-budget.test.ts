// What a job used, and what it may spend: the manifest's `usage` counted across the real SDK
// clients, the browser and the invocations (adapters/usage/), its cost from the dated price table
// (core/prices.ts); `estimate: true` answering without a job; `budgetUsd` ending a job `partial`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { connectClient, refusal } from './support/test-client.js';
import { PRICES, SQS_REQUESTS_PER_MESSAGE } from '../../functions/core/prices.js';
import { costOfPublishedUsage, type Usage } from '../../functions/core/usage.js';
import { countItems, crawl, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings } from './support/machine.js';

interface Site {
  origin: string;
  requested: string[];
  stop(): Promise<void>;
}

/** A hub `/` linking to `/p1` … `/pN`, each linking back. */
async function startSite(pages: number): Promise<Site> {
  const requested: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') return res.writeHead(404).end();
    requested.push(path);
    const links = path === '/' ? Array.from({ length: pages }, (_, i) => `/p${i + 1}`) : ['/'];
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>${path}</title>${links.map((l) => `<a href="${l}">${l}</a>`).join(' ')}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

let stack: LocalStack;
const sites: Site[] = [];

beforeAll(async () => {
  stack = await startTestStack({ workers: 2, batchSize: 3 });
});
afterAll(async () => {
  await stack?.stop();
  await Promise.all(sites.map((s) => s.stop()));
});

it('a crawl of 6 pages: its manifest says what it used, and costs it by the price table', async () => {
  const site = await startSite(5);
  sites.push(site);
  const speed = await machineSpeed();
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 1 }, jobWaitMs(stackTimings(speed, 3), speed, { pages: 6 }));
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 6, failed: 0 });
  const usage = (run.manifest as unknown as { usage: Usage }).usage;
  if (process.env.E2E_VERBOSE) console.log('usage', JSON.stringify(usage));
  // Every page was a message, a tab and one navigation, and its record went to S3.
  expect(usage.messagesReceived).toBeGreaterThanOrEqual(6);
  // A message either navigates or goes back to wait for its host (or is a duplicate, or fails).
  expect(usage.messagesReceived).toBeGreaterThanOrEqual(usage.navigations + usage.deferrals);
  expect(usage.navigations).toBe(6);
  expect(usage.tabsOpened).toBeGreaterThanOrEqual(usage.navigations);
  expect(usage.s3Puts).toBeGreaterThanOrEqual(6);
  expect(usage.invocations).toBeGreaterThanOrEqual(1);
  expect(usage.invocations).toBeLessThanOrEqual(usage.messagesReceived);
  // Each page's claim and settle wrote, and each settle was followed by a read of the counters.
  expect(usage.dynamoWriteUnits).toBeGreaterThanOrEqual(12);
  expect(usage.dynamoReadUnits).toBeGreaterThan(0);
  expect(usage.billedMs).toBeGreaterThan(0);
  expect(usage.gbSeconds).toBeGreaterThan(0);
  // The cost is the price table applied to the published counts (written out here, not re-used).
  const byHand =
    usage.invocations * PRICES.lambdaRequest +
    usage.gbSeconds * PRICES.lambdaGbSecond +
    usage.messagesReceived * SQS_REQUESTS_PER_MESSAGE * PRICES.sqsRequest +
    usage.dynamoWriteUnits * PRICES.dynamoWriteUnit +
    usage.dynamoReadUnits * PRICES.dynamoReadUnit +
    usage.s3Puts * PRICES.s3Put +
    usage.s3Gets * PRICES.s3Get;
  expect(usage.estimatedCostUsd).toBeGreaterThan(0);
  expect(usage.estimatedCostUsd).toBeCloseTo(byHand, 7);
  expect(usage.estimatedCostUsd).toBe(costOfPublishedUsage(usage));
  expect(run.completed.estimatedCostUsd).toBe(usage.estimatedCostUsd);
  expect(await settleAndCountCompletions(run)).toBe(1);
});

it('estimate: true answers pages, duration and cost, and creates no job and requests nothing', async () => {
  const site = await startSite(3);
  sites.push(site);
  const speed = await machineSpeed();
  const jobsBefore = await countItems(stack, stack.resources.jobsTable);
  const client = await connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(speed) });
  try {
    const answer = await client.estimate({ url: `${site.origin}/`, maxPages: 40, requestId: 'est-1' });
    expect(answer).toMatchObject({ type: 'estimate', requestId: 'est-1', pages: 40 });
    expect(answer.durationS).toBeGreaterThan(0);
    expect(answer.costUsd).toBeGreaterThan(0);
    // A bad option is named, as any other.
    const refused = await refusal(client.crawl({ url: `${site.origin}/`, budgetUsd: -1 }));
    expect(refused).toMatchObject({ type: 'error', code: 'invalid_request' });
    expect(refused.message).toMatch(/budgetUsd/);
  } finally {
    await client.close();
  }
  // Both answers came after the route's work: had either created a job, its item would be there now.
  expect(await countItems(stack, stack.resources.jobsTable)).toBe(jobsBefore);
  expect(client.received.filter((m) => m.type === 'accepted')).toEqual([]);
  expect(site.requested).toEqual([]);
});

it('budgetUsd: a job whose estimated cost reaches its budget ends partial, endReason budget', async () => {
  const site = await startSite(8);
  sites.push(site);
  const speed = await machineSpeed();
  // Any settled page costs more than this (a write unit alone is $0.000000625).
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 1, budgetUsd: 0.0000001 }, jobWaitMs(stackTimings(speed, 3), speed, { pages: 9 }));
  expect(run.completed).toMatchObject({ status: 'partial', endReason: 'budget' });
  const manifest = run.manifest as unknown as { endReason?: string; usage: Usage; pages: unknown[]; errors: { url: string; error: string }[] };
  expect(manifest.endReason).toBe('budget');
  // The seed's settle found the budget spent while its 8 children were admitted and open.
  expect(manifest.pages.length).toBeGreaterThanOrEqual(1);
  expect(manifest.pages.length).toBeLessThan(9);
  expect(manifest.errors.some((e) => e.error === 'not crawled: budget')).toBe(true);
  expect(manifest.usage.estimatedCostUsd).toBeGreaterThanOrEqual(0.0000001);
  expect(run.completed.estimatedCostUsd).toBe(manifest.usage.estimatedCostUsd);
  expect(await settleAndCountCompletions(run)).toBe(1);
});

it('a time limit shorter than maxPages needs at the host pace is warned of on accepted; the job runs', async () => {
  const site = await startSite(2);
  sites.push(site);
  const speed = await machineSpeed();
  // The test stacks' ceiling is 1,000 navigations a second: 5,000 pages need 5 s, more than 1 s.
  const run = await crawl(stack, { url: `${site.origin}/`, depth: 1, maxPages: 5000, timeLimit: 1 }, jobWaitMs(stackTimings(speed, 3), speed, { pages: 3 }));
  const accepted = run.client.received.find((m) => m.type === 'accepted' && m.jobId === run.jobId);
  expect(accepted?.warning as string).toMatch(/^timeLimit: 5000 pages at 1000 navigations per second per host need about 5 s/);
  // Its 3 pages take less than the sweeper's first round: it ran to its end.
  expect(run.completed.status).toMatch(/succeeded|partial/);
  expect(await settleAndCountCompletions(run)).toBe(1);
});
