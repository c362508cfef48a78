// `npm run crawl -- <url…> [crawl options] [--out DIR] [--endpoint wss://…]`
// Starts the embedded local stack (or talks to a deployed one), submits the crawl over the
// WebSocket, shows progress, prints a summary, downloads the results with --out, and exits
// non-zero when the crawl failed.
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDemoSite, type DemoSite } from './demo-site.js';
import { ProgressDisplay } from './progress.js';
import { fetchJsonLines, writeResultsTree, type ResultLine } from './results-tree.js';
import { CrawlerClient, CrawlerRequestError, type CompletedMessage, type CrawlJob, type CrawlOptions } from '../client/index.js';
import type { LocalStack } from './stack.js';

const USAGE = `usage: npm run crawl -- <url> [<url>…] [options]
       npm run demo            crawl the bundled demo site served on 127.0.0.1

crawl options (see docs/protocol.md):
  --depth N                 hops from the seeds (0 = the seeds alone)
  --max-pages N             stop admitting pages after N
  --scope host|domain|prefix
  --include GLOB            only URLs matching (repeat, or comma-separated)
  --exclude GLOB            never URLs matching (repeat, or comma-separated)
  --formats LIST            any of html,markdown,text,screenshot,archive (default html)
  --extract NAME            run extractors/NAME.ts on every page
  --block LIST              subresources not loaded: image,font,media,stylesheet
  --max-age SECONDS         answer from an equal crawl at most this old
  --time-limit SECONDS      end the job (partial) after this long
  --no-robots               ignore robots.txt
  --sitemap                 also seed from the hosts' sitemaps
  --host-rate N             page navigations per second to one host
  --header 'Name: value'    extra request header to the seeds' hosts (repeat)
  --cookie name=value       cookie for the seeds' hosts (repeat)
  --action JSON             a step run on every page, e.g. '{"scroll":"bottom"}' (repeat)
  --no-autoscroll           do not scroll to load lazy content

output and stack:
  --out DIR                 write DIR/<jobId>/manifest.json, pages.jsonl and, per page,
                            DIR/<host>/<url path>.md / .txt / .json / .png
  --endpoint wss://…        a deployed stack (default: start the embedded local one);
                            its connection token in the environment: CRAWLER_TOKEN=…
  --workers N               local crawler environments (default 2)
  --verbose                 the local stack's logs

Without --endpoint the embedded local stack is started (DynamoDB Local, SQS and S3 emulators, the
WebSocket gateway and Chromium workers); loopback targets are allowed there.`;

interface Options {
  urls: string[];
  crawl: Record<string, unknown>;
  out?: string;
  endpoint?: string;
  workers: number;
  verbose: boolean;
  demo: boolean;
}

/** Repeated flags and comma-separated lists are the same thing: --formats a,b == --formats a --formats b. */
const list = (values: string[] | undefined): string[] | undefined => {
  const items = values?.flatMap((value) => value.split(',')).map((item) => item.trim()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
};

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      depth: { type: 'string' },
      'max-pages': { type: 'string' },
      scope: { type: 'string' },
      include: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      formats: { type: 'string', multiple: true },
      extract: { type: 'string' },
      block: { type: 'string', multiple: true },
      'max-age': { type: 'string' },
      'time-limit': { type: 'string' },
      'no-robots': { type: 'boolean', default: false },
      sitemap: { type: 'boolean', default: false },
      'host-rate': { type: 'string' },
      header: { type: 'string', multiple: true },
      cookie: { type: 'string', multiple: true },
      action: { type: 'string', multiple: true },
      'no-autoscroll': { type: 'boolean', default: false },
      out: { type: 'string' },
      endpoint: { type: 'string' },
      workers: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const number = (name: string, text: string | undefined, whole = true): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isFinite(n) || (whole && !Number.isInteger(n))) throw new Error(`--${name} must be a ${whole ? 'whole ' : ''}number, got "${text}"`);
    return n;
  };
  const headers = values.header?.map((header) => {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new Error(`--header must look like 'Name: value', got "${header}"`);
    return [header.slice(0, colon).trim(), header.slice(colon + 1).trim()] as const;
  });
  const cookies = values.cookie?.map((cookie) => {
    const equals = cookie.indexOf('=');
    if (equals <= 0) throw new Error(`--cookie must look like name=value, got "${cookie}"`);
    return { name: cookie.slice(0, equals).trim(), value: cookie.slice(equals + 1) };
  });
  const actions = values.action?.map((action) => {
    try {
      return JSON.parse(action) as unknown;
    } catch {
      throw new Error(`--action must be JSON, e.g. '{"scroll":"bottom"}', got "${action}"`);
    }
  });
  // Only what was given is sent: the server's defaults stay the server's.
  const crawl: Record<string, unknown> = {
    depth: number('depth', values.depth),
    maxPages: number('max-pages', values['max-pages']),
    scope: values.scope,
    include: list(values.include),
    exclude: list(values.exclude),
    formats: list(values.formats),
    extract: values.extract,
    block: list(values.block),
    maxAge: number('max-age', values['max-age']),
    timeLimit: number('time-limit', values['time-limit']),
    robots: values['no-robots'] ? false : undefined,
    sitemap: values.sitemap ? true : undefined,
    hostRate: number('host-rate', values['host-rate'], false),
    headers: headers ? Object.fromEntries(headers) : undefined,
    cookies,
    actions,
    autoscroll: values['no-autoscroll'] ? false : undefined,
  };
  for (const key of Object.keys(crawl)) if (crawl[key] === undefined) delete crawl[key];
  return {
    urls: positionals,
    crawl,
    out: values.out,
    endpoint: values.endpoint,
    workers: number('workers', values.workers) ?? 2,
    verbose: values.verbose ?? false,
    demo: values.demo ?? false,
  };
}

function printSummary(completed: CompletedMessage, manifest: Manifest | undefined): void {
  console.log('');
  console.log(`status      ${completed.status}`);
  console.log(`pages       ${completed.pages}   failed ${completed.failed}   in ${(completed.durationMs / 1000).toFixed(1)} s`);
  if (manifest) {
    for (const [depth, level] of manifest.levels.entries()) console.log(`depth ${depth}     ${level.length} URL(s)`);
    for (const page of manifest.pages) console.log(`  ${String(page.status ?? '-').padEnd(4)} d${page.depth} ${page.url}${page.finalUrl !== page.url ? ` → ${page.finalUrl}` : ''}`);
    for (const error of manifest.errors) console.log(`  ERR  ${error.url}: ${error.error}`);
  }
  console.log(`manifest    ${completed.manifestUrl}`);
}

interface Manifest {
  pages: { url: string; finalUrl: string; depth: number; status: number | null; key: string }[];
  levels: string[][];
  errors: { url: string; error: string }[];
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 64;
  }
  let site: DemoSite | undefined;
  let stack: LocalStack | undefined;
  const cleanup = async (): Promise<void> => {
    await stack?.stop().catch(() => {});
    await site?.stop().catch(() => {});
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    if (options.demo) {
      site = await startDemoSite();
      if (options.urls.length === 0) options.urls.push(`${site.origin}/`);
      options.crawl.depth ??= 2;
      console.log(`demo site   ${site.origin}/`);
    }
    if (options.urls.length === 0) {
      console.error(USAGE);
      return 64;
    }
    let endpoint = options.endpoint;
    if (!endpoint) {
      const { startLocalStack } = await import('./stack.js');
      console.log('starting the local stack (DynamoDB Local, SQS/S3 emulator, gateway, Chromium workers)…');
      stack = await startLocalStack({
        port: Number(process.env.PORT ?? 0),
        workers: options.workers,
        log: options.verbose ? (line: string) => console.log(line) : () => {},
      });
      endpoint = stack.wsUrl;
    }
    console.log(`endpoint    ${endpoint}`);
    if (stack) console.log(`console     ${stack.consoleUrl}   (open it in a browser while the crawl runs)`);
    const client = await CrawlerClient.connect(endpoint, { token: process.env.CRAWLER_TOKEN });
    const seeds = options.urls.length === 1 ? { url: options.urls[0] } : { urls: options.urls };
    let job: CrawlJob;
    try {
      job = await client.crawl({ ...seeds, ...options.crawl, requestId: 'cli' } as CrawlOptions);
    } catch (error) {
      await client.close();
      if (!(error instanceof CrawlerRequestError)) throw error;
      console.error(`refused: ${error.message}`);
      return 2;
    }
    console.log(`job         ${job.jobId}${job.cached ? ' (answered from an earlier crawl)' : ''}`);
    const progress = new ProgressDisplay(process.stdout, Date.now(), Date.now, options.urls.length);
    progress.start();
    const timeoutMs = Number(process.env.CRAWL_TIMEOUT_MS ?? 30 * 60_000);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no completion within ${timeoutMs} ms (job ${job.jobId}; \`status\` still finds it)`)), timeoutMs);
    });
    const followed = (async (): Promise<CompletedMessage> => {
      // The client reconnects and resumes the job by itself when the connection drops.
      for await (const event of job.events()) {
        if (event.type === 'progress') progress.update({ done: event.done, queued: event.queued, failed: event.failed });
        if (event.type === 'completed') return event;
      }
      throw new Error('the job ended without completing');
    })();
    const completed = await Promise.race([followed, timedOut])
      .catch((error: Error) => {
        progress.stop();
        throw error;
      })
      .finally(() => clearTimeout(timer));
    progress.stop({ done: completed.pages, queued: 0, failed: completed.failed });
    const manifest = await job
      .done()
      .then(({ manifest }) => manifest as unknown as Manifest)
      .catch(() => undefined);
    await client.close();
    printSummary(completed, manifest);
    if (options.out) await download(resolve(options.out), job.jobId, completed, manifest);
    return completed.status === 'failed' || completed.status === 'cancelled' ? 1 : 0;
  } catch (error) {
    console.error(`crawl failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await cleanup();
  }
}

/**
 * DIR/<jobId>/manifest.json and pages.jsonl as the stack wrote them, and the readable tree
 * DIR/<host>/<url path>.md / .txt / .json / .png. Everything comes from presigned URLs, so this
 * works the same against a deployed stack.
 */
async function download(dir: string, jobId: string, completed: CompletedMessage, manifest: Manifest | undefined): Promise<void> {
  const jobDir = join(dir, jobId);
  await mkdir(jobDir, { recursive: true });
  if (manifest) {
    await writeFile(join(jobDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    console.log(`saved       ${join(jobDir, 'manifest.json')}`);
  }
  const resultsUrl = completed.resultsUrl;
  if (typeof resultsUrl !== 'string') return;
  const raw: WriteStream = createWriteStream(join(jobDir, 'pages.jsonl'));
  async function* teed(): AsyncGenerator<ResultLine> {
    for await (const line of fetchJsonLines<ResultLine>(resultsUrl as string)) {
      if (!raw.write(`${JSON.stringify(line)}\n`)) await new Promise<void>((resolveDrain) => raw.once('drain', () => resolveDrain()));
      yield line;
    }
  }
  try {
    const summary = await writeResultsTree(dir, teed());
    console.log(`saved       ${join(jobDir, 'pages.jsonl')}`);
    console.log(`results     ${summary.pages} page(s), ${summary.files} file(s) under ${dir}/<host>/`);
    for (const missing of summary.missing) console.log(`  not saved ${missing}`);
  } catch (error) {
    console.error(`results download failed: ${(error as Error).message}`);
  } finally {
    await new Promise<void>((resolveEnd) => raw.end(() => resolveEnd()));
  }
}

main().then((code) => process.exit(code));
