// The real thing, once: `npx cdk synth` as a user runs it — bundled with esbuild, validated by the
// built-in CloudFormation validator, in a network namespace with no network when the machine
// allows one — and the crawler's unzipped size against Lambda's 250 MB limit.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startDemoSite } from '../../local/demo-site.js';
import { crawl, startTestStack } from '../e2e/harness.js';

const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;
const out = mkdtempSync(join(tmpdir(), 'cdk-synth-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((total, entry) => total + sizeOf(join(path, entry)), 0);
}

function withoutNetwork(): string[] {
  // `unshare -n` needs root (or user namespaces); where it is missing we still synth, offline by configuration.
  const probe = spawnSync('unshare', ['-n', 'true']);
  return probe.status === 0 ? ['unshare', '-n'] : [];
}

it('synthesizes offline with bundled functions, and the crawler fits in Lambda', () => {
  const prefix = withoutNetwork();
  const command = [...prefix, 'npx', 'cdk', 'synth', '--no-notices', '-q', '-o', out];
  execFileSync(command[0] as string, command.slice(1), {
    cwd: process.cwd(),
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: '1', CDK_HOME: join(process.cwd(), '.cdk') },
    stdio: 'pipe',
    timeout: 240_000,
  });
  const template = JSON.parse(readFileSync(join(out, 'Crawler.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> }>;
  };
  const crawler = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Description === 'Renders crawl queue URLs in headless Chromium',
  );
  expect(crawler).toBeDefined();
  const assetOf = (resource: { Metadata?: Record<string, string> } | undefined) => join(out, resource?.Metadata?.['aws:asset:path'] ?? 'missing');
  const layerId = crawler?.Properties.Layers[0].Ref as string;
  const codeBytes = sizeOf(assetOf(crawler));
  const layerBytes = sizeOf(assetOf(template.Resources[layerId]));
  console.log(`crawler code ${(codeBytes / 1e6).toFixed(1)} MB + Chromium layer ${(layerBytes / 1e6).toFixed(1)} MB (unzipped)`);
  expect(readdirSync(assetOf(crawler))).toContain('index.js');
  expect(readdirSync(assetOf(template.Resources[layerId]))).toContain('chromium.br');
  expect(codeBytes + layerBytes).toBeLessThan(LAMBDA_UNZIPPED_LIMIT);
  bundledCrawler = join(assetOf(crawler), 'index.js');
  chromiumLayerDir = assetOf(template.Resources[layerId]);
}, 300_000);

let bundledCrawler = '';
let chromiumLayerDir = '';

it('crawls with the bundle cdk made for Lambda, reading Chromium from the layer', async () => {
  expect(bundledCrawler).not.toBe('');
  // Outside this project's package.json ("type": "module") the bundle is CommonJS, as on Lambda.
  const lambdaTask = mkdtempSync(join(tmpdir(), 'lambda-task-'));
  mkdirSync(join(lambdaTask, 'tmp'), { recursive: true });
  copyFileSync(bundledCrawler, join(lambdaTask, 'index.js'));
  const [stack, site] = await Promise.all([
    startTestStack({
      workers: 1,
      handlerFiles: { worker: join(lambdaTask, 'index.js') },
      // A fresh /tmp, as in a new Lambda environment: Chromium is inflated from the layer's files.
      workerEnv: { CHROMIUM_BIN_DIR: chromiumLayerDir, TMPDIR: join(lambdaTask, 'tmp') },
    }),
    startDemoSite(),
  ]);
  try {
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 1 });
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 7, failed: 0 });
    expect(readdirSync(join(lambdaTask, 'tmp'))).toContain('chromium');
    await run.client.close();
  } finally {
    await Promise.all([stack.stop(), site.stop()]);
    rmSync(lambdaTask, { recursive: true, force: true });
  }
}, 180_000);
