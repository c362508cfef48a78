// `npm run bench:usage -- [--pages 200] [--hosts 10] [--workers 3] [--depth 3] [--out bench/results]`
// What a crawl uses and costs at the stack's DEFAULT settings (host ceiling 2 navigations/s,
// visibility, timeouts: infra/deployed-limits.ts) — nothing is lifted. Two crawls of `--pages`
// pages of the generated site (bench/site.ts): one host, then `--hosts` hosts (127.0.0.2, … each its
// own host to the per-host gate, `pages / hosts` pages each, one seed each). Each reads the
// manifest's `usage` and reports receives per page, tabs opened per navigation, DynamoDB write and
// read units per page, S3 requests per page, and the estimated cost per 1,000 pages (the price
// table in functions/core/prices.ts, us-east-1, dated).
// What differs from AWS, said loudly: the crawler's concurrency is `--workers` environments × the
// batch size (the deployed default is 10 × 5); fewer environments compete for one host's slot here
// than on AWS, so receives and deferrals per page on AWS at the default concurrency are higher
// than measured (the bench prints the figure it ran with).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Usage } from '../functions/core/usage.js';
import { startLocalStack } from '../local/stack.js';
import { CrawlerClient, type CrawlOptions } from '../client/index.js';
import { serveGenerated, type BenchSite } from './site.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '200' },
    hosts: { type: 'string', default: '10' },
    workers: { type: 'string', default: '3' },
    depth: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench/results' },
    only: { type: 'string' },
  },
});
const pages = Number(values.pages);
const hosts = Number(values.hosts);
const workers = Number(values.workers);
const depth = Number(values.depth);

async function crawlAndRead(wsUrl: string, request: CrawlOptions, timeoutMs: number) {
  const client = await CrawlerClient.connect(wsUrl);
  const started = Date.now();
  const job = await client.crawl(request);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`job ${job.jobId}: no completed within ${timeoutMs} ms`)), timeoutMs)));
  const { completed, manifest } = await Promise.race([job.done(), late]).finally(() => clearTimeout(timer));
  const seconds = (Date.now() - started) / 1000;
  await client.close();
  if (!manifest.usage) throw new Error('the manifest has no usage: this build does not count it');
  return { seconds, pages: manifest.pages.length, status: completed.status, usage: manifest.usage, completedCostUsd: completed.estimatedCostUsd };
}

function perPage(run: Awaited<ReturnType<typeof crawlAndRead>>) {
  const u = run.usage;
  const n = Math.max(1, run.pages);
  const r = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    pages: run.pages,
    status: run.status,
    seconds: r(run.seconds, 1),
    pagesPerSecond: r(run.pages / run.seconds),
    receivesPerPage: r(u.messagesReceived / n),
    deferralsPerPage: r(u.deferrals / n),
    tabsPerNavigation: r(u.tabsOpened / Math.max(1, u.navigations), 3),
    navigationsPerPage: r(u.navigations / n),
    invocationsPerPage: r(u.invocations / n),
    billedSecondsPerPage: r(u.billedMs / 1000 / n, 3),
    dynamoWriteUnitsPerPage: r(u.dynamoWriteUnits / n, 1),
    dynamoReadUnitsPerPage: r(u.dynamoReadUnits / n, 1),
    s3PutsPerPage: r(u.s3Puts / n),
    s3GetsPerPage: r(u.s3Gets / n),
    costPerThousandPagesUsd: r((u.estimatedCostUsd / n) * 1000, 4),
    usage: u,
  };
}

const sites: BenchSite[] = [];
const stack = await startLocalStack({ port: 0, workers, log: () => {}, sweepIntervalMs: 0, env: { POWERTOOLS_LOG_LEVEL: 'WARN', MAX_PAGES: String(pages * 2) } });
const results: Record<string, ReturnType<typeof perPage>> = {};
try {
  // Both crawls take at least pages / 2 s at the default ceiling on one host; the limit leaves room.
  const timeoutMs = Math.max(600_000, pages * 5_000);
  const only = values.only?.split(',') ?? ['one-host', 'many-hosts'];
  if (only.includes('one-host')) {
    const site = await serveGenerated(pages);
    sites.push(site);
    console.log(`one host: ${pages} pages of ${site.origin} at the default ceiling…`);
    results['one-host'] = perPage(await crawlAndRead(stack.wsUrl, { url: `${site.origin}/`, depth, maxPages: pages }, timeoutMs));
  }
  if (only.includes('many-hosts')) {
    const each = Math.max(1, Math.floor(pages / hosts));
    const many = await Promise.all(Array.from({ length: hosts }, (_, i) => serveGenerated(each, `127.0.0.${i + 2}`)));
    sites.push(...many);
    console.log(`many hosts: ${hosts} hosts × ${each} pages at the default ceiling…`);
    results['many-hosts'] = perPage(await crawlAndRead(stack.wsUrl, { urls: many.map((s) => `${s.origin}/`), depth, maxPages: each * hosts }, timeoutMs));
  }
} finally {
  await stack.stop();
  await Promise.all(sites.map((s) => s.stop()));
}
const report = {
  date: new Date().toISOString(),
  settings: { hostRateCeiling: stack.env.HOST_RATE_CEILING, workers, batchSize: 5, depth, note: 'stack defaults (infra/deployed-limits.ts); only the number of crawler environments differs from AWS (10 there)' },
  results,
};
console.log(JSON.stringify(report, null, 2));
mkdirSync(values.out!, { recursive: true });
const file = join(values.out!, `usage-${report.date.replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(report, null, 2));
console.log(`written to ${file}`);
