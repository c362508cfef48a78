// Page formats through the whole stack: Markdown, text, screenshots, an extractor and the archive
// are made from the rendered page, kept in S3 beside the page records, exported as pages.jsonl and
// a WACZ, and announced in `completed`; unknown names are refused before anything starts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaczReader } from '../../functions/adapters/archive/wacz-reader.js';
import type { ContentLine } from '../../functions/app/content-export.js';
import { startDemoSite, type DemoSite } from '../../local/demo-site.js';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket } from './support/raw-socket.js';
import { countItems, crawl, readObject, settleAndCountCompletions, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings } from './support/machine.js';

type Line = ContentLine & { data?: Record<string, unknown> };

async function jsonLines(url: string): Promise<Line[]> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
}

const isPng = (bytes: Uint8Array) => Buffer.from(bytes.subarray(0, 8)).equals(Buffer.from('89504e470d0a1a0a', 'hex'));

describe.each([false, true])('formats, duplicate delivery %s', (duplicateDelivery) => {
  let stack: LocalStack;
  let site: DemoSite;
  beforeAll(async () => {
    site = await startDemoSite();
    const speed = await machineSpeed();
    const timings = stackTimings(speed, 3);
    stack = await startTestStack({
      duplicateDelivery,
      visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
      workerTimeoutMs: timings.workerTimeoutMs,
      env: { LEASE_MS: String(timings.leaseMs) },
    });
  });
  afterAll(async () => {
    await Promise.all([stack?.stop(), site?.stop()]);
  });

  it('keeps Markdown, text, screenshots, extractor data and an archive of every page, once each', async () => {
    const speed = await machineSpeed();
    const timings = stackTimings(speed, 3);
    const run = await crawl(
      stack,
      { url: `${site.origin}/`, depth: 1, formats: ['markdown', 'text', 'screenshot', 'archive', 'html'], extract: 'metadata' },
      jobWaitMs(timings, speed, { pages: 8 }),
    );
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: site.documentsByDepth.slice(0, 2).flat().length });
    expect(typeof run.completed.resultsUrl).toBe('string');
    expect(typeof run.completed.archiveUrl).toBe('string');

    const lines = await jsonLines(run.completed.resultsUrl as string);
    // One line per page, however often its message was delivered.
    expect(lines.map((l) => l.url).sort()).toEqual(run.manifest.pages.map((p) => p.url).sort());
    const byPath = new Map(lines.map((l) => [l.url.replace(site.origin, ''), l]));

    // Content a script inserted after load is in the Markdown and the text.
    expect(byPath.get('/a.html')?.markdown).toContain('Delayed');
    expect(byPath.get('/b.html')?.markdown).toContain(`${site.origin}/from-fetch.html`);
    expect(byPath.get('/b.html')?.text).toContain('/from-fetch.html');
    expect(byPath.get('/')?.data).toMatchObject({ url: `${site.origin}/`, title: 'Home', language: null });

    // A PDF has no screenshot and says why; an HTML page has a decodable PNG.
    expect(byPath.get('/report.pdf')?.screenshot).toBeUndefined();
    expect(byPath.get('/report.pdf')?.skipped?.screenshot).toMatch(/pdf/);
    const home = byPath.get('/')!;
    expect(home.screenshot).toMatch(/^jobs\/.+\/outputs\/.+\.screenshot\.png$/);
    const png = new Uint8Array(await (await fetch(home.screenshotUrl!)).arrayBuffer());
    expect(isPng(png)).toBe(true);

    // The manifest's page entries name their files.
    const manifestHome = run.manifest.pages.find((p) => p.url === `${site.origin}/`) as unknown as { outputs: Record<string, string> };
    expect(manifestHome.outputs).toMatchObject({ screenshot: home.screenshot, archive: expect.stringMatching(/\.archive\.warc\.gz$/) });

    // The archive is a zip (WACZ) holding every page's document in its index.
    const wacz = Buffer.from(await (await fetch(run.completed.archiveUrl as string)).arrayBuffer());
    expect(wacz.subarray(0, 4).toString('hex')).toBe('504b0304');
    const dir = mkdtempSync(join(tmpdir(), 'wacz-'));
    writeFileSync(join(dir, 'archive.wacz'), wacz);
    const reader = await WaczReader.open(join(dir, 'archive.wacz'));
    const index = (await reader.read('indexes/index.cdxj')).toString('utf8').split('\n').filter(Boolean);
    reader.close();
    // (The PDF is a download, archived by its own path: test/integration/archive-downloads.test.ts, docs/results.md.)
    for (const page of run.manifest.pages.filter((p) => !p.url.endsWith('.pdf'))) {
      expect(index.some((line) => line.includes(`"url":"${page.finalUrl}"`) || line.includes(`"url":"${page.url}"`)), page.url).toBe(true);
    }

    // Asked for html too: the page record keeps the DOM.
    const record = await readObject<{ page: { html: string } }>(stack, run.manifest.pages[0]!.key);
    expect(record.page.html.length).toBeGreaterThan(0);
    expect(await settleAndCountCompletions(run)).toBe(1);
    await run.client.close();
  });
});

describe('format and extractor names', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    ['an unknown format', { formats: ['markdown', 'pdf'] }, /formats\.1/],
    ['an empty format list', { formats: [] }, /formats/],
    ['an unknown extractor', { extract: 'nope' }, /no extractor named "nope"; deployed: .*metadata/],
  ])('refuses %s with invalid_request naming it, and starts nothing', async (_name, options, pattern) => {
    const client = await RawSocket.connect(stack.wsUrl);
    client.send({ action: 'crawl', url: 'http://127.0.0.1:9/', requestId: 'r', ...options });
    const reply = await client.waitFor((m) => m.requestId === 'r', replyWaitMs(await machineSpeed()));
    expect(reply).toMatchObject({ type: 'error', code: 'invalid_request' });
    expect(String(reply.message)).toMatch(pattern);
    expect(await countItems(stack, stack.resources.jobsTable)).toBe(0);
    await client.close();
  });
});
