// Retries with backoff, and waits that cost no attempt (issue 27, items 3 and 5).
//
// The stack's visibility timeout is set far beyond the test's own wait for its job: a failed
// page's message that came back only after the visibility timeout (as before the backoff) would
// time the test out. With the backoff (core/retry-backoff.ts) it comes back after 10–20 s, set by
// ChangeMessageVisibility, and no sooner than the backoff's floor.
//
// The host ceiling is low (one navigation every 4 s), so the hub's children are sent paced to their
// turns and the retries wait for their host in the queue; with MAX_ATTEMPTS 2 a page whose waits
// counted as attempts would be given up. Only the page's own failure (a dropped connection) counts;
// a throttled DynamoDB (injected: CRAWLER_FAULTS throttle:) is the stack's and gives its attempt back.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { RETRY_BASE_SECONDS, RETRY_FLOOR_SECONDS } from '../../functions/core/retry-backoff.js';
import { crawl, paths, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings } from './support/machine.js';

/** navigations per second to one host: a slot every 4 s (plus the allowance) */
const CEILING = 0.25;
/**
 * Children sent paced to their turns seldom wait (each arrives on its own turn); a retry does. The
 * hub's children take turns an interval apart, CHILDREN + 1 of them (/flaky first) reserved when the
 * hub settles: 40 s of the host's backlog, twice the longest first backoff (20 s). So /flaky's retry,
 * and /p1's after its throttled try, come back while the backlog is still reserved, and wait for
 * their host in the queue: the waits whose cost the test checks are certain, not left to timing.
 */
const CHILDREN = 9;
/** how long /flaky stays broken: far below the backoff's floor, far above Chromium's own retry */
const FLAKY_MS = 3_000;

/** Requests in bursts: a new burst after a gap over FLAKY_MS (one burst = one try of the crawler). */
function bursts(at: number[]): number[][] {
  const out: number[][] = [];
  for (const t of [...at].sort((a, b) => a - b)) {
    const last = out.at(-1);
    if (last && t - last.at(-1)! <= FLAKY_MS) last.push(t);
    else out.push([t]);
  }
  return out;
}

interface Site {
  origin: string;
  /** document requests as they arrived, with the instant (ms) */
  arrivals: { path: string; at: number }[];
  stop(): Promise<void>;
}

/**
 * A hub `/` linking to `/p1` … `/pN` and `/flaky`; `/flaky` drops the connection for FLAKY_MS after
 * it is first asked (a failure of the page's own: the navigation fails; Chromium may retry a reset
 * connection itself at once, so one try can be several requests), and answers after that.
 */
async function startSite(children: number): Promise<Site> {
  const arrivals: { path: string; at: number }[] = [];
  const links = ['/flaky', ...Array.from({ length: children }, (_, i) => `/p${i + 1}`)];
  let flakyFirst: number | undefined;
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('User-agent: *\nAllow: /\n');
    }
    if (path !== '/' && !links.includes(path)) return res.writeHead(404).end();
    arrivals.push({ path, at: Date.now() });
    if (path === '/flaky' && Date.now() - (flakyFirst ??= Date.now()) < FLAKY_MS) {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    const hrefs = path === '/' ? links : ['/'];
    res.end(`<!doctype html><html><head><title>${path}</title><link rel="icon" href="data:,"></head><body>${hrefs.map((h) => `<a href="${h}">${h}</a>`).join(' ')}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The job's frontier items by path: attempts and the stack's faults as recorded. */
async function frontierOf(stack: LocalStack, jobId: string, origin: string): Promise<Map<string, { attempts: number; state: string; stackFaults?: number }>> {
  const dynamo = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, endpoint: stack.endpoints.dynamodb });
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await dynamo.send(
      new QueryCommand({
        TableName: stack.resources.frontierTable,
        KeyConditionExpression: 'jobId = :j',
        ExpressionAttributeValues: { ':j': { S: jobId } },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  dynamo.destroy();
  return new Map(items.map((item) => [String(item.url).slice(origin.length), item as { attempts: number; state: string; stackFaults?: number }]));
}

/** Debug lines of one kind from the workers' JSON logs. */
function logged<T>(lines: readonly string[], message: string): T[] {
  return lines.flatMap((line) => {
    const json = line.indexOf('{');
    if (json < 0 || !line.includes(message)) return [];
    try {
      const entry = JSON.parse(line.slice(json)) as { message?: string };
      return entry.message === message ? [entry as T] : [];
    } catch {
      return [];
    }
  });
}

let site: Site;
let stack: LocalStack;
const lines: string[] = [];
let jobWait: number;

beforeAll(async () => {
  site = await startSite(CHILDREN);
  const speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  // What the job may take: its pages at the host's pace, one backoff, and the machine's own pace.
  jobWait = jobWaitMs(timings, speed, { pages: CHILDREN + 2 }) + (CHILDREN + 2) * (1000 / CEILING) + 2 * RETRY_BASE_SECONDS * 1000;
  stack = await startTestStack({
    workers: 2,
    batchSize: 3,
    // Far beyond the job's wait: a retry that waited for the visibility timeout would time the test out.
    visibilityTimeoutSeconds: Math.max(300, Math.ceil((2 * jobWait) / 1000)),
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs), HOST_RATE_CEILING: String(CEILING), MAX_ATTEMPTS: '2' },
    // /p1 meets throttled DynamoDB once, right after its record was stored: the stack's fault.
    workerEnv: { POWERTOOLS_LOG_LEVEL: 'DEBUG', CRAWLER_FAULTS: 'throttle:after-store@/p1' },
    log: (line) => lines.push(line),
  });
});

afterAll(async () => {
  await stack?.stop();
  await site?.stop();
});

describe('a page that fails, and pages that wait for a busy host', () => {
  it('comes back after the backoff, long before the visibility timeout; waits cost no attempt and take one turn each', async () => {
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 1 }, jobWait);
    const expected = ['/', '/flaky', ...Array.from({ length: CHILDREN }, (_, i) => `/p${i + 1}`)].sort();
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: expected.length, failed: 0 });
    expect(paths(run.manifest.pages.map((p) => p.url), site.origin)).toEqual(expected);

    // (a) The flaky page was tried twice: the retry came no sooner than the backoff's floor.
    const flaky = bursts(site.arrivals.filter((a) => a.path === '/flaky').map((a) => a.at));
    expect(flaky).toHaveLength(2);
    expect(flaky[1]![0]! - flaky[0]![0]!).toBeGreaterThanOrEqual(RETRY_FLOOR_SECONDS * 1000);
    // … because the worker set that delay on the message (10–20 s for a first retry).
    const retries = logged<{ url: string; retryInSeconds?: number; receiveCount?: number }>(lines, 'message failed; it will be retried').filter((r) =>
      r.url.endsWith('/flaky'),
    );
    expect(retries).toHaveLength(1);
    expect(retries[0]!.retryInSeconds).toBeGreaterThanOrEqual(RETRY_FLOOR_SECONDS);
    expect(retries[0]!.retryInSeconds).toBeLessThanOrEqual(RETRY_BASE_SECONDS);

    // (b) Pages waited for their host (CHILDREN + 1 children claimed together, one slot every 4 s)…
    const hostWaits = (run.manifest as { hostWaits?: number }).hostWaits ?? 0;
    expect(hostWaits).toBeGreaterThan(0);
    // … and their attempts count only their own failures: one for each page, two for the flaky
    // one. /p1's throttled try was the stack's fault: its attempt was given back.
    const frontier = await frontierOf(stack, run.jobId, site.origin);
    for (const path of expected) {
      expect(frontier.get(path), path).toMatchObject({ state: 'done', attempts: path === '/flaky' ? 2 : 1 });
    }
    expect(frontier.get('/p1')?.stackFaults).toBe(1);
    expect(frontier.get('/flaky')?.stackFaults).toBeUndefined();
    const throttled = logged<{ url: string; retryInSeconds?: number }>(lines, 'message failed; it will be retried').filter((r) => r.url.endsWith('/p1'));
    expect(throttled).toHaveLength(1);
    expect(throttled[0]!.retryInSeconds).toBeGreaterThanOrEqual(RETRY_FLOOR_SECONDS);
    // Every other page was fetched once: a wait requested nothing of the host, and /p1's retry
    // reused the record its throttled try had stored.
    const others = site.arrivals.filter((a) => a.path !== '/flaky');
    expect(others.map((a) => a.path).sort()).toEqual(expected.filter((p) => p !== '/flaky'));

    // A waiting URL comes back on its own turn in the host's backlog: turns are one interval apart,
    // so the URLs do not all come back at once to find the slot taken again. Each of the children
    // waits about once; without turns, n URLs told the same instant make n(n-1)/2 round trips.
    const waits = logged<{ url: string; ticketAt?: number }>(lines, 'URL waits for its host');
    expect(waits.length).toBe(hostWaits);
    const turns = waits.map((w) => w.ticketAt).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    expect(turns.length).toBeGreaterThan(0);
    for (let i = 1; i < turns.length; i++) expect(turns[i]! - turns[i - 1]!).toBeGreaterThanOrEqual(1000 / CEILING);
    const children = CHILDREN + 1;
    if (process.env.E2E_VERBOSE) console.log(`host waits: ${hostWaits} for ${children} children; turns ${JSON.stringify(turns)}`);
    // A tab that opened late used to ask for a new slot, find the next one an interval (4 s) on,
    // beyond any sleep bound, and wait in the queue once more at the back of the backlog (14 waits
    // on a very busy machine); it now moves its own slot to now when no one reserved after it
    // (HostRateGate.slide, test/integration/host-rate.test.ts).
    expect(hostWaits).toBeLessThanOrEqual(2 * children);
    // And no tab was opened for a wait: one navigation slot was logged per try of a page.
    expect(logged(lines, 'navigation slot').length).toBe(others.length + flaky.length);

    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });
});
