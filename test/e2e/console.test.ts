// The local console in a real browser: Puppeteer drives the page the gateway's port serves. A crawl
// is started from its form and cancelled from its job list over the WebSocket; the counters, the
// job's levels, the queue figures and a hostile page title are read from what the page renders and
// checked against the stack (SQS GetQueueAttributes, the manifest). Pages of the small site can be
// held open by the test, so "the job is halfway" and "a message is in flight" are states the test
// makes, not moments it hopes to catch.
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import chromium from '@sparticuz/chromium';
import { mkdirSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../local/console/http.js';
import { isLoopbackAddress, isLoopbackHost } from '../../local/console/loopback.js';
import type { LocalStack } from '../../local/stack.js';
import { clientsFor, startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

const HOSTILE_TITLE = '<img src=x onerror="window.__pwned=1">';
const ARTIFACT = join(dirname(fileURLToPath(import.meta.url)), '..', 'artifacts', 'console.png');

/** A request the site keeps unanswered until the test releases it. */
class Gate {
  private open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  /** resolves when the browser has asked for the page (it is being crawled right now) */
  requested!: Promise<void>;
  private markRequested!: () => void;
  constructor() {
    this.requested = new Promise<void>((resolve) => (this.markRequested = resolve));
  }
  async pass(): Promise<void> {
    this.markRequested();
    await this.opened;
  }
  release(): void {
    this.open();
  }
}

interface Site {
  origin: string;
  gates: Record<string, Gate>;
  stop(): Promise<void>;
}

const PAGES: Record<string, { title: string; links: string[] }> = {
  '/': { title: 'Console home', links: ['/a.html', '/hostile.html'] },
  '/a.html': { title: 'Page A', links: ['/b.html', '/loop.html'] },
  '/hostile.html': { title: HOSTILE_TITLE, links: ['/'] },
  '/b.html': { title: 'Page B', links: [] },
  '/cancel-me.html': { title: 'Never finishes', links: ['/a.html'] },
};

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

async function startSite(gated: string[]): Promise<Site> {
  const gates = Object.fromEntries(gated.map((path) => [path, new Gate()]));
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    // A redirect to itself: the browser gives up (ERR_TOO_MANY_REDIRECTS), a failure that is not retried.
    if (path === '/loop.html') {
      res.writeHead(302, { location: '/loop.html' }).end();
      return;
    }
    const page = PAGES[path];
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    void (gates[path]?.pass() ?? Promise.resolve()).then(() => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      // The title is escaped in the HTML, so the page's own title text is the hostile markup.
      res.end(
        `<!doctype html><html><head><title>${escapeHtml(page.title)}</title></head><body><h1>${escapeHtml(page.title)}</h1>` +
          page.links.map((href) => `<p><a href="${href}">${href}</a></p>`).join('') +
          '</body></html>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    gates,
    async stop() {
      for (const gate of Object.values(gates)) gate.release();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A raw request, so the Host header is exactly what the test says. */
function rawRequest(url: string, method: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface JobCells {
  status: string;
  done: number;
  queued: number;
  failed: number;
}

/** The job's row as the console shows it, or null while it is not listed. */
async function jobCells(page: Page, jobId: string): Promise<JobCells | null> {
  return page.evaluate((id) => {
    const row = document.querySelector(`tr[data-job-id="${id}"]`);
    if (!row) return null;
    const cell = (field: string) => row.querySelector(`[data-field="${field}"]`)?.textContent ?? '';
    return { status: cell('status'), done: Number(cell('done')), queued: Number(cell('queued')), failed: Number(cell('failed')) };
  }, jobId);
}

async function waitForJob(page: Page, jobId: string, expected: Partial<JobCells>, timeoutMs: number): Promise<JobCells> {
  const deadline = Date.now() + timeoutMs;
  let last: JobCells | null = null;
  while (Date.now() < deadline) {
    last = await jobCells(page, jobId);
    if (last && Object.entries(expected).every(([k, v]) => last![k as keyof JobCells] === v)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`job ${jobId} never showed ${JSON.stringify(expected)}; last shown ${JSON.stringify(last)}`);
}

/** The crawl queue's figures as the console shows them. */
async function shownQueue(page: Page, name: string): Promise<{ visible: number; inFlight: number } | null> {
  return page.evaluate((queue) => {
    const row = document.querySelector(`tr[data-queue="${queue}"]`);
    if (!row) return null;
    const cell = (field: string) => Number(row.querySelector(`[data-field="${field}"]`)?.textContent);
    return { visible: cell('ApproximateNumberOfMessages'), inFlight: cell('ApproximateNumberOfMessagesNotVisible') };
  }, name);
}

async function sqsFigures(stack: LocalStack, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const result = await clientsFor(stack).sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return {
    visible: Number(result.Attributes?.ApproximateNumberOfMessages),
    inFlight: Number(result.Attributes?.ApproximateNumberOfMessagesNotVisible),
  };
}

/** SQS's figures once two reads a console poll apart agree (an invocation that just ended may still be deleting its batch). */
async function steadySqsFigures(stack: LocalStack, queueUrl: string, timeoutMs: number): Promise<{ visible: number; inFlight: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = await sqsFigures(stack, queueUrl);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await sqsFigures(stack, queueUrl);
    if ((now.visible === last.visible && now.inFlight === last.inFlight) || Date.now() > deadline) return now;
    last = now;
  }
}

/** The console and SQS agree, read in that order and SQS read again after: nothing moved meanwhile. */
async function expectQueueMatchesSqs(page: Page, stack: LocalStack, name: string, queueUrl: string, expected: { visible: number; inFlight: number }, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let shown: { visible: number; inFlight: number } | null = null;
  while (Date.now() < deadline) {
    shown = await shownQueue(page, name);
    if (shown && shown.visible === expected.visible && shown.inFlight === expected.inFlight) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const after = await sqsFigures(stack, queueUrl);
  expect(shown, `console's ${name} queue`).toEqual(expected);
  expect(after, `SQS ${name} queue, read after the console showed it`).toEqual(expected);
}

async function startCrawlFromForm(page: Page, url: string, depth: number, formats: string[], waitMs: number): Promise<string> {
  await page.waitForFunction(() => document.querySelector('[data-testid="socket-status"]')?.textContent === 'WebSocket connected', { timeout: waitMs });
  const urlInput = (await page.$('input[name="url"]'))!;
  await urlInput.click({ clickCount: 3 });
  await urlInput.type(url);
  const depthInput = (await page.$('input[name="depth"]'))!;
  await depthInput.click({ clickCount: 3 });
  await depthInput.type(String(depth));
  for (const format of formats) {
    const box = (await page.$(`input[name="format-${format}"]`))!;
    if (!(await box.evaluate((b) => (b as HTMLInputElement).checked))) await box.click();
  }
  const before = await page.$$eval('tr[data-job-id]', (rows) => rows.map((r) => r.getAttribute('data-job-id')));
  await page.click('button[name="start"]');
  // `accepted` opens the job in the console; the job list gains its row.
  const handle = await page.waitForFunction(
    (known: (string | null)[]) => {
      const detail = document.querySelector('[data-testid="job-detail"]')?.getAttribute('data-job-id');
      return detail && !known.includes(detail) ? detail : null;
    },
    { timeout: waitMs, polling: 200 },
    before,
  );
  return (await handle.jsonValue()) as string;
}

describe('local console', () => {
  let stack: LocalStack;
  let site: Site;
  let browser: Browser;
  let page: Page;
  let speed: MachineSpeed;
  let timings: StackTimings;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    speed = await machineSpeed();
    // A held page must stay one navigation until the test releases it: a navigation timeout far
    // above what the checks made while it is held take.
    timings = stackTimings(speed, 3, { navTimeoutMs: 120_000 });
    site = await startSite(['/', '/b.html', '/cancel-me.html']);
    stack = await startTestStack({
      visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
      workerTimeoutMs: timings.workerTimeoutMs,
      sweepIntervalMs: 0,
      env: { LEASE_MS: String(timings.leaseMs), NAV_TIMEOUT_MS: String(timings.navTimeoutMs), STALL_TIMEOUT_MS: String(timings.stallTimeoutMs) },
    });
    chromium.setGraphicsMode = false;
    browser = await puppeteer.launch({
      executablePath: await chromium.executablePath(),
      headless: 'shell',
      args: chromium.args.filter((flag) => flag !== '--single-process'),
      defaultViewport: { width: 1400, height: 1000 },
    });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(stack.consoleUrl, { waitUntil: 'load', timeout: replyWaitMs(speed) });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([stack?.stop(), site?.stop()]);
  });

  it('serves the page with a strict Content-Security-Policy', async () => {
    const response = await rawRequest(stack.consoleUrl, 'GET');
    expect(response.status).toBe(200);
    expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(response.body).toContain('/console.js');
  });

  it('starts a crawl from the form, shows its counters moving, its levels and its outputs, and the hostile title as text', async () => {
    const waitMs = replyWaitMs(speed);
    const jobMs = jobWaitMs(timings, speed, { pages: 4 });
    const jobId = await startCrawlFromForm(page, `${site.origin}/`, 2, ['markdown', 'screenshot'], waitMs);

    // The seed is held: the job runs with nothing done and one URL queued.
    await site.gates['/']!.requested;
    await waitForJob(page, jobId, { status: 'running', done: 0, queued: 1, failed: 0 }, jobMs);
    site.gates['/']!.release();

    // /b.html (depth 2) is held: three pages done, the redirect loop failed, one in the crawler's hands.
    await site.gates['/b.html']!.requested;
    await waitForJob(page, jobId, { status: 'running', done: 3, queued: 1, failed: 1 }, jobMs);
    // Its message is received and not deleted while the page is held: in flight (with the loop's,
    // when both came in one batch: a batch's messages go when its invocation returns), as SQS says
    // and the console shows.
    const held = await steadySqsFigures(stack, stack.resources.queueUrl, waitMs);
    expect(held.visible).toBe(0);
    expect(held.inFlight).toBeGreaterThanOrEqual(1);
    await expectQueueMatchesSqs(page, stack, 'crawl', stack.resources.queueUrl, held, waitMs);
    site.gates['/b.html']!.release();

    await waitForJob(page, jobId, { status: 'partial', done: 4, queued: 0, failed: 1 }, jobMs);

    // The job's tree, level by level, once the console has read the finished job.
    await page.waitForFunction(
      () => document.querySelectorAll('[data-testid="job-detail"] tr[data-url] [data-field="state"]').length === 5 && !!document.querySelector('[data-testid="manifest-link"]'),
      { timeout: waitMs, polling: 200 },
    );
    const levels = await page.$$eval('[data-testid="job-detail"] [data-level]', (divs) =>
      divs.map((div) => ({
        level: Number(div.getAttribute('data-level')),
        urls: Array.from(div.querySelectorAll('tr[data-url]')).map((row) => new URL(row.getAttribute('data-url')!).pathname).sort(),
        states: Array.from(div.querySelectorAll('[data-field="state"]')).map((cell) => cell.textContent),
      })),
    );
    expect(levels).toEqual([
      { level: 0, urls: ['/'], states: ['done'] },
      { level: 1, urls: ['/a.html', '/hostile.html'], states: ['done', 'done'] },
      { level: 2, urls: ['/b.html', '/loop.html'], states: ['done', 'failed'] },
    ]);
    // The errors, with what went wrong.
    const errors = await page.$$eval('[data-testid="errors"] li', (items) => items.map((li) => li.textContent ?? ''));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${site.origin}/loop.html`);
    expect(errors[0]).toContain('ERR_TOO_MANY_REDIRECTS');

    // The hostile title is text on the page, and no markup of it ran or exists.
    const titles = await page.$$eval('[data-testid="job-detail"] [data-field="title"]', (cells) => cells.map((c) => c.textContent));
    expect(titles).toContain(HOSTILE_TITLE);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
    expect(await page.$$eval('img[src="x"]', (imgs) => imgs.length)).toBe(0);
    const hostileVisible = await page.$$eval('[data-field="title"]', (cells, title) => cells.some((c) => c.textContent === title && (c as HTMLElement).offsetHeight > 0), HOSTILE_TITLE);
    expect(hostileVisible).toBe(true);

    // Its outputs: the manifest through its presigned link, screenshots shown, the Markdown previewed (as text).
    const manifestUrl = await page.$eval('[data-testid="manifest-link"]', (a) => (a as HTMLAnchorElement).href);
    const manifest = (await (await fetch(manifestUrl)).json()) as { pages: { title: string }[]; errors: { url: string }[] };
    expect(manifest.pages).toHaveLength(4);
    expect(manifest.errors.map((e) => e.url)).toEqual([`${site.origin}/loop.html`]);
    await page.waitForFunction(() => Array.from(document.querySelectorAll('img.shot')).filter((img) => (img as HTMLImageElement).naturalWidth > 0).length === 4, {
      timeout: waitMs,
      polling: 200,
    });
    const hostileRow = await page.$(`tr[data-url="${site.origin}/hostile.html"]`);
    await (await hostileRow!.$('button[name="markdown"]'))!.click();
    await page.waitForSelector('[data-testid="markdown-preview"]', { timeout: waitMs });
    const preview = await page.$eval('[data-testid="markdown-preview"]', (pre) => pre.textContent ?? '');
    expect(preview).toContain('onerror');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();

    // Quiet queues: both at zero in SQS and on the page.
    await expectQueueMatchesSqs(page, stack, 'crawl', stack.resources.queueUrl, { visible: 0, inFlight: 0 }, jobMs);
    await expectQueueMatchesSqs(page, stack, 'crawl DLQ', stack.resources.dlqUrl, { visible: 0, inFlight: 0 }, waitMs);

    mkdirSync(dirname(ARTIFACT), { recursive: true });
    await page.screenshot({ path: ARTIFACT as `${string}.png`, fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('cancels a running crawl from the job list', async () => {
    const waitMs = replyWaitMs(speed);
    const jobMs = jobWaitMs(timings, speed, { pages: 2 });
    const jobId = await startCrawlFromForm(page, `${site.origin}/cancel-me.html`, 1, [], waitMs);
    await site.gates['/cancel-me.html']!.requested;
    await waitForJob(page, jobId, { status: 'running' }, jobMs);
    await page.click(`tr[data-job-id="${jobId}"] button[name="cancel"]`);
    await waitForJob(page, jobId, { status: 'cancelled' }, jobMs);
    site.gates['/cancel-me.html']!.release();
    expect(await page.$(`tr[data-job-id="${jobId}"] button[name="cancel"]`)).toBeNull();
  });

  it('answers GET only, and loopback host names only', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['', 'api/jobs', 'api/queues']) {
        const response = await rawRequest(`${stack.consoleUrl}${path}`, method);
        expect(response.status, `${method} /${path}`).toBe(405);
        expect(response.headers.allow).toBe('GET');
      }
    }
    expect((await rawRequest(`${stack.consoleUrl}api/jobs`, 'GET')).status).toBe(200);
    // A page on another name that resolves to 127.0.0.1 (DNS rebinding) is refused.
    const rebound = await rawRequest(`${stack.consoleUrl}api/jobs`, 'GET', { host: `attacker.example:${new URL(stack.consoleUrl).port}` });
    expect(rebound.status).toBe(403);
    expect((await rawRequest(`${stack.consoleUrl}api/jobs`, 'GET', { host: `localhost:${new URL(stack.consoleUrl).port}` })).status).toBe(200);
    // The @connections API on the same port is the gateway's, as before.
    expect((await rawRequest(`${stack.connectionsEndpoint}/@connections/unknown`, 'GET')).status).toBe(410);
  });

  it('tells loopback peers and names from others', () => {
    expect(['127.0.0.1', '127.8.0.1', '::1', '::ffff:127.0.0.1'].map(isLoopbackAddress)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', 'fe80::1', '', undefined].map(isLoopbackAddress)).toEqual([false, false, false, false, false, false]);
    expect(['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', 'localhost'].map(isLoopbackHost)).toEqual([true, true, true, true]);
    expect(['evil.example', '127.0.0.1.evil.example:80', '0.0.0.0:8080', undefined].map(isLoopbackHost)).toEqual([false, false, false, false]);
  });
});
