// `npm run crawl -- <url> --depth N [--max-pages N] [--out DIR] [--endpoint wss://…]`
// Starts the embedded local stack (or talks to a deployed one), submits the crawl over the
// WebSocket, shows progress, prints a summary, and exits non-zero when the crawl failed.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDemoSite, type DemoSite } from './demo-site.js';
import { CrawlClient, type Received } from './ws-client.js';
import type { LocalStack } from './stack.js';

const USAGE = `usage: npm run crawl -- <url> [--depth N] [--max-pages N] [--scope host|domain|prefix]
                         [--out DIR] [--endpoint wss://…] [--workers N] [--verbose]
       npm run demo            crawl the bundled demo site served on 127.0.0.1

Without --endpoint the embedded local stack is started (DynamoDB Local, SQS and S3 emulators, the
WebSocket gateway and Chromium workers); loopback targets are allowed there.`;

interface Options {
  url?: string;
  depth?: number;
  maxPages?: number;
  scope?: string;
  out?: string;
  endpoint?: string;
  workers: number;
  verbose: boolean;
  demo: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      depth: { type: 'string' },
      'max-pages': { type: 'string' },
      scope: { type: 'string' },
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
  const int = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n)) throw new Error(`--${name} must be a whole number, got "${text}"`);
    return n;
  };
  return {
    url: positionals[0],
    depth: int('depth', values.depth),
    maxPages: int('max-pages', values['max-pages']),
    scope: values.scope,
    out: values.out,
    endpoint: values.endpoint,
    workers: int('workers', values.workers) ?? 2,
    verbose: values.verbose ?? false,
    demo: values.demo ?? false,
  };
}

function printSummary(completed: Received, manifest: Manifest | undefined): void {
  console.log('');
  console.log(`status      ${completed.status}`);
  console.log(`pages       ${completed.pages}   failed ${completed.failed}   in ${((completed.durationMs as number) / 1000).toFixed(1)} s`);
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
      options.url ??= `${site.origin}/`;
      options.depth ??= 2;
      console.log(`demo site   ${site.origin}/`);
    }
    if (!options.url) {
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
    const client = await CrawlClient.connect(endpoint);
    const request = {
      action: 'crawl',
      url: options.url,
      ...(options.depth !== undefined ? { depth: options.depth } : {}),
      ...(options.maxPages !== undefined ? { maxPages: options.maxPages } : {}),
      ...(options.scope !== undefined ? { scope: options.scope } : {}),
      requestId: 'cli',
    };
    client.send(request);
    const first = await client.waitFor((m) => m.type === 'accepted' || m.type === 'error', 30_000);
    if (first.type === 'error') {
      console.error(`refused: ${first.code}: ${first.message}`);
      await client.close();
      return 2;
    }
    const jobId = first.jobId as string;
    console.log(`job         ${jobId}`);
    let lastProgress = '';
    const onProgress = setInterval(() => {
      const progress = [...client.received].reverse().find((m) => m.type === 'progress');
      const line = progress ? `progress    done ${progress.done}, queued ${progress.queued}, failed ${progress.failed}` : '';
      if (line && line !== lastProgress) console.log((lastProgress = line));
    }, 250);
    const timeoutMs = Number(process.env.CRAWL_TIMEOUT_MS ?? 30 * 60_000);
    const completed = await client.waitFor((m) => m.type === 'completed' && m.jobId === jobId, timeoutMs).finally(() => clearInterval(onProgress));
    await client.close();
    const manifest = await fetch(completed.manifestUrl as string)
      .then(async (r) => (r.ok ? ((await r.json()) as Manifest) : undefined))
      .catch(() => undefined);
    printSummary(completed, manifest);
    if (options.out && manifest) {
      const dir = resolve(options.out, jobId);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
      console.log(`saved       ${join(dir, 'manifest.json')}`);
    }
    return completed.status === 'failed' || completed.status === 'cancelled' ? 1 : 0;
  } catch (error) {
    console.error(`crawl failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await cleanup();
  }
}

main().then((code) => process.exit(code));
