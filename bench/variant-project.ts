// (a) This project: the local stack (emulators, gateway, SQS delivery, Chromium workers), driven
// through the WebSocket like any client. Tabs = workers × batch size.
import { startLocalStack } from '../local/stack.js';
import { CrawlerClient, type CompletedMessage, type CrawlOptions } from '../client/index.js';
import type { BenchOptions, VariantResult } from './crawl-rule.js';
import { BENCH_STACK_ENV } from './crawl-rule.js';

interface ManifestPage {
  url: string;
  timings?: Record<string, number | null>;
}

export async function runProject(options: BenchOptions & { workers: number; apiEnvironments?: 'per-function' | 'shared' }): Promise<VariantResult> {
  const batchSize = Math.max(1, Math.round(options.tabs / options.workers));
  const stack = await startLocalStack({
    port: 0,
    workers: options.workers,
    batchSize,
    // The API functions and the sweeper in one environment (a Node process instead of up to nine);
    // the crawler keeps its own environments and browsers. `--api-environments per-function` for the
    // stack as the tests run it.
    apiEnvironments: options.apiEnvironments ?? 'shared',
    log: () => {},
    env: {
      ...BENCH_STACK_ENV,
      MAX_PAGES: String(Math.max(options.maxPages, 10)),
      MAX_DEPTH: String(Math.max(options.depth, 5)),
    },
  });
  try {
    // Warm the execution environments (process start, browser launch) outside the timed crawl, as
    // the other variants launch their browser before their clock starts too.
    const warm = await CrawlerClient.connect(stack.wsUrl);
    const autoscroll = options.autoscroll === false ? { autoscroll: false } : {};
    await (await warm.crawl({ url: options.url, depth: 0, ...(options.block?.length ? { block: options.block } : {}), ...autoscroll } as CrawlOptions)).done();
    await warm.close();
    // The warm-up crawl (one page) started one crawler environment; start the others too, or their
    // start (code import, ~seconds of CPU) lands in the timed crawl.
    await stack.warmCrawlers();

    const client = await CrawlerClient.connect(stack.wsUrl);
    process.stdout.write('\nMARK\n');
    const started = Date.now();
    const block = options.block?.length ? { block: options.block } : {};
    const formats = options.formats?.length ? { formats: options.formats } : {};
    // a refusal rejects (CrawlerRequestError: code and message)
    const job = await client.crawl({ url: options.url, depth: options.depth, maxPages: options.maxPages, ...block, ...formats, ...autoscroll, ...(options.render ? { render: options.render } : {}) } as CrawlOptions);
    // the clock stops at `completed`, before the manifest is fetched (done() would fetch it)
    let completed: CompletedMessage | undefined;
    for await (const event of job.events()) if (event.type === 'completed') completed = event;
    if (!completed) throw new Error(`job ${job.jobId}: no completed`);
    const wallSeconds = (Date.now() - started) / 1000;
    // What the formats cost in bytes: the job's archive and content export, per page.
    const formatBytes: Record<string, number> = {};
    for (const [name, url] of [['archive', completed.archiveUrl], ['pages.jsonl', completed.resultsUrl]] as const) {
      if (typeof url === 'string') formatBytes[name] = (await (await fetch(url)).arrayBuffer()).byteLength;
    }
    const manifest = (await (await fetch(completed.manifestUrl)).json()) as { pages: ManifestPage[]; errors: { url: string }[] };
    await client.close();
    const breakdown: Record<string, number> = {};
    for (const page of manifest.pages) {
      for (const [name, value] of Object.entries(page.timings ?? {})) if (typeof value === 'number') breakdown[name] = (breakdown[name] ?? 0) + value;
    }
    for (const name of Object.keys(breakdown)) breakdown[name] = Math.round(breakdown[name]! / Math.max(1, manifest.pages.length));
    const formatBytesPerPage = Object.fromEntries(Object.entries(formatBytes).map(([name, bytes]) => [name, Math.round(bytes / Math.max(1, manifest.pages.length))]));
    return {
      variant: options.formats?.length ? 'project-formats' : 'project',
      pages: [...manifest.pages.map((p) => p.url), ...manifest.errors.map((e) => e.url)],
      wallSeconds,
      breakdown,
      ...(Object.keys(formatBytesPerPage).length > 0 ? { formatBytesPerPage } : {}),
    };
  } finally {
    await stack.stop();
  }
}
