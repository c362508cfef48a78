// The light local stack (the bench's): every API function and the sweeper in one execution
// environment, the crawler in its own. The journey must be the same as with an environment per
// function: authorised connect, crawl, status, completion, disconnect.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDemoSite, type DemoSite } from '../../local/demo-site.js';
import type { LocalStack } from '../../local/stack.js';
import { connectClient, doneWithin } from './support/test-client.js';
import { countItems, paths, startTestStack } from './harness.js';

let stack: LocalStack;
let site: DemoSite;
const lines: string[] = [];
const token = 'shared-env-token';

beforeAll(async () => {
  [stack, site] = await Promise.all([
    startTestStack({ workers: 1, apiEnvironments: 'shared', authToken: token, sweepIntervalMs: 1_000, env: { POWERTOOLS_LOG_LEVEL: 'INFO' }, log: (line) => lines.push(line) }),
    startDemoSite(),
  ]);
});
afterAll(async () => {
  await Promise.all([stack?.stop(), site?.stop()]);
});

const environmentsStarted = (name: string) => lines.filter((line) => line.startsWith(`[${name}] execution environment started`)).length;

it('crawls through one shared API environment, the crawler in its own', async () => {
  const client = await connectClient(stack.wsUrl, { token });
  const accepted = await client.crawl({ url: `${site.origin}/`, depth: 1 });
  expect(await client.status(accepted.jobId)).toMatchObject({ jobId: accepted.jobId });
  const { completed, manifest } = await doneWithin(client, accepted, 120_000);
  expect(completed).toMatchObject({ status: 'succeeded', failed: 0 });
  expect(paths(manifest.pages.map((p) => p.url), site.origin)).toEqual(site.documentsByDepth.slice(0, 2).flat().sort());
  await client.close();
  // $disconnect ran (in the shared environment too): the connection is gone from the table
  await expect.poll(() => countItems(stack, stack.resources.connectionsTable), { timeout: 60_000 }).toBe(0);

  // the sweeper ran at least once in the same environment
  await expect.poll(() => lines.some((line) => line.startsWith('[api]') && line.includes('sweep done')), { timeout: 60_000 }).toBe(true);
  // (at least once: an environment that a slow machine timed out is replaced, still shared)
  expect(environmentsStarted('api')).toBeGreaterThanOrEqual(1);
  for (const name of ['authorize', 'connect', 'crawl', 'status', 'disconnect', 'sweep']) expect(environmentsStarted(name), name).toBe(0);
  expect(environmentsStarted('worker-0')).toBeGreaterThanOrEqual(1);
});
