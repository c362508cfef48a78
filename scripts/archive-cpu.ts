// What the archive page product costs the crawler's own Node process, apart from the rest of the
// stack: the real renderer (headless @sparticuz/chromium, as on Lambda) crawls pages of the bench's
// generated site with 3 tabs at once, plainly and with `archive`, in alternating rounds; prints Node
// CPU per page of each and, with --profile DIR, writes a V8 CPU profile of the archive rounds.
//   npx tsx scripts/archive-cpu.ts [--pages 120] [--rounds 2] [--profile /tmp/archive-prof]
// The gzip work on libuv's pool counts in process CPU too (other threads of the same process).
import { Session } from 'node:inspector/promises';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serveGenerated } from '../bench/site.js';
import { InMemoryPayloadDigests } from '../functions/adapters/archive/payload-digests.js';
import { PuppeteerRenderer } from '../functions/adapters/browser/renderer.js';
import { ArchiveProduct } from '../functions/adapters/products/archive.js';
import type { Logger } from '../functions/core/ports.js';

const { values } = parseArgs({ options: { pages: { type: 'string', default: '120' }, rounds: { type: 'string', default: '2' }, tabs: { type: 'string', default: '3' }, profile: { type: 'string' } } });
const pages = Number(values.pages);
const tabs = Number(values.tabs);
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const site = await serveGenerated(300);
const urls = Array.from({ length: pages }, (_, i) => (i === 0 ? `${site.origin}/` : `${site.origin}/p/${i}.html`));
let jobId = 0;
let digests = new InMemoryPayloadDigests();
const renderer = new PuppeteerRenderer({
  log: quiet,
  products: (request) => (request.name === 'archive' ? new ArchiveProduct({ jobId: `job-${jobId}`, digests, log: quiet }) : undefined),
});
const timing = { navigationTimeoutMs: 30_000, settleIdleMs: 300, settleMaxMs: 5_000 };

async function crawl(archive: boolean): Promise<{ cpuMsPerPage: number; bytes: number }> {
  jobId++;
  digests = new InMemoryPayloadDigests();
  const queue = [...urls];
  let bytes = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: tabs }, async () => {
      for (let url = queue.shift(); url; url = queue.shift()) {
        const page = await renderer.render(url, { ...timing, products: archive ? [{ name: 'archive' }] : [] });
        const output = page.products?.['archive'];
        if (archive && (output?.error || !output?.files?.[0])) throw new Error(`no archive for ${url}: ${output?.error ?? output?.skipped}`);
        bytes += output?.files?.[0]?.body.length ?? 0;
      }
    }),
  );
  const used = process.cpuUsage(before);
  return { cpuMsPerPage: (used.user + used.system) / 1000 / pages, bytes: bytes / pages };
}

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await crawl(false); // warm: browser start, compile
const rows: { round: number; plain: number; archive: number; archiveBytesPerPage: number }[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const plain = await crawl(false);
  if (values.profile) await session.post('Profiler.start');
  const archive = await crawl(true);
  if (values.profile) {
    const { profile } = await session.post('Profiler.stop');
    await mkdir(values.profile, { recursive: true });
    await writeFile(join(values.profile, `archive-${round}.cpuprofile`), JSON.stringify(profile));
  }
  rows.push({ round, plain: Math.round(plain.cpuMsPerPage), archive: Math.round(archive.cpuMsPerPage), archiveBytesPerPage: Math.round(archive.bytes) });
  console.log(`round ${round}: Node CPU per page plain ${plain.cpuMsPerPage.toFixed(1)} ms, archive ${archive.cpuMsPerPage.toFixed(1)} ms (+${(archive.cpuMsPerPage - plain.cpuMsPerPage).toFixed(1)}), ${Math.round(archive.bytes)} B of WARC a page`);
}
console.log(JSON.stringify(rows));
await renderer.close();
await site.stop();
