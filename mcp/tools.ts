// The MCP server's tools (docs/clients.md): crawl, crawl_status, get_page, cancel_crawl, on the
// typed client. Everything is read the way any remote client can: over the WebSocket and through
// the presigned URLs the protocol gives (manifest, pages.jsonl, each page's record).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { CrawlerRequestError, type CompletedMessage, type CrawlerClient, type CrawlJob, type Manifest, type ProgressMessage } from '../client/index.js';
import { findPage, pageContent, type PageFormat } from './pages.js';

/** The longest a `crawl` call waits for its job before answering with its progress. */
export const MAX_WAIT_SECONDS = 600;
const DEFAULT_WAIT_SECONDS = 60;
/** Pages listed in an answer: past this, the manifest URL has the rest. */
const LISTED_PAGES = 200;
const FINAL = ['succeeded', 'partial', 'cancelled', 'failed'];

export interface ToolContext {
  /** the connection, opened on first use */
  client(): Promise<CrawlerClient>;
}

const text = (value: string, structured?: Record<string, unknown>): CallToolResult => ({
  content: [{ type: 'text', text: value }],
  ...(structured ? { structuredContent: structured } : {}),
});
const failure = (message: string): CallToolResult => ({ content: [{ type: 'text', text: message }], isError: true });

function summary(completed: CompletedMessage, manifest: Manifest): { text: string; structured: Record<string, unknown> } {
  const pages = manifest.pages.slice(0, LISTED_PAGES).map((p) => ({ url: p.url, title: p.title, status: p.status, depth: p.depth }));
  const lines = [
    `job ${completed.jobId}: ${completed.status}, ${completed.pages} page(s), ${completed.failed} failed${completed.endReason ? ` (${completed.endReason})` : ''}`,
    ...pages.map((p) => `- ${p.title || '(no title)'} — ${p.url} [${p.status ?? '-'}]`),
    ...(manifest.pages.length > LISTED_PAGES ? [`… and ${manifest.pages.length - LISTED_PAGES} more in the manifest`] : []),
    ...manifest.errors.slice(0, 20).map((e) => `! ${e.url}: ${e.error}`),
    `manifest: ${completed.manifestUrl}`,
    ...(completed.resultsUrl ? [`results (pages.jsonl): ${completed.resultsUrl}`] : []),
    'Read a page with get_page (jobId, url, format markdown|text|html).',
  ];
  const structured = {
    jobId: completed.jobId,
    status: completed.status,
    pages,
    errors: manifest.errors.slice(0, 20),
    manifestUrl: completed.manifestUrl,
    ...(completed.resultsUrl ? { resultsUrl: completed.resultsUrl } : {}),
  };
  return { text: lines.join('\n'), structured };
}

const running = (jobId: string, progress: Pick<ProgressMessage, 'done' | 'queued' | 'failed'> | undefined): CallToolResult =>
  text(
    `job ${jobId} is still running${progress ? `: ${progress.done} done, ${progress.queued} queued, ${progress.failed} failed` : ''}. Ask crawl_status later (or cancel_crawl).`,
    { jobId, status: 'running', ...(progress ? { done: progress.done, queued: progress.queued, failed: progress.failed } : {}) },
  );

const guarded =
  <A>(run: (args: A) => Promise<CallToolResult>) =>
  async (args: A): Promise<CallToolResult> => {
    try {
      return await run(args);
    } catch (error) {
      return failure(error instanceof CrawlerRequestError ? `refused: ${error.message}` : `failed: ${(error as Error).message}`);
    }
  };

export function registerTools(server: McpServer, context: ToolContext): void {
  /** jobs this server started: their `completed` carries the result URLs */
  const jobs = new Map<string, CrawlJob>();

  /** The result of a finished job, from its `completed` when this server followed it, else from its status. */
  async function finished(jobId: string): Promise<{ completed: CompletedMessage; manifest: Manifest } | { progress: ProgressMessage | undefined }> {
    const job = jobs.get(jobId);
    if (job?.finished) return job.done();
    const client = await context.client();
    const status = await client.status(jobId);
    if (FINAL.includes(status.status) && status.manifestUrl) {
      const resumed = job ?? (await client.resume(jobId));
      return resumed.done();
    }
    return { progress: { type: 'progress', jobId, done: status.done, queued: status.queued, failed: status.failed } };
  }

  server.registerTool(
    'crawl',
    {
      title: 'Crawl a website',
      description:
        'Crawls a website from a URL in headless Chromium (JavaScript runs), following links up to `depth` hops within the same host. ' +
        `Waits up to waitSeconds (default ${DEFAULT_WAIT_SECONDS}, at most ${MAX_WAIT_SECONDS}) and returns the pages with their titles, the jobId and the result URLs; ` +
        'a crawl still running by then returns its jobId and progress (ask crawl_status later). Pages are kept as HTML, Markdown and text for get_page.',
      inputSchema: {
        url: z.string().describe('the start URL (http or https)'),
        depth: z.number().int().min(0).max(5).optional().describe('link hops from the start URL; 0 = that page alone (default 1)'),
        maxPages: z.number().int().min(1).max(10_000).optional().describe('most pages to crawl (default 50)'),
        scope: z.enum(['host', 'domain', 'prefix']).optional().describe('which links are followed (default host)'),
        include: z.array(z.string()).optional().describe('only URLs matching these globs (* = anything)'),
        exclude: z.array(z.string()).optional().describe('never URLs matching these globs'),
        waitSeconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).optional().describe('how long to wait for the crawl to finish'),
      },
    },
    guarded(async ({ waitSeconds, maxPages, ...options }) => {
      const client = await context.client();
      const job = await client.crawl({ ...options, maxPages: maxPages ?? 50, formats: ['html', 'markdown', 'text'] });
      jobs.set(job.jobId, job);
      let latest: ProgressMessage | undefined;
      void (async () => {
        for await (const event of job.events()) if (event.type === 'progress') latest = event;
      })().catch(() => undefined);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waited = await Promise.race([
        job.done(),
        new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 1000 * (waitSeconds ?? DEFAULT_WAIT_SECONDS)))),
      ]).finally(() => clearTimeout(timer));
      if (!waited) return running(job.jobId, latest);
      const { text: body, structured } = summary(waited.completed, waited.manifest);
      return text(body, structured);
    }),
  );

  server.registerTool(
    'crawl_status',
    {
      title: 'Status of a crawl',
      description: "A crawl's state: its progress while it runs; once finished, its pages with their titles and the result URLs.",
      inputSchema: { jobId: z.string().describe('the jobId crawl returned') },
    },
    guarded(async ({ jobId }) => {
      const result = await finished(jobId);
      if ('progress' in result) return running(jobId, result.progress);
      const { text: body, structured } = summary(result.completed, result.manifest);
      return text(body, structured);
    }),
  );

  server.registerTool(
    'get_page',
    {
      title: 'Read a crawled page',
      description: 'One page of a finished crawl, as Markdown (its main content), text (all visible text) or html (the rendered DOM).',
      inputSchema: {
        jobId: z.string(),
        url: z.string().describe('the page URL, as listed by crawl or crawl_status'),
        format: z.enum(['markdown', 'text', 'html']).optional().describe('default markdown'),
        maxChars: z.number().int().min(1000).max(1_000_000).optional().describe('longest answer (default 100000); longer content is cut with a marker'),
      },
    },
    guarded(async ({ jobId, url, format, maxChars }) => {
      const result = await finished(jobId);
      if ('progress' in result) return failure(`job ${jobId} is still running; get_page reads pages once it has finished`);
      const resultsUrl = result.completed.resultsUrl;
      if (!resultsUrl) return failure(`job ${jobId} kept no page content (it was not started with formats markdown/text); crawl it again with the crawl tool`);
      const line = await findPage(resultsUrl, url);
      if (!line) return failure(`no page ${url} in job ${jobId}; crawl_status lists its pages`);
      const chosen: PageFormat = format ?? 'markdown';
      const content = await pageContent(line, chosen);
      if (content === undefined) return failure(`page ${url} has no ${chosen} (${JSON.stringify(line.skipped ?? {})})`);
      const limit = maxChars ?? 100_000;
      const body = content.length > limit ? `${content.slice(0, limit)}\n…[cut at ${limit} of ${content.length} characters]` : content;
      return text(body, { url: line.url, finalUrl: line.finalUrl, title: line.title, status: line.status, format: chosen, content: body });
    }),
  );

  server.registerTool(
    'cancel_crawl',
    {
      title: 'Cancel a crawl',
      description: 'Ends a running crawl as cancelled; the pages crawled so far stay readable.',
      inputSchema: { jobId: z.string() },
    },
    guarded(async ({ jobId }) => {
      const answer = await (await context.client()).cancel(jobId);
      return text(`job ${jobId}: ${answer.status} (${answer.done} page(s) done)`, { jobId, status: answer.status, done: answer.done });
    }),
  );
}
