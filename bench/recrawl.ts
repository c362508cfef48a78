// `npm run bench:recrawl -- [--pages 60] [--depth 2] [--workers 2] [--out bench/results]`
// What an unchanged recrawl costs against a full crawl (issue 29): the generated site (bench/site.ts)
// served with an ETag per file, crawled once in full, then again with `since` naming the first job.
// Nothing changed, so every page the first crawl recorded is answered 304 and not rendered: the
// second crawl walks the site at HTTP cost. Prints both crawls' wall time, pages, navigations, tabs,
// billed ms, S3 and DynamoDB work and estimated cost (the manifest's `usage`), and the change report.
// The host ceiling is lifted (as in the e2e tests) so the figures are the crawler's work, not the
// default 2 navigations a second; both crawls run under the same settings.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Usage } from '../functions/core/usage.js';
import { startLocalStack } from '../local/stack.js';
import { RawSocket as CrawlClient } from '../test/e2e/support/raw-socket.js';
import { serveGenerated } from './site.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '60' },
    depth: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const pages = Number(values.pages);

interface Run {
  jobId: string;
  seconds: number;
  pages: number;
  usage: Usage;
  changes?: Record<string, number>;
}

async function crawl(wsUrl: string, request: Record<string, unknown>): Promise<Run> {
  const client = await CrawlClient.connect(wsUrl);
  const started = Date.now();
  client.send({ action: 'crawl', ...request });
  const accepted = await client.waitFor((m) => m.type === 'accepted' || m.type === 'error', 60_000);
  if (accepted.type !== 'accepted') throw new Error(`refused: ${JSON.stringify(accepted)}`);
  const completed = await client.waitFor((m) => m.type === 'completed' && m.jobId === accepted.jobId, Math.max(600_000, pages * 5_000));
  const seconds = (Date.now() - started) / 1000;
  const manifest = (await (await fetch(completed.manifestUrl as string)).json()) as { pages: unknown[]; usage: Usage };
  await client.close();
  return { jobId: accepted.jobId as string, seconds, pages: manifest.pages.length, usage: manifest.usage, ...(completed.changes ? { changes: completed.changes as Record<string, number> } : {}) };
}

const site = await serveGenerated(pages, '127.0.0.1', { etags: true });
const stack = await startLocalStack({
  port: 0,
  workers: Number(values.workers),
  log: () => {},
  sweepIntervalMs: 0,
  env: { POWERTOOLS_LOG_LEVEL: 'WARN', MAX_PAGES: String(pages * 2), HOST_RATE_CEILING: '1000' },
});
try {
  const request = { url: `${site.origin}/`, depth: Number(values.depth), maxPages: pages, formats: ['markdown'] };
  const full = await crawl(stack.wsUrl, request);
  const rendered = [...site.requests.values()].reduce((a, b) => a + b, 0);
  site.requests.clear();
  const recrawl = await crawl(stack.wsUrl, { ...request, since: full.jobId });
  const renderedAgain = [...site.requests.values()].reduce((a, b) => a + b, 0);
  const answered304 = [...site.notModified.values()].reduce((a, b) => a + b, 0);
  const row = (name: string, run: Run, documents: number) => ({
    crawl: name,
    pages: run.pages,
    seconds: Math.round(run.seconds * 10) / 10,
    documentGets: documents,
    navigations: run.usage.navigations,
    tabsOpened: run.usage.tabsOpened,
    billedSeconds: Math.round(run.usage.billedMs / 100) / 10,
    s3Puts: run.usage.s3Puts,
    s3Gets: run.usage.s3Gets,
    dynamoWriteUnits: Math.round(run.usage.dynamoWriteUnits),
    dynamoReadUnits: Math.round(run.usage.dynamoReadUnits),
    estimatedCostUsd: run.usage.estimatedCostUsd,
  });
  const table = [row('full', full, rendered), row('since (unchanged)', recrawl, renderedAgain)];
  console.table(table);
  console.log(`recrawl: ${answered304} documents answered 304; changes ${JSON.stringify(recrawl.changes)}`);
  console.log(`recrawl / full: time ${(recrawl.seconds / full.seconds).toFixed(2)}, cost ${(recrawl.usage.estimatedCostUsd / Math.max(1e-12, full.usage.estimatedCostUsd)).toFixed(2)}`);
  mkdirSync(values.out!, { recursive: true });
  const file = join(values.out!, `recrawl-${pages}.json`);
  writeFileSync(file, JSON.stringify({ pages, depth: Number(values.depth), workers: Number(values.workers), table, answered304, changes: recrawl.changes, full: full.usage, recrawl: recrawl.usage }, null, 2));
  console.log(`wrote ${file}`);
} finally {
  await stack.stop();
  await site.stop();
}
