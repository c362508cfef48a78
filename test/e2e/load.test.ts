// 100 WebSocket clients at once, each with its own small crawl: every job completes, and every
// completion reaches its own client and no other.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { connectClient } from './support/test-client.js';
import { startTestStack } from './harness.js';
import { HEADROOM, jobWaitAtLeast, machineSpeed, replyWaitMs } from './support/machine.js';

const CLIENTS = 100;
let stack: LocalStack;
let server: Server;
let origin = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<title>${req.url}</title><a href="${req.url}/child">child</a>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stack = await startTestStack({ workers: 3, batchSize: 5 });
});

afterAll(async () => {
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

it(`completes ${CLIENTS} concurrent jobs, each reported to its own client only`, async () => {
  // Locally one environment answers the crawl route, one request after another (on AWS each runs
  // in its own): the last of the ${CLIENTS} waits for all before it, on this machine as it is now.
  const speed = await machineSpeed();
  const acceptedWaitMs = replyWaitMs(speed) + CLIENTS * HEADROOM * speed.lightMs;
  const completedWaitMs = await jobWaitAtLeast(180_000, CLIENTS * 2);
  const started = Date.now();
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connectClient(stack.wsUrl, { requestTimeoutMs: acceptedWaitMs })));
  const jobIds = await Promise.all(
    clients.map(async (client, i) => {
      const job = await client.crawl({ url: `${origin}/client-${i}`, depth: 1, requestId: `client-${i}` });
      expect(await client.waitFor((m) => m.type === 'accepted'), `client ${i}`).toMatchObject({ type: 'accepted', requestId: `client-${i}`, jobId: job.jobId });
      return job.jobId;
    }),
  );
  expect(new Set(jobIds).size).toBe(CLIENTS);
  const completions = await Promise.all(clients.map((client, i) => client.waitFor((m) => m.type === 'completed', completedWaitMs).then((m) => ({ m, i }))));
  const seconds = (Date.now() - started) / 1000;
  for (const { m, i } of completions) {
    expect(m, `client ${i}`).toMatchObject({ jobId: jobIds[i], requestId: `client-${i}`, status: 'succeeded', pages: 2 });
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  clients.forEach((client, i) => {
    // Nothing about any other job ever reached this client.
    const foreign = client.received.filter((m) => 'jobId' in m && m.jobId !== jobIds[i]);
    expect(foreign, `client ${i}`).toEqual([]);
    expect(client.received.filter((m) => m.type === 'completed')).toHaveLength(1);
  });
  console.log(`load: ${CLIENTS} clients, ${CLIENTS * 2} pages, all completed in ${seconds.toFixed(1)} s`);
  await Promise.all(clients.map((c) => c.close()));
});
