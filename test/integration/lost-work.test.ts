// Work that must not be lost or stranded when a dependency fails or a worker dies part way: every
// job reaches a final status with a manifest and one `completed`, and frees its connection's slot;
// no admitted page is left off the queue; a transient AWS error is retried, not made a failure.
// The use cases run on the real adapters (DynamoDB Local, fauxqs, the local gateway, Chromium).
// Where a failure is needed, it is injected at the adapter boundary as the SDK would raise it.
import { ApiGatewayManagementApiServiceException } from '@aws-sdk/client-apigatewaymanagementapi';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiGatewayNotifier } from '../../functions/adapters/apigw/client-notifier.js';
import { DynamoFrontierStore } from '../../functions/adapters/dynamodb/frontier-store.js';
import { HttpRobotsPolicy } from '../../functions/adapters/http/robots-policy.js';
import { S3ResultStore } from '../../functions/adapters/s3/result-store.js';
import { SqsCrawlQueue } from '../../functions/adapters/sqs/crawl-queue.js';
import { crawlPage } from '../../functions/app/crawl-page.js';
import { submitCrawl } from '../../functions/app/submit-crawl.js';
import { finishingGraceMs, sweepJobs } from '../../functions/app/sweep-jobs.js';
import type { FrontierRecord } from '../../functions/core/job.js';
import { manifestObjectKey, urlKeyOf } from '../../functions/core/keys.js';
import { buildManifest } from '../../functions/core/manifest.js';
import type { AdmitOutcome, FaultInjector } from '../../functions/core/ports.js';
import type { RawSocket } from '../e2e/support/raw-socket.js';
import { startWorld, type Scene, type World } from './fixtures-lost-work/world.js';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.stop();
});

interface ManifestJson {
  status: string;
  pages: { url: string }[];
  errors: { url: string; error: string }[];
  skipped: { url: string; reason: string }[];
}

async function manifestFrom(client: RawSocket, jobId: string): Promise<ManifestJson> {
  const completed = await client.waitFor((m) => m.type === 'completed' && m.jobId === jobId, 30_000);
  const response = await fetch(completed.manifestUrl as string);
  expect(response.status).toBe(200);
  return (await response.json()) as ManifestJson;
}

/** Gives a second `completed` time to arrive, then counts them. */
async function completions(client: RawSocket, jobId: string): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return client.received.filter((m) => m.type === 'completed' && m.jobId === jobId).length;
}

/** Submits a crawl of the site's seed page and one level below it (on a new connection, or this one). */
async function submit(scene: Scene, fields: Record<string, unknown> = {}, deps = scene.deps(), connection?: { client: RawSocket; connectionId: string }) {
  const { client, connectionId } = connection ?? (await scene.connect());
  const jobId = crypto.randomUUID();
  await submitCrawl(scene.crawlRequest({ url: world.site.seed, depth: 1, robots: false, ...fields }), connectionId, jobId, deps);
  return { client, connectionId, jobId };
}

// ---------------------------------------------------------------------------------------------
describe('every job ends (issue 10, item 5)', () => {
  it('a seed that cannot be queued ends the job as failed, with the seed in its errors and one completed', async () => {
    const scene = await world.scene();
    // A real SQS error: the queue does not exist.
    const deps = scene.deps({ queue: new SqsCrawlQueue(scene.clients.sqs, `${scene.resources.queueUrl}-gone`) });
    const { client, connectionId, jobId } = await submit(scene, {}, deps);

    expect(client.received.find((m) => m.type === 'accepted')).toMatchObject({ jobId });
    expect(await scene.getJob(jobId)).toMatchObject({ status: 'failed' });
    const manifest = await manifestFrom(client, jobId);
    expect(manifest).toMatchObject({ status: 'failed', pages: [] });
    expect(manifest.errors).toEqual([{ url: world.site.seed, error: 'not crawled: the seed could not be queued' }]);
    expect(await completions(client, jobId)).toBe(1);
    expect(client.received.some((m) => m.type === 'error')).toBe(false);
    expect(await scene.activeJobs(connectionId)).toBe(0);
    expect(scene.finished).toEqual(['failed']);
  });

  it('a job whose `accepted` could not be sent still runs, completes once, and frees its slot', async () => {
    const scene = await world.scene();
    let lost = 0;
    class AcceptedLost extends ApiGatewayNotifier {
      override async send(connectionId: string, message: Parameters<ApiGatewayNotifier['send']>[1]): Promise<boolean> {
        if (message.type === 'accepted' && lost++ === 0) {
          throw new ApiGatewayManagementApiServiceException({ name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'Internal server error' });
        }
        return super.send(connectionId, message);
      }
    }
    const deps = scene.deps({ notifier: new AcceptedLost(scene.clients.connections) });
    const { client, connectionId, jobId } = await submit(scene, {}, deps);

    await scene.drain(jobId, deps);
    expect(await scene.getJob(jobId)).toMatchObject({ status: 'succeeded', done: 4 });
    const manifest = await manifestFrom(client, jobId);
    expect(manifest.pages.map((p) => p.url).sort()).toEqual([...world.site.leaves, world.site.seed].sort());
    expect(await completions(client, jobId)).toBe(1);
    expect(client.received.filter((m) => m.type === 'accepted' || m.type === 'error')).toEqual([]);
    expect(await scene.activeJobs(connectionId)).toBe(0);
  });

  it('the sweeper completes finishes that were interrupted, each on its own, after the finisher’s grace', async () => {
    const scene = await world.scene();
    const grace = finishingGraceMs(scene.limits);
    const now = scene.clock.now();
    const connection = await scene.connect();
    const { client, connectionId } = connection;
    const { jobId: cancelled } = await submit(scene, {}, scene.deps(), connection);
    // A cancel whose finisher died right after `running → finishing`.
    await scene.deps().jobs.beginFinish(cancelled, 'cancelled', now - grace - 1, { reason: 'job cancelled' });
    // The same, but its manifest cannot be written for now (S3 refuses).
    const { jobId: unlucky } = await submit(scene, {}, scene.deps(), connection);
    await scene.deps().jobs.beginFinish(unlucky, 'cancelled', now - grace - 1, { reason: 'job cancelled' });
    // One whose finisher is still within its grace: left alone.
    const { jobId: recent } = await submit(scene, {}, scene.deps(), connection);
    await scene.deps().jobs.beginFinish(recent, 'cancelled', now, { reason: 'job cancelled' });
    // One made final whose finisher died before freeing the slot and sending `completed`.
    const { jobId: final } = await submit(scene, {}, scene.deps(), connection);
    const deps = scene.deps();
    await deps.jobs.beginFinish(final, 'cancelled', now - grace - 1, { reason: 'job cancelled' });
    const finalJob = (await scene.getJob(final))!;
    await deps.results.putManifest(manifestObjectKey(final), buildManifest(finalJob, await deps.frontier.list(final), 'cancelled', finalJob.finishedAt!));
    await scene.clients.dynamo.send(
      new UpdateCommand({
        TableName: scene.resources.jobsTable,
        Key: { jobId: final },
        UpdateExpression: 'SET #status = :final, manifestKey = :key, slotPending = :true',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':final': 'cancelled', ':key': manifestObjectKey(final), ':true': true },
      }),
    );
    expect(await scene.activeJobs(connectionId)).toBe(4);

    class ManifestRefused extends S3ResultStore {
      override async putText(key: string, chunks: AsyncIterable<string>, contentType: string): Promise<void> {
        if (key === manifestObjectKey(unlucky)) {
          throw new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' });
        }
        return super.putText(key, chunks, contentType);
      }
    }
    const first = await sweepJobs(scene.deps({ results: new ManifestRefused(scene.clients.s3, scene.resources.bucket) }));
    expect(first.failed).toEqual([unlucky]);
    expect(first.resumed.sort()).toEqual([cancelled, final].sort());
    expect(await scene.getJob(cancelled)).toMatchObject({ status: 'cancelled' });
    expect(await scene.getJob(final)).toMatchObject({ status: 'cancelled' });
    expect(await scene.getJob(unlucky)).toMatchObject({ status: 'finishing' });
    expect(await scene.getJob(recent)).toMatchObject({ status: 'finishing' });
    const manifest = await manifestFrom(client, cancelled);
    expect(manifest.errors).toEqual([{ url: world.site.seed, error: 'not crawled: job cancelled' }]);
    expect(scene.log.some((e) => e.level === 'error' && e.extra['jobId'] === unlucky)).toBe(true);

    // Later, with S3 back and every grace over, the rest complete; nothing is sent twice.
    scene.clock.skewMs += grace + 1;
    const second = await sweepJobs(scene.deps());
    expect(second.failed).toEqual([]);
    expect(second.resumed.sort()).toEqual([unlucky, recent].sort());
    expect(await sweepJobs(scene.deps())).toMatchObject({ checked: 0, resumed: [], failed: [] });
    for (const jobId of [cancelled, unlucky, recent, final]) {
      expect(await scene.getJob(jobId)).toMatchObject({ status: 'cancelled' });
      expect(await completions(client, jobId)).toBe(1);
    }
    expect(await scene.activeJobs(connectionId)).toBe(0);
    // The metric counts the jobs this sweeper made final (not the one made final before it ran).
    expect(scene.finished).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });
});

// ---------------------------------------------------------------------------------------------
describe('children an earlier attempt admitted are sent whatever becomes of the page (item 7)', () => {
  /** A worker that dies right after admitting the seed's children, before sending them. */
  const diesAfterAdmitting = (seed: string): FaultInjector => ({
    hit(point, { url, attempt }) {
      if (point === 'after-admit' && url === seed && attempt === 1) throw new Error('injected: the worker dies after admitting');
    },
  });

  async function firstAttemptDies(scene: Scene, jobId: string): Promise<void> {
    const seed = world.site.seed;
    await expect(crawlPage({ jobId, url: seed, depth: 0 }, scene.deps({ faults: diesAfterAdmitting(seed) }))).rejects.toThrow('injected');
    const children = await scene.deps().frontier.existing(jobId, world.site.leaves.map(urlKeyOf));
    expect([...children.values()].map((c) => c.state)).toEqual(['queued', 'queued', 'queued']);
    // A dead worker's lease runs out before its message comes back.
    scene.clock.skewMs += scene.limits.leaseMs + 1;
  }

  it('a page given up after its attempts sends them before it settles', async () => {
    const scene = await world.scene();
    const { client, connectionId, jobId } = await submit(scene);
    await firstAttemptDies(scene, jobId);

    // The seed's message comes back once its attempts are spent: the page is given up.
    const deliveries = await scene.drain(jobId, scene.deps({ limits: { ...scene.limits, maxAttempts: 1 } }));
    expect(deliveries.find((d) => d.url === world.site.seed)).toMatchObject({ outcome: 'failed' });
    const manifest = await manifestFrom(client, jobId);
    expect(manifest.status).toBe('partial');
    expect(manifest.pages.map((p) => p.url).sort()).toEqual(world.site.leaves);
    expect(manifest.errors).toEqual([{ url: world.site.seed, error: 'gave up after 1 attempts' }]);
    expect(await completions(client, jobId)).toBe(1);
    expect(await scene.activeJobs(connectionId)).toBe(0);
  });

  it('a page robots.txt disallows by the time its message comes back sends them before it settles', async () => {
    const scene = await world.scene();
    world.site.robots = 'User-agent: *\nAllow: /\n';
    const { client, jobId } = await submit(scene, { robots: true });
    try {
      await firstAttemptDies(scene, jobId);
      // Another environment fetches robots.txt afresh, and the site now disallows the seed.
      world.site.robots = 'User-agent: *\nDisallow: /start\n';
      const robots = new HttpRobotsPolicy({ userAgent: 'fanout-crawler', log: scene.deps().log });
      await scene.drain(jobId, scene.deps({ robots }));
    } finally {
      world.site.robots = 'User-agent: *\nAllow: /\n';
    }
    const manifest = await manifestFrom(client, jobId);
    // A URL robots.txt disallows is skipped, not failed (#29): the job's only miss, so it succeeded.
    expect(manifest.status).toBe('succeeded');
    expect(manifest.pages.map((p) => p.url).sort()).toEqual(world.site.leaves);
    expect(manifest.errors).toEqual([]);
    expect(manifest.skipped).toEqual([{ url: world.site.seed, reason: expect.stringMatching(/^disallowed by robots\.txt/) }]);
    expect(await completions(client, jobId)).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
describe('a transient AWS error is retried, not made a failure, and costs no attempt (item 9; issue 27)', () => {
  it('S3 throttling while storing a page: the message comes back and the page is crawled', async () => {
    const scene = await world.scene();
    let refusals = 0;
    class SlowDownOnce extends S3ResultStore {
      override async putPage(key: string, record: Parameters<S3ResultStore['putPage']>[1]): Promise<void> {
        if (refusals++ === 0) {
          // What S3 answers when a prefix takes too many requests, after the SDK's own retries.
          throw new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' });
        }
        return super.putPage(key, record);
      }
    }
    const deps = scene.deps({ results: new SlowDownOnce(scene.clients.s3, scene.resources.bucket) });
    const { client, jobId } = await submit(scene, {}, deps);

    const deliveries = await scene.drain(jobId, deps);
    expect(deliveries.filter((d) => d.url === world.site.seed).map((d) => d.outcome)).toEqual(['threw SlowDown', 'done']);
    const manifest = await manifestFrom(client, jobId);
    expect(manifest).toMatchObject({ status: 'succeeded', errors: [] });
    expect(manifest.pages).toHaveLength(4);
    // S3's throttling was the stack's fault, not the page's: its attempt was given back.
    expect(await scene.deps().frontier.get(jobId, urlKeyOf(world.site.seed))).toMatchObject({ state: 'done', attempts: 1, stackFaults: 1 });
  });

  it('DynamoDB throttling while admitting children: the URL is released at once and crawled on the next delivery', async () => {
    const scene = await world.scene();
    let throttles = 0;
    class ThrottledOnce extends DynamoFrontierStore {
      override async admitAll(children: FrontierRecord[], maxPages: number): Promise<AdmitOutcome[]> {
        if (throttles++ === 0) {
          throw new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: { httpStatusCode: 400 } });
        }
        return super.admitAll(children, maxPages);
      }
    }
    const deps = scene.deps({ frontier: new ThrottledOnce(scene.clients.dynamo, { frontier: scene.resources.frontierTable, jobs: scene.resources.jobsTable }, scene.clock) });
    const { client, jobId } = await submit(scene, {}, deps);

    await expect(crawlPage({ jobId, url: world.site.seed, depth: 0 }, deps)).rejects.toThrow(ProvisionedThroughputExceededException);
    // Not held until the lease runs out: the next delivery takes it. Nor does the throttling use
    // up an attempt: the release gave the claim's back.
    expect(await deps.frontier.get(jobId, urlKeyOf(world.site.seed))).toMatchObject({ state: 'queued', attempts: 0, stackFaults: 1 });
    await scene.drain(jobId, deps);
    const manifest = await manifestFrom(client, jobId);
    expect(manifest).toMatchObject({ status: 'succeeded', errors: [] });
    expect(manifest.pages).toHaveLength(4);
  });
});
