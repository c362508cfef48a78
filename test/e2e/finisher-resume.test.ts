// The finisher killed in the middle of a job's archive (FINISHER_FAULTS=finisher-mid-archive#1: its
// process dies once the WACZ's first part is uploaded and checkpointed). The site is 8 pages, each
// loading a script of ~2.7 MiB (random bytes in base64: gzip keeps ~2 MiB of it), so the archive
// is ~16 MiB: with S3's smallest part (5 MiB, which the emulator enforces too) that is two full
// parts and a last one, and the fault is certain to fire. Its finish message comes
// back after the finish queue's visibility timeout; the next finisher resumes the same multipart
// upload from the checkpoint, not from the first page. The job ends once, with one `completed`, a
// manifest, and a WACZ whose files match its datapackage and whose index finds every record.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WaczReader } from '../../functions/adapters/archive/wacz-reader.js';
import type { ArchiveCheckpoint } from '../../functions/adapters/dynamodb/finish-checkpoints.js';
import { JOBS_KEY } from '../../functions/adapters/dynamodb/table-definitions.js';
import type { LocalStack } from '../../local/stack.js';
import { parseWarc } from '../integration/fixtures-archive/warc.js';
import { clientsFor, crawl, paths, readObject, settleAndCountCompletions, startTestStack, type CrawlRun } from './harness.js';
import { jobWaitMs, machineSpeed, stackTimings } from './support/machine.js';

/** S3's smallest part but the last */
const PART_BYTES = 5 * 1024 * 1024;
const FAULT_AFTER_PARTS = 1;
const PAGES = 8;
const SCRIPT_RANDOM_BYTES = 2 * 1024 * 1024;

interface HeavySite {
  origin: string;
  paths: string[];
  scriptBytes: number;
  stop(): Promise<void>;
}

/** `/` and /p1.html … /p7.html, each loading its own script of random text; `/` links to the others. */
async function startHeavySite(): Promise<HeavySite> {
  // a comment: the browser loads it, the archive keeps it whole (a script, not a download)
  const scripts = new Map(Array.from({ length: PAGES }, (_, i) => [`/script-${i}.js`, Buffer.from(`// ${randomBytes(SCRIPT_RANDOM_BYTES).toString('base64')}\n`)]));
  const paths = ['/', ...Array.from({ length: PAGES - 1 }, (_, i) => `/p${i + 1}.html`)];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const script = scripts.get(path);
    if (script) {
      res.writeHead(200, { 'content-type': 'application/javascript', 'content-length': script.length });
      res.end(script);
      return;
    }
    const index = paths.indexOf(path);
    if (index < 0) {
      res.writeHead(404).end();
      return;
    }
    const links = index === 0 ? paths.slice(1).map((p) => `<a href="${p}">${p}</a>`).join(' ') : '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html><head><title>Page ${index}</title></head><body><h1>Page ${index}</h1><script src="/script-${index}.js"></script>${links}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, paths, scriptBytes: scripts.get('/script-0.js')!.length, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

let stack: LocalStack | undefined;
let site: HeavySite | undefined;
let run: CrawlRun;
let dir: string;
/** the finisher's timeout: an invocation has ended by then */
let finisherTimeout = 0;
const lines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'finisher-resume-'));
  site = await startHeavySite();
  const speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  // The finisher gets a crawler invocation's time (far more than this job's archive needs), and
  // its queue's visibility is above that plus the finish lease's margin, as on AWS.
  const finisherTimeoutMs = timings.workerTimeoutMs;
  finisherTimeout = finisherTimeoutMs;
  const finishVisibilityTimeoutSeconds = Math.ceil(finisherTimeoutMs / 1000) + 10;
  stack = await startTestStack({
    log: (line) => lines.push(line),
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    finisherTimeoutMs,
    finishVisibilityTimeoutSeconds,
    finishers: 1,
    finisherEnv: { FINISHER_PART_BYTES: String(PART_BYTES), FINISHER_FAULTS: `finisher-mid-archive#${FAULT_AFTER_PARTS}` },
  });
  const wait = jobWaitMs(timings, speed, { pages: PAGES }) + finishVisibilityTimeoutSeconds * 1000 + finisherTimeoutMs;
  try {
    run = await crawl(stack, { url: `${site.origin}/`, depth: 1, formats: ['archive'] }, wait);
  } catch (error) {
    // what the finisher and the sweeper did is what a failure here needs to be read
    console.log(lines.filter((line) => /finish|sweep/i.test(line)).slice(-30).join('\n'));
    throw error;
  }
}, 600_000);

afterAll(async () => {
  // E2E_VERBOSE prints the stack's log as it goes; this keeps it for a run that failed quietly
  if (process.env.FINISHER_TEST_LOG) await writeFile(process.env.FINISHER_TEST_LOG, lines.join('\n'));
  await run?.client.close();
  await Promise.all([stack?.stop(), site?.stop()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('a finisher killed mid-archive is resumed from its checkpoint and the job ends once', async () => {
  // the fault fired: a finisher's process died in the middle of its invocation
  expect(lines.some((line) => line.includes('injected fault') && line.includes('finisher-mid-archive'))).toBe(true);
  expect(lines.some((line) => line.includes('died during the invocation'))).toBe(true);
  // one finisher invocation failed, the killed one; the next one completed the job. It sends
  // `completed` before it returns: its invocation is counted once it has (within its timeout).
  const until = Date.now() + finisherTimeout;
  while (!stack!.finisherInvocations().some((i) => i.ok) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  const invocations = stack!.finisherInvocations();
  expect(invocations.filter((i) => !i.ok)).toHaveLength(1);
  expect(invocations.filter((i) => i.ok).length).toBeGreaterThanOrEqual(1);

  expect(run.completed).toMatchObject({ status: 'succeeded', failed: 0 });
  expect(paths(run.manifest.pages.map((p) => p.url), site!.origin)).toEqual([...site!.paths].sort());
  expect(await settleAndCountCompletions(run)).toBe(1);

  // the next finisher resumed where the dead one stopped: at the pages of its first part, not at 0
  const resumed = lines.map((line) => /"resumedAtPage":(\d+)/.exec(line)).find((m) => m && Number(m[1]) > 0);
  expect(resumed, 'a finisher logged an archive resumed past its first page').toBeTruthy();
  const { dynamo } = clientsFor(stack!);
  const item = await dynamo.send(
    new GetItemCommand({ TableName: stack!.resources.jobsTable, Key: { [JOBS_KEY.partitionKey]: { S: `${run.jobId}#finish` } }, ConsistentRead: true }),
  );
  const checkpoint = unmarshall(item.Item ?? {}).archive as ArchiveCheckpoint;
  expect(checkpoint.done).toBe(true);
  // one upload all along: the parts the dead finisher wrote were kept, and more followed
  expect(checkpoint.etags.length).toBeGreaterThan(FAULT_AFTER_PARTS);
  expect(lines.filter((line) => line.includes('archive resumed from its checkpoint')).length).toBe(1);

  // the WACZ: every file matches datapackage.json, and the index finds each record it names
  const response = await fetch(run.completed.archiveUrl as string);
  expect(response.status).toBe(200);
  const path = join(dir, 'archive.wacz');
  await writeFile(path, Buffer.from(await response.arrayBuffer()));
  const reader = await WaczReader.open(path);
  try {
    expect(reader.entries().map((e) => e.name)).toEqual(['archive/data.warc.gz', 'indexes/index.cdxj', 'pages/pages.jsonl', 'datapackage.json', 'datapackage-digest.json']);
    const datapackage = JSON.parse((await reader.read('datapackage.json')).toString('utf8')) as { resources: { path: string; hash: string; bytes: number }[] };
    for (const resource of datapackage.resources) {
      const body = await reader.read(resource.path);
      expect(body.length, resource.path).toBe(resource.bytes);
      expect(`sha256:${createHash('sha256').update(body).digest('hex')}`, resource.path).toBe(resource.hash);
    }
    const digest = JSON.parse((await reader.read('datapackage-digest.json')).toString('utf8')) as { hash: string };
    expect(digest.hash).toBe(`sha256:${createHash('sha256').update(await reader.read('datapackage.json')).digest('hex')}`);

    // exactly the pages' own WARC records, each once, after the archive's warcinfo: the resumed
    // finisher neither lost nor appended again what the parts it kept hold
    const records = await parseWarc(await reader.read('archive/data.warc.gz'));
    const { s3 } = clientsFor(stack!);
    const own: string[] = [];
    let archivedPages = 0;
    for (const page of run.manifest.pages) {
      const record = await readObject<{ outputs?: { archive?: { files?: Record<string, string> } } }>(stack!, page.key);
      const warcKey = record.outputs?.archive?.files?.['archive'];
      if (!warcKey) continue;
      archivedPages++;
      const object = await s3.send(new GetObjectCommand({ Bucket: stack!.resources.bucket, Key: warcKey }));
      own.push(...(await parseWarc(await object.Body!.transformToByteArray())).map((r) => r.id));
    }
    expect(own.length).toBeGreaterThan(0);
    expect(records[0]?.type).toBe('warcinfo');
    expect(records.slice(1).map((r) => r.id).sort()).toEqual(own.sort());

    const index = (await reader.read('indexes/index.cdxj')).toString('utf8').trim().split('\n');
    expect(index.length).toBeGreaterThan(0);
    for (const line of index) {
      const fields = JSON.parse(line.slice(line.indexOf('{'))) as { url: string; offset: string; length: string };
      const [record] = await parseWarc(await reader.readRange('archive/data.warc.gz', Number(fields.offset), Number(fields.length)));
      expect(record?.uri, line).toBe(fields.url);
    }
    const listed = (await reader.read('pages/pages.jsonl')).toString('utf8').trim().split('\n').slice(1);
    expect(listed.length).toBe(archivedPages);
    expect(archivedPages).toBe(PAGES);
    // every script whole in the archive, across part boundaries
    const scripts = records.filter((r) => r.type === 'response' && /\/script-\d+\.js$/.test(r.uri));
    expect(scripts.map((r) => r.payload.length)).toEqual(Array.from({ length: PAGES }, () => site!.scriptBytes));
  } finally {
    reader.close();
  }
});
