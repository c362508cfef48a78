// The job item is no longer a hot key (issue 15, scale 1): during a real crawl (crawlPage on the
// real adapters, Chromium, DynamoDB Local) every page settles on a counter shard, and the job item
// is written a fixed number of times per job (creation, admissions, a progress slot, the end),
// not per page. The writes are counted by a middleware on the real DynamoDB client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitCrawl } from '../../functions/app/submit-crawl.js';
import { jobIdOfShardKey } from '../../functions/core/counter-shards.js';
import { jobItemWrites, recordDynamoCalls } from './fixtures-counter-shards/dynamo-calls.js';
import { startWorld, type World } from './fixtures-lost-work/world.js';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.stop();
});

/** A crawl of the site's seed (which links to three leaves) and `extra` more seeds (leaves), depth 1. */
async function crawlSite(counterShards: number, extra: number) {
  const scene = await world.scene({ counterShards });
  const calls = recordDynamoCalls(scene.clients.dynamo);
  const { client, connectionId } = await scene.connect();
  const jobId = crypto.randomUUID();
  const urls = [world.site.seed, ...Array.from({ length: extra }, (_, i) => `${world.site.origin}/leaf-${i}`)];
  await submitCrawl(scene.crawlRequest({ urls, depth: 1, robots: false, maxPages: 100 }), connectionId, jobId, scene.deps());
  await scene.drain(jobId, scene.deps());
  const job = await scene.getJob(jobId);
  await client.waitFor((m) => m.type === 'completed' && m.jobId === jobId, 30_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const completed = client.received.filter((m) => m.type === 'completed' && m.jobId === jobId);
  const writes = jobItemWrites(calls, scene.resources.jobsTable);
  return { job, completed, pages: urls.length + 3, jobItem: writes.filter((w) => w.key === jobId), shards: writes.filter((w) => jobIdOfShardKey(w.key) === jobId) };
}

describe('the job item during a crawl', () => {
  it('takes a fixed number of writes, none per settle; every settle goes to a shard', async () => {
    const run = await crawlSite(8, 20);
    expect(run.job).toMatchObject({ status: 'succeeded', admitted: run.pages, settled: run.pages, done: run.pages, failed: 0 });
    expect(run.completed).toHaveLength(1);
    expect(run.completed[0]).toMatchObject({ status: 'succeeded', pages: run.pages, failed: 0 });
    const settles = run.shards.filter((w) => w.expression.includes('ADD settled'));
    expect(settles).toHaveLength(run.pages);
    expect(new Set(settles.map((w) => w.key)).size).toBeGreaterThanOrEqual(5);
    expect(run.jobItem.filter((w) => w.expression.includes('settled'))).toEqual([]);
    // creation, two admissions (the other seeds; the seed's links), at most one progress slot (the
    // interval is an hour here), the end (finishing, final, slot freed, completed claimed)
    expect(run.jobItem.length).toBeLessThanOrEqual(8);
    console.log(`sharded: ${run.jobItem.length} writes on the job item for ${run.pages} pages; ${settles.length} settles on ${new Set(settles.map((w) => w.key)).size} shards`);
  }, 180_000);

  it('took one write per settle when the job item counted its settles (a job without shards)', async () => {
    const run = await crawlSite(0, 20);
    expect(run.job).toMatchObject({ status: 'succeeded', settled: run.pages, done: run.pages });
    expect(run.completed).toHaveLength(1);
    expect(run.jobItem.filter((w) => w.expression.includes('ADD settled'))).toHaveLength(run.pages);
    expect(run.shards).toEqual([]);
    console.log(`unsharded: ${run.jobItem.length} writes on the job item for ${run.pages} pages`);
  }, 180_000);
});
