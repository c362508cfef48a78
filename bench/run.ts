// `npm run bench -- [--pages 300] [--site DIR] [--depth 3] [--tabs 6] [--workers 2] [--rounds 1]
//                   [--block image,font,media,stylesheet] [--formats archive|markdown|screenshot,…]
//                   [--no-autoscroll] [--only project,project-noscroll,…] [--api-environments shared|per-function]`
// With --formats, a fourth variant (`project-formats`) crawls with those formats, so the cost of the
// formats is read against the plain project crawl of the same run (ratio and bytes per page).
// `project-noscroll` (only when named in --only) is the project with auto-scroll off, alternating
// with `project` in the same run, so the cost of auto-scroll is read from medians of one machine state.
// Serves a site on 127.0.0.1 and crawls it, alternating, with (a) this project's local stack,
// (b) Crawlee's PuppeteerCrawler and (c) a bare puppeteer-core loop: same Chromium, tabs, depth,
// scope and settle rule. Each runs in its own process tree, which is sampled for memory and CPU.
// With --rounds N the order rotates each round; each variant is reported by its median and spread
// (min–max) over its rounds, and every ratio is of medians (bench/round-stats.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BLOCKABLE_RESOURCES } from '../functions/core/messages.js';
import { costPerThousandPages } from './cost.js';
import type { VariantResult } from './crawl-rule.js';
import { sampleTree, type TreeUsage } from './process-tree.js';
import { medianRatios, medianRound, ratio, roundOrder, statsByVariant } from './round-stats.js';
import { serveDirectory, serveGenerated } from './site.js';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '300' },
    site: { type: 'string' },
    depth: { type: 'string', default: '3' },
    tabs: { type: 'string', default: '6' },
    workers: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string' },
    'max-pages': { type: 'string', default: '20000' },
    out: { type: 'string', default: 'bench/results' },
    /** subresource types every variant skips (the crawl option `block`); default none */
    block: { type: 'string' },
    /** page formats for the project-formats variant (the crawl option `formats`) */
    formats: { type: 'string' },
    /** the project's crawls (crawl option `autoscroll: false`) and the bare loop turn auto-scroll off: run with and without to read its cost */
    'no-autoscroll': { type: 'boolean' },
    /** the project's local stack: its API functions in one environment (shared, default) or one each */
    'api-environments': { type: 'string', default: 'shared' },
  },
});

const formats = values.formats ? values.formats.split(',').map((f) => f.trim()).filter(Boolean) : [];
const VARIANTS = (values.only?.split(',') ?? ['project', ...(formats.length ? ['project-formats'] : []), 'crawlee', 'bare']) as (
  | 'project'
  | 'project-formats'
  | 'project-noscroll'
  | 'project-http'
  | 'project-auto'
  | 'crawlee'
  | 'bare'
)[];
const apiEnvironments = values['api-environments'];
if (apiEnvironments !== 'shared' && apiEnvironments !== 'per-function') {
  console.error(`--api-environments: expected shared or per-function, got ${apiEnvironments}`);
  process.exit(2);
}
// Said loudly, as the stack's defaults are what every other figure uses: this comparison lifts the
// host ceiling (BENCH_STACK_ENV), since the peers it is compared with have none.
console.warn('NOTE: the project runs with HOST_RATE_CEILING=1000 here (its default is 2/s per host): a throughput comparison with crawlers that have no host ceiling. Cost at the default settings: npm run bench:usage');
const tabs = Number(values.tabs);
const workers = Number(values.workers);
const block = values.block ? values.block.split(',').map((type) => type.trim()).filter(Boolean) : [];
const unknownTypes = block.filter((type) => !(BLOCKABLE_RESOURCES as readonly string[]).includes(type));
if (unknownTypes.length > 0) {
  console.error(`--block: unknown type(s) ${unknownTypes.join(', ')}; expected some of ${BLOCKABLE_RESOURCES.join(', ')}`);
  process.exit(2);
}

interface Measured extends VariantResult, TreeUsage {
  round: number;
  pagesPerSecond: number;
}

function runVariant(variant: string, options: object): Promise<Measured & { round: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run-variant.ts', variant, JSON.stringify(options)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CRAWLEE_LOG_LEVEL: 'WARNING' },
    });
    const sampler = sampleTree(child.pid!);
    let out = '';
    let marked = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // the variant's timed crawl begins (its start-up and warm-up are done): CPU counts from here
      if (!marked && /^MARK$/m.test(out)) {
        marked = true;
        sampler.mark();
      }
    });
    child.on('exit', (code) => {
      const usage = sampler.stop();
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) return reject(new Error(`${variant} exited with ${code}: ${out.slice(-2000)}`));
      const result = JSON.parse(line.slice(7)) as VariantResult;
      resolve({ ...result, ...usage, round: 0, pagesPerSecond: Math.round((result.pages.length / result.wallSeconds) * 100) / 100 });
    });
  });
}

function svgChart(rows: { variant: string; pagesPerSecond: number; peakRssMb: number; cpuSeconds: number }[]): string {
  const metrics: [string, keyof (typeof rows)[number]][] = [['pages/s', 'pagesPerSecond'], ['peak RSS MB', 'peakRssMb'], ['CPU s', 'cpuSeconds']];
  const colors: Record<string, string> = { project: '#2b6cb0', 'project-http': '#38a169', 'project-auto': '#805ad5', crawlee: '#dd6b20', bare: '#718096' };
  const width = 720;
  const panel = width / metrics.length;
  const parts: string[] = [];
  metrics.forEach(([label, key], m) => {
    const max = Math.max(...rows.map((r) => Number(r[key]))) || 1;
    const x0 = m * panel + 20;
    parts.push(`<text x="${x0}" y="20" font-size="14" font-family="sans-serif">${label}</text>`);
    rows.forEach((row, i) => {
      const value = Number(row[key]);
      const h = (value / max) * 180;
      const x = x0 + i * 60;
      parts.push(`<rect x="${x}" y="${220 - h}" width="45" height="${h}" fill="${colors[row.variant] ?? '#999'}"/>`);
      parts.push(`<text x="${x}" y="238" font-size="11" font-family="sans-serif">${row.variant}</text>`);
      parts.push(`<text x="${x}" y="${214 - h}" font-size="11" font-family="sans-serif">${value}</text>`);
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="250" viewBox="0 0 ${width} 250"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}

async function main(): Promise<void> {
  const site = values.site ? await serveDirectory(values.site) : await serveGenerated(Number(values.pages));
  const options = {
    url: `${site.origin}/`,
    depth: Number(values.depth),
    maxPages: Number(values['max-pages']),
    tabs,
    workers,
    apiEnvironments,
    block,
    formats,
    ...(values['no-autoscroll'] ? { autoscroll: false } : {}),
  };
  console.log(`bench: ${values.site ?? `generated site of ${values.pages} pages`} at ${site.origin}, depth ${options.depth}, ${tabs} tabs${block.length ? `, blocking ${block.join(', ')}` : ''}`);
  const results: Measured[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    // Rotate the order each round so no variant always runs first on a cold machine: over as many
    // rounds as variants, each takes every place once.
    const order = roundOrder(VARIANTS, round);
    for (const variant of order) {
      site.requests.clear();
      const measured = await runVariant(variant, options);
      measured.round = round;
      results.push(measured);
      console.log(
        `  round ${round} ${variant.padEnd(8)} ${String(measured.pages.length).padStart(5)} pages  ${measured.wallSeconds.toFixed(1)} s  ${measured.pagesPerSecond} pages/s  peak RSS ${measured.peakRssMb} MB (without emulators ${measured.peakRssWithoutEmulatorsMb} MB)  peak PSS ${measured.peakPssMb} MB  CPU ${measured.cpuSeconds} s ${JSON.stringify(measured.cpuByKind)}\n      RSS at peak by kind: ${JSON.stringify(measured.peakRssByKind)}\n      PSS at peak by kind: ${JSON.stringify(measured.peakPssByKind)}`,
      );
    }
  }
  await site.stop();

  // Every ratio is of medians over the rounds; where one round must stand for a variant (its page
  // set, breakdown, cost model), it is the round of median pages/s.
  const stats = statsByVariant(VARIANTS, results);
  const ratios = medianRatios(stats, formats.length > 0);
  const typical = (variant: string) => medianRound(results, variant);
  const summary = VARIANTS.map((v) => typical(v)!).filter(Boolean);
  const sets = new Map(summary.map((r) => [r.variant, new Set(r.pages)]));
  const reference = sets.get('bare') ?? sets.get(VARIANTS[0]!)!;
  const differences = summary.map((r) => {
    const set = sets.get(r.variant)!;
    return { variant: r.variant, missing: [...reference].filter((p) => !set.has(p)).length, extra: [...set].filter((p) => !reference.has(p)).length };
  });
  const project = typical('project');
  const b = project?.breakdown ?? {};
  /** ms a page held its tab (navigation, settle, reading), from a variant's per-page breakdown */
  const renderMsOf = (breakdown: Record<string, number> | undefined) =>
    breakdown ? (breakdown.navigationMs ?? 0) + (breakdown.settleMs ?? 0) + (breakdown.extractMs ?? 0) : null;
  const renderMs = renderMsOf(project?.breakdown) ?? 0;
  const machineryMs = (b.dynamodbMs ?? 0) + (b.sqsMs ?? 0) + (b.s3Ms ?? 0);
  const cost = project
    ? costPerThousandPages({
        lambdaSecondsPerPage: (project.wallSeconds * workers) / project.pages.length,
        lambdaMemoryGb: 2,
        pagesPerInvocation: Math.max(1, Math.round(tabs / workers)),
        recordBytes: 60 * 1024,
        admittedPerPage: 1,
      })
    : null;
  // CPU per page by kind during the timed crawl, of the median rounds. The crawler's machinery is what its environments
  // spend beyond the bare loop, which drives the same renderer from one Node process with no queue,
  // table or bucket: crawler Node CPU − bare Node CPU, per page.
  const perPageMs = (r: Measured | undefined, pick: (kind: string) => boolean) =>
    r ? Math.round((Object.entries(r.crawlCpuByKind).filter(([kind]) => pick(kind)).reduce((sum, [, s]) => sum + s, 0) * 1000) / Math.max(1, r.pages.length)) : null;
  const bareRound = typical('bare');
  const crawleeRound = typical('crawlee');
  const cpuMsPerPage = {
    projectCrawlerNode: perPageMs(project, (k) => k.startsWith('node:function:worker')),
    projectOtherNode: perPageMs(project, (k) => k.startsWith('node') && !k.startsWith('node:function:worker')),
    projectEmulators: perPageMs(project, (k) => k === 'java'),
    projectChromium: perPageMs(project, (k) => k === 'chromium'),
    bareNode: perPageMs(bareRound, (k) => k === 'node'),
    bareChromium: perPageMs(bareRound, (k) => k === 'chromium'),
    crawleeNode: perPageMs(crawleeRound, (k) => k === 'node'),
    crawleeChromium: perPageMs(crawleeRound, (k) => k === 'chromium'),
  };
  // How long a page held its tab (navigation, settle, reading), and Chromium's CPU per second of it.
  // Equal figures per tab-second would say the project's Chromium spends more a page because its
  // tabs stay open longer (on a machine shared with the crawler's other processes), not because it
  // does more in them.
  const tabOpenMsPerPage = { project: renderMsOf(project?.breakdown), bare: renderMsOf(bareRound?.breakdown) };
  const perTabSecond = (cpuMs: number | null, openMs: number | null) => (cpuMs !== null && openMs ? Math.round((cpuMs / openMs) * 1000) : null);
  const chromiumCpuMsPerTabSecond = {
    project: perTabSecond(cpuMsPerPage.projectChromium, tabOpenMsPerPage.project),
    bare: perTabSecond(cpuMsPerPage.bareChromium, tabOpenMsPerPage.bare),
  };
  const machineryCpuMsPerPage = cpuMsPerPage.projectCrawlerNode !== null && cpuMsPerPage.bareNode !== null ? cpuMsPerPage.projectCrawlerNode - cpuMsPerPage.bareNode : null;
  const report = {
    at: new Date().toISOString(),
    machine: { cores: (await import('node:os')).cpus().length, node: process.version },
    options: { ...options, site: values.site ?? `generated:${values.pages}` },
    // At most ~300 points of the memory curve per run: enough to see whether it stays flat.
    results: results.map(({ pages, rssCurve, ...rest }) => ({
      ...rest,
      pageCount: pages.length,
      rssCurve: rssCurve.filter((_, i) => i % Math.max(1, Math.ceil(rssCurve.length / 300)) === 0),
    })),
    pageSetDifferences: differences,
    /** per variant: median, min, max and relative spread over its rounds */
    stats,
    /** every ratio is of the variants' medians (before 2026-12, of their best rounds) */
    ratioBasis: 'median',
    ratios,
    projectBreakdownMsPerPage: b,
    /** CPU ms per page by kind, of the median rounds */
    cpuMsPerPage,
    /** the crawler's CPU per page beyond the bare loop's (goal ≤ 15) */
    machineryCpuMsPerPage,
    /** the project's Chromium CPU per page over the bare loop's (goal ≤ 1.05) */
    chromiumCpuVsBare: ratio(cpuMsPerPage.projectChromium, cpuMsPerPage.bareChromium),
    /** ms a page held its tab (navigation + settle + reading), project and bare loop, of the median rounds */
    tabOpenMsPerPage,
    /** Chromium CPU ms per second a tab was open: equal figures say the gap in CPU a page is time open, not work */
    chromiumCpuMsPerTabSecond,
    machineryShareOfRender: renderMs > 0 ? Math.round((machineryMs / renderMs) * 1000) / 1000 : null,
    costPerThousandPages: cost,
  };
  mkdirSync(values.out!, { recursive: true });
  writeFileSync(join(values.out!, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(
    join(values.out!, 'bench.svg'),
    svgChart(stats.map((s) => ({ variant: s.variant, pagesPerSecond: s.pagesPerSecond.median, peakRssMb: s.peakRssMb.median, cpuSeconds: s.cpuSeconds.median }))),
  );
  for (const s of stats) {
    const show = (label: string, x: typeof s.pagesPerSecond) => `${label} ${x.median} (${x.min}–${x.max}, spread ${Math.round(x.relativeSpread * 100)} %)`;
    console.log(`median of ${s.pagesPerSecond.rounds} round(s) ${s.variant.padEnd(15)} ${show('pages/s', s.pagesPerSecond)}  ${show('CPU s', s.cpuSeconds)}  ${show('peak RSS MB', s.peakRssMb)}${s.peakPssMb ? `  ${show('peak PSS MB', s.peakPssMb)}` : ''}`);
  }
  console.log('\npage sets (against the bare loop):', JSON.stringify(differences));
  console.log('ratios (of medians):', JSON.stringify(ratios));
  const withFormats = typical('project-formats');
  if (withFormats) console.log(`formats ${formats.join(',')}: bytes per page`, JSON.stringify(withFormats.formatBytesPerPage ?? {}));
  console.log('project per-page breakdown (ms):', JSON.stringify(b), `machinery/render = ${report.machineryShareOfRender}`);
  console.log('CPU ms per page:', JSON.stringify(cpuMsPerPage), `machinery (crawler − bare Node) = ${machineryCpuMsPerPage} ms, Chromium project/bare = ${report.chromiumCpuVsBare}`);
  console.log('tab open ms a page:', JSON.stringify(tabOpenMsPerPage), 'Chromium CPU ms per tab-second:', JSON.stringify(chromiumCpuMsPerTabSecond));
  if (cost) console.log(`cost per 1,000 pages: $${cost.totalPerThousandPages}`, JSON.stringify(cost.items));
  console.log(`written: ${join(values.out!, 'bench.json')}, ${join(values.out!, 'bench.svg')}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
