// The archive's byte caps. The job-wide one is a conditional counter on DynamoDB Local: thirty
// pages asking at once through three clients (three "environments") get exactly the cap between
// them, a retried page gets its first grant back and is not counted twice. Then the archive product
// in the real renderer (headless @sparticuz/chromium) against a site on 127.0.0.1, with a small job
// cap: a page within it is archived whole, the page that crosses it has the body beyond the grant
// cut and marked WARC-Truncated, the pages after it are still crawled (title, links) but not
// archived (`skipped`), and a retry of the crossing page cuts at the same place.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../local/provision.js';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveBytesPartition, DynamoArchiveByteBudget, TOTAL_KEY } from '../../functions/adapters/archive/dynamo-archive-byte-budget.js';
import { InMemoryPayloadDigests } from '../../functions/adapters/archive/payload-digests.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { FRONTIER_KEY, TABLES } from '../../functions/adapters/dynamodb/table-definitions.js';
import { ArchiveProduct, type ArchiveFacts } from '../../functions/adapters/products/archive.js';
import type { ProductRegistry } from '../../functions/adapters/products/page-product.js';
import type { Logger } from '../../functions/core/ports.js';
import { startDynamoDb, type RunningEmulator } from '../../local/emulators/dynamodb.js';
import { BIG_IMAGE, startArchiveSite, type ArchiveSite } from './fixtures-archive/site.js';
import { parseWarc } from './fixtures-archive/warc.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const timing = { navigationTimeoutMs: 10_000, settleIdleMs: 500, settleMaxMs: 5_000, products: [{ name: 'archive' }] };
const expires = () => Math.floor(Date.now() / 1000) + 3600;

let dynamo: RunningEmulator;
const client = () => DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials }));
let db: DynamoDBDocumentClient;

async function used(jobId: string): Promise<number> {
  const { Item } = await db.send(
    new GetCommand({ TableName: 'frontier', Key: { [FRONTIER_KEY.partitionKey]: archiveBytesPartition(jobId), [FRONTIER_KEY.sortKey]: TOTAL_KEY }, ConsistentRead: true }),
  );
  return Number(Item?.['used'] ?? 0);
}

beforeAll(async () => {
  dynamo = await startDynamoDb({ port: 0 });
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
  await createTable(raw, 'frontier', TABLES.frontier);
  db = DynamoDBDocumentClient.from(raw);
});

afterAll(async () => {
  await dynamo?.stop();
});

describe('the job byte budget on DynamoDB', () => {
  it('grants exactly the cap to pages asking at once from several environments, at most one of them in part', async () => {
    const jobId = randomUUID();
    const cap = 10_500;
    const environments = [client(), client(), client()].map((c) => new DynamoArchiveByteBudget(c, 'frontier', cap, expires()));
    const pages = Array.from({ length: 30 }, (_, i) => `http://127.0.0.1/page-${i}`);
    const grants = await Promise.all(pages.map((page, i) => environments[i % 3]!.reserve(jobId, page, 1000)));
    const granted = grants.map((g) => g.granted);
    expect(granted.reduce((a, b) => a + b, 0)).toBe(cap);
    expect(granted.filter((g) => g === 1000)).toHaveLength(10);
    expect(granted.filter((g) => g > 0 && g < 1000)).toEqual([500]);
    expect(granted.filter((g) => g === 0)).toHaveLength(19);
    expect(grants.filter((g) => g.exhausted)).toHaveLength(20);
    expect(await used(jobId)).toBe(cap);

    // Every page again (a retry, a duplicate delivery, from another environment): the same grants,
    // nothing counted twice.
    const again = await Promise.all(pages.map((page, i) => environments[(i + 1) % 3]!.reserve(jobId, page, 1000)));
    expect(again.map((g) => g.granted)).toEqual(granted);
    expect(await used(jobId)).toBe(cap);
    // a retry that wants less gets no more than it wants; one that wants more gets its first grant
    const firstFull = pages[granted.indexOf(1000)]!;
    expect((await environments[0]!.reserve(jobId, firstFull, 10)).granted).toBe(10);
    expect((await environments[0]!.reserve(jobId, firstFull, 5000)).granted).toBe(1000);
    expect(await used(jobId)).toBe(cap);
    // a page with nothing to record learns the job is full without a grant
    expect(await environments[1]!.reserve(jobId, 'http://127.0.0.1/empty', 0)).toEqual({ granted: 0, exhausted: true });
  });

  it('keeps jobs apart', async () => {
    const budget = new DynamoArchiveByteBudget(db, 'frontier', 100, expires());
    const [a, b] = [randomUUID(), randomUUID()];
    expect(await budget.reserve(a, 'http://x/', 100)).toEqual({ granted: 100, exhausted: false });
    expect(await budget.reserve(b, 'http://x/', 150)).toEqual({ granted: 100, exhausted: true });
    expect(await budget.reserve(a, 'http://x/2', 1)).toEqual({ granted: 0, exhausted: true });
  });
});

describe('the archive product under the job cap', () => {
  let site: ArchiveSite;
  let renderer: PuppeteerRenderer;
  const jobId = randomUUID();
  // the home page (document, stylesheet, 4 KB image, JSON) fits; /big's 300 KB image crosses it
  const cap = 60_000;
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  const log: Logger = { debug() {}, info() {}, error() {}, warn: (message, fields) => warnings.push({ message, fields: fields ?? {} }) };
  const at = (path: string) => `${site.origin}${path}`;

  beforeAll(async () => {
    site = await startArchiveSite();
    const digests = new InMemoryPayloadDigests();
    const budget = new DynamoArchiveByteBudget(db, 'frontier', cap, expires());
    const products: ProductRegistry = (request) => (request.name === 'archive' ? new ArchiveProduct({ jobId, digests, budget, log }) : undefined);
    renderer = new PuppeteerRenderer({ log: { ...log, warn() {} }, products });
  });

  afterAll(async () => {
    await renderer?.close();
    await site?.close();
  });

  const render = async (path: string) => {
    const page = await renderer.render(at(path), timing);
    const output = page.products?.['archive'];
    expect(output?.error).toBeUndefined();
    const file = output?.files?.[0];
    return { page, output: output!, records: file ? await parseWarc(file.body) : [], facts: output?.fields?.['archive'] as ArchiveFacts | undefined };
  };
  const payloadOf = (records: Awaited<ReturnType<typeof parseWarc>>) => records.filter((r) => r.type === 'response').reduce((sum, r) => sum + r.payload.length, 0);

  let crossing: Awaited<ReturnType<typeof render>>;

  it('archives a page within the cap whole', async () => {
    const home = await render('/');
    expect(home.facts).toMatchObject({ truncated: 0, cutByJobCap: 0 });
    expect(home.records.some((r) => r.header('WARC-Truncated'))).toBe(false);
    expect(home.facts!.payloadBytes).toBe(payloadOf(home.records));
    expect(await used(jobId)).toBe(home.facts!.payloadBytes);
  });

  it('cuts the body beyond the job cap on the page that crosses it and marks it', async () => {
    const before = await used(jobId);
    crossing = await render('/big');
    expect(crossing.page.title).toBe('big');
    const [image] = crossing.records.filter((r) => r.type === 'response' && r.uri === at('/big.png'));
    expect(image?.header('WARC-Truncated')).toBe('length');
    expect(image!.payload.length).toBeLessThan(BIG_IMAGE.length);
    expect(Buffer.compare(Buffer.from(image!.payload), BIG_IMAGE.subarray(0, image!.payload.length))).toBe(0);
    // the document, requested first, is whole
    const [document] = crossing.records.filter((r) => r.type === 'response' && r.uri === at('/big'));
    expect(document?.header('WARC-Truncated')).toBeNull();
    expect(crossing.facts!.cutByJobCap).toBe(1);
    expect(payloadOf(crossing.records)).toBe(cap - before);
    expect(await used(jobId)).toBe(cap);
    expect(warnings.some((w) => /bodies cut/.test(w.message) && w.fields['url'] === at('/big'))).toBe(true);
  });

  it('crawls the pages after the cap but leaves them out of the archive, and says so', async () => {
    const a = await render('/a');
    expect(a.page.title).toBe('page a');
    expect(a.page.links).toContain(at('/'));
    expect(a.output.files).toBeUndefined();
    expect(a.output.skipped).toMatch(/byte cap/);
    expect(warnings.some((w) => /page not archived/.test(w.message) && w.fields['url'] === at('/a'))).toBe(true);
    expect(await used(jobId)).toBe(cap);
  });

  it('cuts a retried crossing page at the same place, counting nothing twice', async () => {
    const again = await render('/big');
    const size = (records: typeof again.records) => records.find((r) => r.type === 'response' && r.uri === at('/big.png'))?.payload.length;
    expect(size(again.records)).toBe(size(crossing.records));
    expect(await used(jobId)).toBe(cap);
  });
});
