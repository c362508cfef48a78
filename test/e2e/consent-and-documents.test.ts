// Consent banners and documents through the whole local stack: the `consent` option reaches the
// worker (reject by default, leave on request, an unknown value refused naming the field), the
// page record says what was pressed and pages.jsonl's text is the page's, not the banner's; a PDF's
// and a DOCX's text are in pages.jsonl, their titles in the manifest, and the PDF's link followed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentLine } from '../../functions/app/content-export.js';
import type { PageRecord } from '../../functions/core/ports.js';
import type { LocalStack } from '../../local/stack.js';
import { RawSocket as CrawlClient } from './support/raw-socket.js';
import { BANNER_TEXT, startConsentSite, type ConsentSite } from '../integration/fixtures-browser/consent-site.js';
import { DOCX_PARAGRAPHS, DOCX_TITLE, PDF_LINES, PDF_TITLE, startDocumentSite, type DocumentSite } from '../integration/fixtures-documents/site.js';
import { crawl, readObject, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings } from './support/machine.js';

let stack: LocalStack;
let consentSite: ConsentSite;
let documentSite: DocumentSite;

beforeAll(async () => {
  consentSite = await startConsentSite();
  // the PDF over the cap is test/integration/browser-documents.test.ts's: here /huge.pdf is small and read
  documentSite = await startDocumentSite({ hugeBytes: 1024 });
  const speed = await machineSpeed();
  const timings = stackTimings(speed, 3);
  stack = await startTestStack({
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs) },
  });
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([consentSite?.close(), documentSite?.close()]);
});

async function waitMs(pages: number): Promise<number> {
  const speed = await machineSpeed();
  return jobWaitMs(stackTimings(speed, 3), speed, { pages });
}

async function lines(url: string): Promise<Map<string, ContentLine>> {
  const text = await (await fetch(url)).text();
  const parsed = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ContentLine);
  return new Map(parsed.map((line) => [new URL(line.url).pathname, line]));
}

describe('consent', () => {
  it('rejects the banner by default: the record names the button, the text is the page', async () => {
    const run = await crawl(stack, { url: `${consentSite.origin}/banner`, depth: 0, formats: ['html', 'text'] }, await waitMs(1));
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 1 });
    const entry = run.manifest.pages[0] as unknown as { key: string };
    const record = await readObject<PageRecord>(stack, entry.key);
    expect(record.page.consent).toEqual({ action: 'reject', result: 'rejected', cmp: 'cookie-script', clicked: ['Reject all'] });
    const text = (await lines(run.completed.resultsUrl as string)).get('/banner')?.text;
    expect(text).toContain('Consent choice: rejected');
    expect(text).not.toContain(BANNER_TEXT);
    await run.client.close();
  });

  it('leaves the banner with consent "leave"', async () => {
    const run = await crawl(stack, { url: `${consentSite.origin}/banner`, depth: 0, formats: ['text'], consent: 'leave' }, await waitMs(1));
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 1 });
    const text = (await lines(run.completed.resultsUrl as string)).get('/banner')?.text;
    expect(text).toContain(BANNER_TEXT);
    expect(text).toContain('Consent choice: none');
    await run.client.close();
  });

  it('refuses an unknown value, naming the field', async () => {
    const client = await CrawlClient.connect(stack.wsUrl);
    client.send({ action: 'crawl', url: `${consentSite.origin}/banner`, consent: 'ignore', requestId: 'bad-consent' });
    const answer = await client.waitFor((m) => m.requestId === 'bad-consent', replyWaitMs(await machineSpeed()));
    expect(answer).toMatchObject({ type: 'error', code: 'invalid_request', message: expect.stringContaining('consent') });
    await client.close();
  });
});

describe('documents', () => {
  it('a PDF and a DOCX are pages with text, Markdown and a title; the PDF link is followed', async () => {
    const run = await crawl(stack, { url: `${documentSite.origin}/`, depth: 2, formats: ['markdown', 'text'] }, await waitMs(6));
    expect(run.completed).toMatchObject({ status: 'succeeded' });
    const byPath = new Map(run.manifest.pages.map((p) => [new URL(p.url).pathname, p]));
    expect(byPath.get('/report.pdf')).toMatchObject({ title: PDF_TITLE, status: 200, links: 1 });
    expect(byPath.get('/notes.docx')).toMatchObject({ title: DOCX_TITLE, status: 200, links: 1 });
    // links in the documents are crawled like a page's
    expect(byPath.get('/from-pdf')).toMatchObject({ depth: 2, parent: `${documentSite.origin}/report.pdf` });
    expect(byPath.get('/from-docx')).toMatchObject({ depth: 2 });

    const content = await lines(run.completed.resultsUrl as string);
    for (const line of PDF_LINES) {
      expect(content.get('/report.pdf')?.markdown).toContain(line);
      expect(content.get('/report.pdf')?.text).toContain(line);
    }
    for (const paragraph of DOCX_PARAGRAPHS) expect(content.get('/notes.docx')?.markdown).toContain(paragraph);
    await run.client.close();
  });
});
