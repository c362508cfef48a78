// Exact depth inside the worker's use case (app/crawl-page.ts, app/admit-children.ts) on the real
// adapters: a page whose record a shorter path lowers while a worker holds it cannot settle at the
// depth it was claimed at; the worker admits its links again at the new depth, and its own
// children, already queued one level too deep, are lowered with it. The shorter path is played by a
// frontier that lowers the page just before its first settle: the order is certain.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoFrontierStore } from '../../functions/adapters/dynamodb/frontier-store.js';
import { crawlPage } from '../../functions/app/crawl-page.js';
import { submitCrawl } from '../../functions/app/submit-crawl.js';
import type { PageFailure, PageSummary } from '../../functions/core/job.js';
import { urlKeyOf } from '../../functions/core/keys.js';
import { startWorld, type World } from './fixtures-lost-work/world.js';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.stop();
});

it('a page lowered while claimed admits its links again one level up, lowering its own queued children', async () => {
  const scene = await world.scene();
  const seedKey = urlKeyOf(world.site.seed);
  let lowered = false;
  class ShorterPathMeanwhile extends DynamoFrontierStore {
    override async settle(
      jobId: string,
      urlKey: string,
      owner: string,
      outcome: { kind: 'done'; summary: PageSummary } | { kind: 'failed'; failure: PageFailure },
      counterShards?: number,
    ): Promise<boolean> {
      if (urlKey === seedKey && !lowered) {
        lowered = true;
        expect(await this.lowerDepth(jobId, urlKey, { depth: 0, parent: 'http://shorter/', discoveredBy: 'shorter' }, counterShards)).toBe('lowered');
      }
      return super.settle(jobId, urlKey, owner, outcome, counterShards);
    }
  }
  const tables = { frontier: scene.resources.frontierTable, jobs: scene.resources.jobsTable };
  const deps = scene.deps({ frontier: new ShorterPathMeanwhile(scene.clients.dynamo, tables, scene.clock) });
  const { client, connectionId } = await scene.connect();
  const jobId = crypto.randomUUID();
  await submitCrawl(scene.crawlRequest({ url: world.site.seed, depth: 2, robots: false }), connectionId, jobId, deps);
  // The seed stands for a page first found at depth 1: its leaves are admitted at depth 2.
  await scene.clients.dynamo.send(new UpdateCommand({ TableName: tables.frontier, Key: { jobId, urlKey: seedKey }, UpdateExpression: 'SET #d = :one', ExpressionAttributeNames: { '#d': 'depth' }, ExpressionAttributeValues: { ':one': 1 } }));

  expect(await crawlPage({ jobId, url: world.site.seed, depth: 1 }, deps)).toBe('done');
  expect(lowered).toBe(true);
  expect(await deps.frontier.get(jobId, seedKey)).toMatchObject({ state: 'done', depth: 0, summary: { depth: 0 } });
  // Its leaves, queued at depth 2 by the first admission, are at depth 1 now: the record wins.
  for (const leaf of world.site.leaves) expect(await deps.frontier.get(jobId, urlKeyOf(leaf)), leaf).toMatchObject({ state: 'queued', depth: 1 });

  await scene.drain(jobId, deps);
  const completed = await client.waitFor((m) => m.type === 'completed' && m.jobId === jobId, 30_000);
  expect(completed).toMatchObject({ status: 'succeeded', pages: 4, failed: 0 });
  const manifest = (await (await fetch(completed.manifestUrl as string)).json()) as { pages: { url: string; depth: number }[]; levels: string[][] };
  expect(manifest.levels.map((level) => level.length)).toEqual([1, 3]);
  for (const page of manifest.pages) expect(page.depth, page.url).toBe(page.url === world.site.seed ? 0 : 1);
});
