// `npm run mcp` (issue #32): the MCP server over stdio, driven by the SDK's own client against the
// local stack — it lists its tools, crawls a local site and returns the pages with titles, reads a
// page as Markdown, text and HTML, and answers a crawl that outlasts its wait with the jobId and
// progress, which crawl_status and cancel_crawl then take.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.js';
import { startTestStack } from './harness.js';
import { jobWaitMs, machineSpeed, replyWaitMs, stackTimings, type MachineSpeed, type StackTimings } from './support/machine.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTICLE =
  'The fan-out crawler renders every page in headless Chromium, so it finds the links that scripts add. ' +
  'Each page it reaches is written to S3 with its Markdown and its text, and a manifest lists them all.';

let stack: LocalStack;
let server: Server;
let origin = '';
let speed: MachineSpeed;
let timings: StackTimings;
let mcp: Client;
let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => (release = resolve));
let heldAsked: () => void = () => undefined;
const asked = new Promise<void>((resolve) => (heldAsked = resolve));

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') return void res.writeHead(404).end();
    const page = (title: string, body: string) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><html><head><title>${title}</title></head><body><nav><a href="/">Home</a></nav><main><article><h1>${title}</h1>${body}</article></main></body></html>`);
    };
    if (path === '/') return page('Welcome', `<p>${ARTICLE}</p><p>${ARTICLE}</p><p><a href="/about">About us</a></p>`);
    if (path === '/about') return page('About', `<p>${ARTICLE}</p>`);
    if (path === '/held/') return page('Held', '<p><a href="/held/slow">slow</a></p>');
    if (path === '/held/slow') {
      heldAsked();
      return void released.then(() => page('Slow', '<p>late</p>'));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  speed = await machineSpeed();
  timings = stackTimings(speed, 3, { navTimeoutMs: 6 * replyWaitMs(speed) });
  stack = await startTestStack({
    visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
    workerTimeoutMs: timings.workerTimeoutMs,
    env: { LEASE_MS: String(timings.leaseMs), NAV_TIMEOUT_MS: String(timings.navTimeoutMs) },
  });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', 'mcp/server.ts'],
    cwd: ROOT,
    env: { ...(process.env as Record<string, string>), CRAWLER_URL: stack.wsUrl },
    stderr: 'pipe',
  });
  mcp = new Client({ name: 'mcp-test', version: '1.0.0' });
  await mcp.connect(transport);
}, 600_000);

afterAll(async () => {
  release();
  await mcp?.close();
  await stack?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

const waitSeconds = () => Math.min(600, Math.ceil(jobWaitMs(timings, speed, { pages: 2 }) / 1000));
const call = async (name: string, args: Record<string, unknown>) => (await mcp.callTool({ name, arguments: args }, undefined, { timeout: 1000 * (waitSeconds() + 60) })) as CallToolResult;
const textOf = (result: CallToolResult) => result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

it('lists its four tools, each with an input schema', async () => {
  const { tools } = await mcp.listTools();
  expect(tools.map((t) => t.name).sort()).toEqual(['cancel_crawl', 'crawl', 'crawl_status', 'get_page']);
  const getPage = tools.find((t) => t.name === 'get_page')!;
  expect(getPage.inputSchema.required).toEqual(expect.arrayContaining(['jobId', 'url']));
  expect(JSON.stringify(getPage.inputSchema.properties)).toContain('markdown');
});

it('crawls a local site, lists its pages with titles, and reads one as Markdown, text and HTML', async () => {
  const crawled = await call('crawl', { url: `${origin}/`, depth: 1, waitSeconds: waitSeconds() });
  expect(crawled.isError, textOf(crawled)).toBeFalsy();
  const result = crawled.structuredContent as { jobId: string; status: string; pages: { url: string; title: string }[]; resultsUrl?: string };
  expect(result.status).toBe('succeeded');
  expect(result.pages.map((p) => `${p.title} ${p.url}`).sort()).toEqual([`About ${origin}/about`, `Welcome ${origin}/`]);
  expect(textOf(crawled)).toContain('Welcome');
  expect(result.resultsUrl).toMatch(/^http/);

  const markdown = await call('get_page', { jobId: result.jobId, url: `${origin}/about`, format: 'markdown' });
  expect(markdown.isError, textOf(markdown)).toBeFalsy();
  expect(textOf(markdown)).toContain('renders every page in headless Chromium');
  expect(textOf(markdown)).not.toContain('<p>');
  const plain = await call('get_page', { jobId: result.jobId, url: `${origin}/about`, format: 'text' });
  expect(textOf(plain)).toContain('About');
  const html = await call('get_page', { jobId: result.jobId, url: `${origin}/about`, format: 'html' });
  expect(textOf(html)).toMatch(/<h1>About<\/h1>/);

  const missing = await call('get_page', { jobId: result.jobId, url: `${origin}/nowhere` });
  expect(missing.isError).toBe(true);
  const status = await call('crawl_status', { jobId: result.jobId });
  expect((status.structuredContent as { status: string }).status).toBe('succeeded');
}, 600_000);

it('answers a crawl that outlasts its wait with the jobId and progress; crawl_status and cancel_crawl take it', async () => {
  const started = await call('crawl', { url: `${origin}/held/`, depth: 1, waitSeconds: 0 });
  expect(started.isError, textOf(started)).toBeFalsy();
  const { jobId, status } = started.structuredContent as { jobId: string; status: string };
  expect(status).toBe('running');
  await asked; // its second page is held: the job is certainly still running
  const running = await call('crawl_status', { jobId });
  expect((running.structuredContent as { status: string }).status).toBe('running');
  const cancelled = await call('cancel_crawl', { jobId });
  expect(cancelled.isError, textOf(cancelled)).toBeFalsy();
  expect((cancelled.structuredContent as { status: string }).status).toBe('cancelled');
  release();
  const refused = await call('cancel_crawl', { jobId: randomUUID() });
  expect(refused.isError).toBe(true);
  expect(textOf(refused)).toContain('job_not_found');
}, 600_000);
