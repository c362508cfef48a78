// The archive page product in the real renderer (headless @sparticuz/chromium, single-process as on
// Lambda) with a request guard intercepting every request, against a site on 127.0.0.1, and its
// payload digests on DynamoDB Local: every exchange becomes a response + request pair, a redirect
// hop is its own exchange, a stylesheet already archived by another page is a revisit, a retried
// page writes the same full records again, and the page's byte cap cuts and marks bodies.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTable } from '../../local/provision.js';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPayloadDigests } from '../../functions/adapters/archive/dynamo-payload-digests.js';
import type { RequestGuard } from '../../functions/adapters/browser/request-guard.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { ArchiveProduct, type ArchiveFacts } from '../../functions/adapters/products/archive.js';
import type { ProductRegistry } from '../../functions/adapters/products/page-product.js';
import { TABLES } from '../../functions/adapters/dynamodb/table-definitions.js';
import type { Logger, ProductFile, RenderedPage } from '../../functions/core/ports.js';
import { startDynamoDb, type RunningEmulator } from '../../local/emulators/dynamodb.js';
import { API_LINKS, BIG_IMAGE, IMAGE, STYLESHEET, startArchiveSite, type ArchiveSite } from './fixtures-archive/site.js';
import { parseWarc, type ParsedRecord } from './fixtures-archive/warc.js';

const timing = { navigationTimeoutMs: 10_000, settleIdleMs: 500, settleMaxMs: 5_000, products: [{ name: 'archive' }] };
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let site: ArchiveSite;
let dynamo: RunningEmulator;
let db: DynamoDBDocumentClient;
let renderer: PuppeteerRenderer;
/** what the registry gives the next page: the job and its byte cap */
const job = { id: randomUUID(), maxPageBytes: 20 * 1024 * 1024 };
const at = (path: string) => `${site.origin}${path}`;

// the guard refuses one script: the archive records around an intercepting renderer
const guard: RequestGuard = async (url) => (url.endsWith('/blocked.js') ? { allowed: false, reason: 'refused by the test guard' } : { allowed: true });

async function renderArchived(path: string): Promise<{ page: RenderedPage; records: ParsedRecord[]; facts: ArchiveFacts; file: ProductFile }> {
  const page = await renderer.render(at(path), timing);
  const output = page.products?.['archive'];
  expect(output?.error).toBeUndefined();
  const file = output?.files?.[0];
  expect(file).toMatchObject({ name: 'archive', extension: 'warc.gz', contentType: 'application/warc' });
  return { page, records: await parseWarc(file!.body), facts: output!.fields!['archive'] as ArchiveFacts, file: file! };
}

const byUri = (records: ParsedRecord[], uri: string, type: string) => records.filter((r) => r.uri === uri && r.type === type);

beforeAll(async () => {
  site = await startArchiveSite();
  dynamo = await startDynamoDb({ port: 0 });
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials });
  await createTable(raw, 'frontier', TABLES.frontier);
  db = DynamoDBDocumentClient.from(raw);
  const digests = new DynamoPayloadDigests(db, 'frontier', Math.floor(Date.now() / 1000) + 3600);
  const products: ProductRegistry = (request) =>
    request.name === 'archive' ? new ArchiveProduct({ jobId: job.id, digests, maxPageBytes: job.maxPageBytes, log: quiet }) : undefined;
  renderer = new PuppeteerRenderer({ log: quiet, guard, products });
});

afterAll(async () => {
  await renderer?.close();
  await site?.close();
  await dynamo?.stop();
});

describe('archive product', () => {
  let home: Awaited<ReturnType<typeof renderArchived>>;

  it('records every exchange of a page as a response and a request, headers and decoded bodies kept', async () => {
    home = await renderArchived('/');
    const { page, records, facts } = home;
    expect(page.title).toBe('home');
    expect(page.links).toEqual(expect.arrayContaining(API_LINKS.map(at)));

    const apiUrl = records.find((r) => r.uri.startsWith(at('/api/links?_=')))?.uri;
    expect(apiUrl).toBeDefined();
    for (const uri of [at('/'), at('/style.css'), at('/shared.png'), apiUrl!]) {
      const [response] = byUri(records, uri, 'response');
      const [request] = byUri(records, uri, 'request');
      expect(response, uri).toBeDefined();
      expect(request?.header('WARC-Concurrent-To'), uri).toBe(response!.id);
      expect(response!.header('WARC-Payload-Digest')).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(response!.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(response!.status).toBe(200);
    }
    // the guard's refusal left nothing to record
    expect(records.some((r) => r.uri.endsWith('/blocked.js'))).toBe(false);

    // the document came gzipped: stored decoded, with no Content-Encoding left to mislead a replay
    const [document] = byUri(records, at('/'), 'response');
    expect(document!.httpHeader('content-encoding')).toBeNull();
    expect(Buffer.from(document!.payload).toString('utf8')).toContain('<title>home</title>');
    expect(Number(document!.httpHeader('content-length'))).toBe(document!.payload.length);
    // the request as sent, Host header included
    const [documentRequest] = byUri(records, at('/'), 'request');
    expect(documentRequest!.httpHeader('host')).toBe(new URL(site.origin).host);

    expect(Buffer.from(byUri(records, at('/style.css'), 'response')[0]!.payload).toString('utf8')).toBe(STYLESHEET);
    expect(Buffer.compare(Buffer.from(byUri(records, at('/shared.png'), 'response')[0]!.payload), IMAGE)).toBe(0);
    expect(JSON.parse(Buffer.from(byUri(records, apiUrl!, 'response')[0]!.payload).toString('utf8'))).toEqual(API_LINKS);
    expect(facts).toMatchObject({ records: records.length, bytes: home.file.body.length, truncated: 0, revisits: 0 });
  });

  it('writes a payload the job archived already as a revisit of the first record', async () => {
    const { records, facts } = await renderArchived('/a');
    const [firstCss] = byUri(home.records, at('/style.css'), 'response');
    const [revisit] = byUri(records, at('/style.css'), 'revisit');
    expect(revisit).toBeDefined();
    expect(byUri(records, at('/style.css'), 'response')).toHaveLength(0);
    expect(revisit!.header('WARC-Refers-To-Target-URI')).toBe(at('/style.css'));
    expect(revisit!.header('WARC-Refers-To-Date')).toBe(firstCss!.date);
    expect(revisit!.header('WARC-Profile')).toBe('http://netpreserve.org/warc/1.1/revisit/identical-payload-digest');
    expect(revisit!.header('WARC-Payload-Digest')).toBe(firstCss!.header('WARC-Payload-Digest'));
    expect(revisit!.payload).toHaveLength(0);
    expect(revisit!.status).toBe(200);
    expect(byUri(records, at('/style.css'), 'request')[0]?.header('WARC-Concurrent-To')).toBe(revisit!.id);
    expect(byUri(records, at('/shared.png'), 'revisit')).toHaveLength(1);
    // the page's own document is new
    expect(byUri(records, at('/a'), 'response')).toHaveLength(1);
    expect(facts.revisits).toBe(2);
  });

  it('records each redirect hop as its own exchange', async () => {
    const { page, records } = await renderArchived('/old-b');
    expect(page.finalUrl).toBe(at('/b'));
    const [hop] = byUri(records, at('/old-b'), 'response');
    expect(hop?.status).toBe(302);
    expect(hop?.httpHeader('location')).toBe('/b');
    expect(hop?.payload).toHaveLength(0);
    expect(byUri(records, at('/old-b'), 'request')).toHaveLength(1);
    expect(byUri(records, at('/b'), 'response')[0]?.status).toBe(200);
    const order = records.filter((r) => r.type === 'response').map((r) => r.uri);
    expect(order.indexOf(at('/old-b'))).toBeLessThan(order.indexOf(at('/b')));
  });

  it('gives a retried page the full records it claimed, dated as first claimed', async () => {
    const again = await renderArchived('/');
    const [first] = byUri(home.records, at('/style.css'), 'response');
    const [css] = byUri(again.records, at('/style.css'), 'response');
    expect(css).toBeDefined();
    expect(byUri(again.records, at('/style.css'), 'revisit')).toHaveLength(0);
    expect(css!.date).toBe(first!.date);
    expect(again.facts.revisits).toBe(0);
  });

  it('sees another environment’s claim through DynamoDB', async () => {
    const [css] = byUri(home.records, at('/style.css'), 'response');
    const elsewhere = new DynamoPayloadDigests(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials })),
      'frontier',
      Math.floor(Date.now() / 1000) + 3600,
    );
    const claim = await elsewhere.claim(job.id, css!.header('WARC-Payload-Digest')!, at('/other.css'), new Date().toISOString(), at('/other'));
    expect(claim).toEqual({ first: false, uri: at('/style.css'), date: css!.date });
  });

  // A page chooses its subresources' URLs: a 1.5 MB one must not make a digest item over DynamoDB's
  // 400 KB (nor be cut, since a revisit must name its original whole): it is simply not deduplicated.
  it('does not deduplicate a payload whose URL is too long to store, and stores nothing for it', async () => {
    const digests = new DynamoPayloadDigests(db, 'frontier', Math.floor(Date.now() / 1000) + 3600);
    const digest = `sha256:${'ab'.repeat(32)}`;
    const jobId = randomUUID();
    const date = new Date().toISOString();
    const longUri = at(`/img?${'q'.repeat(1_500_000)}`);
    expect(await digests.claim(jobId, digest, longUri, date, at('/long'))).toEqual({ first: true, uri: longUri, date });
    // Nothing was written: the next page with that payload is its first holder, and the one after sees it.
    expect(await digests.claim(jobId, digest, at('/a.png'), date, at('/a'))).toEqual({ first: true, uri: at('/a.png'), date });
    expect(await digests.claim(jobId, digest, at('/b.png'), date, at('/b'))).toEqual({ first: false, uri: at('/a.png'), date });
    // The same from a page whose own URL is too long.
    expect(await digests.claim(jobId, `sha256:${'cd'.repeat(32)}`, at('/c.png'), date, at(`/c?${'q'.repeat(10_000)}`))).toMatchObject({ first: true });
    expect(await digests.claim(jobId, `sha256:${'cd'.repeat(32)}`, at('/d.png'), date, at('/d'))).toMatchObject({ first: true, uri: at('/d.png') });
  });

  it('cuts bodies over the page byte cap and marks them, and the page is still read', async () => {
    job.id = randomUUID();
    job.maxPageBytes = 50_000;
    try {
      const { page, records, facts } = await renderArchived('/big');
      expect(page.title).toBe('big');
      const [image] = byUri(records, at('/big.png'), 'response');
      expect(image?.header('WARC-Truncated')).toBe('length');
      expect(image!.payload.length).toBeLessThan(BIG_IMAGE.length);
      const kept = records.filter((r) => r.type === 'response').reduce((sum, r) => sum + r.payload.length, 0);
      expect(kept).toBeLessThanOrEqual(50_000);
      expect(facts.truncated).toBeGreaterThanOrEqual(1);
      // a truncated body is never shared as a revisit target
      expect(records.some((r) => r.type === 'revisit')).toBe(false);
    } finally {
      job.maxPageBytes = 20 * 1024 * 1024;
    }
  });
});
