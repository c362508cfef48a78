// `npm run bench:cold`: time from invocation to the first page rendered, for a cold crawler
// environment (new process, a /tmp without Chromium: it is inflated from the .br files, as on a new
// Lambda environment) and for warm ones (process and browser reused).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack.js';
import { CrawlerClient } from '../client/index.js';
import { serveGenerated } from './site.js';

const WARM_RUNS = 5;
const site = await serveGenerated(20);
const freshTmp = mkdtempSync(join(tmpdir(), 'cold-lambda-'));
const stack = await startLocalStack({ port: 0, workers: 1, batchSize: 1, log: () => {}, workerEnv: { TMPDIR: freshTmp } });
try {
  const client = await CrawlerClient.connect(stack.wsUrl);
  for (let i = 0; i <= WARM_RUNS; i++) {
    const job = await client.crawl({ url: `${site.origin}/p/${i + 1}.html`, depth: 0 });
    await job.done();
  }
  await client.close();
  const invocations = stack.crawlerInvocations().filter((i) => i.ok);
  const cold = invocations.filter((i) => i.cold).map((i) => i.ms);
  const warm = invocations.filter((i) => !i.cold).map((i) => i.ms).sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)];
  console.log(`crawler invocation, one page (invoke → page rendered, recorded, settled):`);
  console.log(`  cold: ${cold.join(', ')} ms  (new process, Chromium inflated into an empty /tmp, browser launched)`);
  console.log(`  warm: median ${median} ms over ${warm.length} (${warm.join(', ')})`);
} finally {
  await stack.stop();
  await site.stop();
  rmSync(freshTmp, { recursive: true, force: true });
}
