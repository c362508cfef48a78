// The jobs table holds more than jobs: the stack's own items (the host rate gate's
// `host-rate#<host>`, a job's counter shards `<jobId>#shard#<k>`) live beside them. A client names a
// job only by an id the crawl route made (a UUID), and only an item with its owner is a job: asking
// `status` of `host-rate#127.0.0.1` must not tell whether anyone crawled that host today.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, PutCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { answerOf, connectClient, type TestClient } from './support/test-client.js';
import { clientsFor, crawl, startTestStack } from './harness.js';
import { jobWaitAtLeast, machineSpeed, replyWaitMs } from './support/machine.js';

let stack: LocalStack;
let site: Server;
let origin: string;
let client: TestClient;

beforeAll(async () => {
  site = createServer((req, res) => {
    if (req.url === '/robots.txt') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html' }).end('<title>one page</title>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  stack = await startTestStack({ workers: 1 });
  client = await connectClient(stack.wsUrl, { requestTimeoutMs: replyWaitMs(await machineSpeed()) });
});

afterAll(async () => {
  await client?.close();
  await stack?.stop();
  site?.closeAllConnections();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
});

/** The answer to a typed status, cancel or redrive: its message, or the error it was refused with. */
async function ask({ action, jobId }: { action: 'status' | 'cancel' | 'redrive'; jobId: string }): Promise<Record<string, unknown>> {
  return (await answerOf(client[action](jobId) as Promise<unknown>)) as Record<string, unknown>;
}

it("answers invalid_request naming jobId for the table's other key shapes, and not_found for an item without an owner", async () => {
  const run = await crawl(stack, { url: `${origin}/`, depth: 0 }, await jobWaitAtLeast(120_000));
  expect(run.completed).toMatchObject({ status: 'succeeded', pages: 1 });
  await run.client.close();

  // The items a probe would aim at are there: the gate's item for the host just crawled, the job's shards.
  const dynamo = DynamoDBDocumentClient.from(clientsFor(stack).dynamo);
  const keys = ((await clientsFor(stack).dynamo.send(new ScanCommand({ TableName: stack.resources.jobsTable, ProjectionExpression: 'jobId' }))).Items ?? []).map(
    (item) => item.jobId!.S!,
  );
  const hostRateKeys = keys.filter((key) => key.startsWith('host-rate#'));
  expect(hostRateKeys.length, keys.join(', ')).toBeGreaterThan(0);
  const shardKeys = keys.filter((key) => key.startsWith(`${run.jobId}#`));

  for (const jobId of [...hostRateKeys, ...shardKeys, 'host-rate#example.com', 'no-such-job', run.jobId.toUpperCase()]) {
    for (const action of ['status', 'cancel', 'redrive'] as const) {
      const reply = await ask({ action, jobId });
      expect(reply, `${action} ${jobId}`).toMatchObject({ type: 'error', code: 'invalid_request' });
      expect(reply.message).toMatch(/^jobId: /);
    }
  }

  // The job itself answers; the same item under another id without its owner is no one's job, while
  // a copy that keeps the owner is found (so it is the missing owner that hides the first).
  expect(await ask({ action: 'status', jobId: run.jobId })).toMatchObject({ type: 'status', jobId: run.jobId, status: 'succeeded' });
  const job = (await dynamo.send(new GetCommand({ TableName: stack.resources.jobsTable, Key: { jobId: run.jobId }, ConsistentRead: true }))).Item!;
  expect(typeof job.owner).toBe('string');
  const { owner: _owner, ...ownerless } = job;
  const ownerlessId = randomUUID();
  const ownedId = randomUUID();
  await dynamo.send(new PutCommand({ TableName: stack.resources.jobsTable, Item: { ...ownerless, jobId: ownerlessId } }));
  await dynamo.send(new PutCommand({ TableName: stack.resources.jobsTable, Item: { ...job, jobId: ownedId } }));
  expect(await ask({ action: 'status', jobId: ownedId })).toMatchObject({ type: 'status', jobId: ownedId, status: 'succeeded' });
  for (const action of ['status', 'cancel', 'redrive'] as const) {
    const reply = await ask({ action, jobId: ownerlessId });
    expect(reply, action).toMatchObject({ type: 'error', code: 'job_not_found', jobId: ownerlessId });
  }
  expect(client.closed).toBe(false);
  expect(client.reconnects, 'the server never closed the connection').toBe(0);
});
