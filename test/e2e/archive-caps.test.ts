// The job-wide archive byte cap through the stack: the demo site crawled with `archive` by two
// crawler environments at once under ARCHIVE_MAX_JOB_BYTES=2048. The job still succeeds with every
// page crawled (title, links); the WACZ stops growing at the cap (its payload bytes within it, the
// job's counter at most the cap); each page is either archived or its record says it was left out
// at the cap; only archived pages are listed in the WACZ.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { archiveBytesPartition, TOTAL_KEY } from '../../functions/adapters/archive/dynamo-archive-byte-budget.js';
import { WaczReader } from '../../functions/adapters/archive/wacz-reader.js';
import { FRONTIER_KEY } from '../../functions/adapters/dynamodb/table-definitions.js';
import { startDemoSite, type DemoSite } from '../../local/demo-site.js';
import type { LocalStack } from '../../local/stack.js';
import { parseWarc } from '../integration/fixtures-archive/warc.js';
import { clientsFor, crawl, readObject, startTestStack, type CrawlRun } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings } from './support/machine.js';

const CAP = 2048;

let stack: LocalStack | undefined;
let site: DemoSite | undefined;
let run: CrawlRun;
let dir: string;

interface PageRecord {
  page: { title: string; links: string[] };
  outputs?: { archive?: { files?: Record<string, string>; skipped?: string; fields?: { archive?: { payloadBytes: number; cutByJobCap: number } } } };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'archive-caps-'));
  site = await startDemoSite();
  const speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  stack = await startTestStack({
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { ARCHIVE_MAX_JOB_BYTES: String(CAP) },
  });
  run = await crawl(stack, { url: `${site.origin}/`, depth: 2, formats: ['archive'] }, jobWaitMs(timings, speed, { pages: 12 }));
});

afterAll(async () => {
  await run?.client.close();
  await Promise.all([stack?.stop(), site?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('crawls every page, archives until the cap and says which pages were left out', async () => {
  expect(run.completed.status).toBe('succeeded');
  const crawled = run.manifest.pages.filter((p) => p.status === 200);
  // the same pages as without a cap (test/e2e/archive-replay.test.ts): the cap bounds the archive, not the crawl
  expect(crawled.length).toBeGreaterThanOrEqual(9);
  expect(run.completed.archiveUrl).toEqual(expect.any(String));

  const archived: string[] = [];
  const leftOut: string[] = [];
  // every page of the manifest (the 404 too: its exchange is archived like any other)
  for (const page of run.manifest.pages) {
    const record = await readObject<PageRecord>(stack!, page.key);
    if (page.status === 200 && (page.url.endsWith('.html') || page.url.endsWith('/'))) expect(record.page.title, page.url).not.toBe('');
    const archive = record.outputs?.archive;
    if (archive?.files?.['archive']) archived.push(page.url);
    else {
      expect(archive?.skipped, page.url).toMatch(/byte cap/);
      leftOut.push(page.finalUrl);
    }
  }
  expect(archived.length).toBeGreaterThan(0);
  expect(leftOut.length).toBeGreaterThan(0);

  // the job's counter never passed the cap, across both crawler environments
  const { dynamo } = clientsFor(stack!);
  const counter = await dynamo.send(
    new GetItemCommand({
      TableName: stack!.resources.frontierTable,
      Key: { [FRONTIER_KEY.partitionKey]: { S: archiveBytesPartition(run.jobId) }, [FRONTIER_KEY.sortKey]: { S: TOTAL_KEY } },
      ConsistentRead: true,
    }),
  );
  const used = Number(counter.Item?.['used']?.N);
  expect(used).toBeGreaterThan(0);
  expect(used).toBeLessThanOrEqual(CAP);

  // the WACZ: payload within the cap, only the archived pages listed
  const response = await fetch(run.completed.archiveUrl as string);
  expect(response.status).toBe(200);
  const path = join(dir, 'archive.wacz');
  await writeFile(path, Buffer.from(await response.arrayBuffer()));
  const reader = await WaczReader.open(path);
  try {
    const records = await parseWarc(await reader.read('archive/data.warc.gz'));
    const payload = records.filter((r) => r.type === 'response').reduce((sum, r) => sum + r.payload.length, 0);
    expect(payload).toBeLessThanOrEqual(CAP);
    expect(payload).toBe(used);
    const documents = new Set(records.filter((r) => r.type === 'response').map((r) => r.uri));
    for (const url of leftOut) expect(documents.has(url), url).toBe(false);
    const listed = (await reader.read('pages/pages.jsonl'))
      .toString('utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => (JSON.parse(line) as { url: string }).url);
    expect(new Set(listed)).toEqual(new Set(archived));
  } finally {
    reader.close();
  }
});
