// (c) The limit: one browser, N tabs, a BFS queue and a Set. It uses the project's own renderer
// (same tab handling, settle rule and extraction) with none of the queue/table/bucket machinery.
import { PuppeteerRenderer } from '../functions/adapters/browser/renderer.js';
import { normaliseUrl } from '../functions/core/url.js';
import { SETTLE, childrenOf, type BenchOptions, type VariantResult } from './crawl-rule.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

export async function runBare(options: BenchOptions): Promise<VariantResult> {
  const renderer = new PuppeteerRenderer({ log: quiet });
  // `--no-autoscroll` turns it off here too, so the renderer's cost can be read against Crawlee's,
  // which never scrolls.
  const renderOptions = { ...SETTLE, block: options.block ?? [], ...(options.autoscroll === false ? { autoscroll: false } : {}) };
  const seed = normaliseUrl(options.url);
  if (!seed.ok) throw new Error(seed.reason);
  const seen = new Set([seed.url]);
  const queue: { url: string; depth: number }[] = [{ url: seed.url, depth: 0 }];
  const pages: string[] = [];
  // The renderer's own timings summed, as the project's pages report them: how long a tab was open
  // a page is what Chromium's CPU a page is compared by (bench/run.ts).
  const timings: Record<string, number> = {};
  // Launch the browser and render the seed once before the clock starts, as the project's warm-up
  // crawl does (Crawlee launches its browser inside run(), so its figures include the launch).
  await renderer.render(seed.url, renderOptions);
  process.stdout.write('\nMARK\n');
  const started = Date.now();
  let active = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (queue.length === 0 && active === 0) return resolve();
      while (active < options.tabs && queue.length > 0) {
        const next = queue.shift()!;
        active++;
        renderer
          .render(next.url, renderOptions)
          .then((page) => {
            pages.push(next.url);
            for (const [name, value] of Object.entries(page.timings)) timings[name] = (timings[name] ?? 0) + value;
            if (next.depth < options.depth && (page.status ?? 200) < 400) {
              for (const child of childrenOf(seed.url, page.finalUrl, page.links)) {
                if (seen.has(child) || seen.size >= options.maxPages) continue;
                seen.add(child);
                queue.push({ url: child, depth: next.depth + 1 });
              }
            }
          })
          .catch(() => pages.push(next.url))
          .finally(() => {
            active--;
            pump();
          });
      }
    };
    try {
      pump();
    } catch (error) {
      reject(error);
    }
  });
  const wallSeconds = (Date.now() - started) / 1000;
  await renderer.close();
  const breakdown = Object.fromEntries(Object.entries(timings).map(([name, total]) => [name, Math.round(total / Math.max(1, pages.length))]));
  return { variant: 'bare', pages, wallSeconds, breakdown };
}
