// `npm run bench:profile -- [--pages 300] [--depth 3] [--tabs 6] [--out bench/results/profile]`
// Crawls the generated site with one crawler environment under V8's sampling profiler and says where
// its CPU went: busy ms per page, self time by package, inclusive time by area (the AWS SDK, puppeteer
// and its CDP socket, the crawler's own code …). The .cpuprofile is kept for DevTools. The profile
// includes the environment's start and its warm-up page; the summary is per crawled page.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startLocalStack } from '../../local/stack.js';
import { CrawlerClient } from '../../client/index.js';
import { BENCH_STACK_ENV } from '../crawl-rule.js';
import { serveGenerated } from '../site.js';
import { summarise, type CpuProfile } from './summary.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '300' },
    depth: { type: 'string', default: '3' },
    tabs: { type: 'string', default: '6' },
    out: { type: 'string', default: 'bench/results/profile' },
  },
});
const out = resolve(values.out!);
const profiles = join(out, 'cpuprofiles');
rmSync(profiles, { recursive: true, force: true });
const hook = fileURLToPath(new URL('./hook.mjs', import.meta.url));

const site = await serveGenerated(Number(values.pages));
const stack = await startLocalStack({
  port: 0,
  workers: 1,
  batchSize: Number(values.tabs),
  apiEnvironments: 'shared',
  log: () => {},
  env: BENCH_STACK_ENV,
  workerEnv: { NODE_OPTIONS: `--import ${hook}`, CPU_PROFILE_DIR: profiles },
});
let pages = 0;
try {
  const client = await CrawlerClient.connect(stack.wsUrl);
  // a refusal rejects (CrawlerRequestError, with its code)
  const job = await client.crawl({ url: `${site.origin}/`, depth: Number(values.depth) });
  const { completed } = await job.done();
  pages = completed.pages;
  await client.close();
} finally {
  await stack.stop();
  await site.stop();
}

const files = readdirSync(profiles).filter((f) => f.endsWith('.cpuprofile'));
if (files.length !== 1) throw new Error(`expected one crawler profile in ${profiles}, found ${files.length}`);
const summary = summarise(JSON.parse(readFileSync(join(profiles, files[0]!), 'utf8')) as CpuProfile);
const perPage = (ms: number) => Math.round((ms / Math.max(1, pages)) * 10) / 10;
const report = {
  at: new Date().toISOString(),
  pages,
  profile: join(profiles, files[0]!),
  busyMsPerPage: perPage(summary.busyMs),
  inclusiveMsPerPageByArea: Object.fromEntries(summary.inclusiveByArea.map(([k, v]) => [k, perPage(v)])),
  selfMsPerPageByPackage: Object.fromEntries(summary.selfByPackage.slice(0, 25).map(([k, v]) => [k, perPage(v)])),
};
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'profile.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(`crawler CPU over ${pages} pages: ${report.busyMsPerPage} ms a page (busy, start-up included)`);
console.log('inclusive ms a page by area:', JSON.stringify(report.inclusiveMsPerPageByArea));
console.log('self ms a page by package (top 25):', JSON.stringify(report.selfMsPerPageByPackage));
console.log(`written: ${join(out, 'profile.json')}; open ${report.profile} in DevTools (Performance) for the call tree`);
process.exit(0);
