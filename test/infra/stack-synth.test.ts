// The real thing, once: `npx cdk synth` as a user runs it — on a terminal, with no AWS credentials,
// functions bundled by esbuild, cdk-nag and the CloudFormation validator on — in a network namespace
// with no network and under strace when the machine has them, to show that nothing even tries to
// connect (notices, telemetry, the CLI's version check). Then the crawler's unzipped size against
// Lambda's 250 MB limit, and a crawl with the very bundle and layer that synth produced.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startDemoSite } from '../../local/demo-site.js';
import { crawl, startTestStack } from '../e2e/harness.js';
import { projectRoot } from './synth.js';

const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), 'cdk-synth-'));
const out = join(work, 'cdk.out');
const trace = join(work, 'connect.trace');
// The CLI's cache folder, fresh: no version-check stamp from an earlier run.
const cdkHome = join(projectRoot, '.cdk', 'synth-test-home');

afterAll(() => rmSync(work, { recursive: true, force: true }));

function sizeOf(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((total, entry) => total + sizeOf(join(path, entry)), 0);
}

const works = (command: string, args: string[]) => spawnSync(command, args, { stdio: 'ignore' }).status === 0;

/** The same environment without anything that would switch the CLI's network features off, or log in. */
function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CDK_HOME: cdkHome };
  for (const name of ['CDK_DISABLE_CLI_TELEMETRY', 'CDK_DISABLE_VERSION_CHECK', 'CDK_VERSION_CHECK', 'CI']) delete env[name];
  for (const name of Object.keys(env)) if (/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE|DEFAULT_PROFILE)$/.test(name)) delete env[name];
  env.AWS_CONFIG_FILE = join(work, 'no-aws-config');
  env.AWS_SHARED_CREDENTIALS_FILE = join(work, 'no-aws-credentials');
  return env;
}

let bundledCrawler = '';
let chromiumLayerDir = '';

it('synthesizes offline on a terminal, without credentials, reaching nothing; the crawler fits in Lambda', () => {
  rmSync(cdkHome, { recursive: true, force: true });
  const synthCommand = ['npx', 'cdk', 'synth', '-q', '-o', out, '-c', '@aws-cdk/core:strictCfnValidateErrors=true'];
  // `script` gives the CLI a terminal: the CLI checks npm for a newer version only on one.
  const tty = works('script', ['-qec', 'true', '/dev/null']);
  const command = tty ? ['script', '-qec', synthCommand.join(' '), '/dev/null'] : synthCommand;
  const traced = works('strace', ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=connect', '-o', '/dev/null', 'true']);
  const isolated = works('unshare', ['-n', 'true']);
  const full = [
    ...(isolated ? ['unshare', '-n'] : []),
    ...(traced ? ['strace', '-f', '-qq', '--seccomp-bpf', '-e', 'trace=connect', '-o', trace] : []),
    ...command,
  ];
  console.log(`cdk synth: ${tty ? 'on a pseudo-terminal' : 'no terminal'}, ${isolated ? 'no network' : 'network present'}, ${traced ? 'connect() traced' : 'not traced'}`);
  const started = Date.now();
  const output = execFileSync(full[0]!, full.slice(1), { cwd: projectRoot, env: userEnvironment(), encoding: 'utf8', stdio: 'pipe', timeout: 240_000 });
  console.log(`cdk synth took ${((Date.now() - started) / 1000).toFixed(1)} s`);

  expect(output).not.toMatch(/NOTICES|Newer version of CDK|feature flags are not configured|Telemetry/i);
  if (traced) {
    const attempts = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((line) => /connect\(.*sa_family=AF_INET6?\b/.test(line));
    expect(attempts).toEqual([]);
  }
  const report = JSON.parse(readFileSync(join(out, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
  };
  expect(report.pluginReports.find((r) => r.pluginName === 'AwsSolutions')).toMatchObject({ conclusion: 'success', violations: [] });

  const template = JSON.parse(readFileSync(join(out, 'Crawler.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, any>; Metadata?: Record<string, string> }>;
  };
  // cdk.json turns version reporting off: no AWS::CDK::Metadata resource reporting the constructs used.
  expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::CDK::Metadata')).toEqual([]);
  const assetOf = (resource: { Metadata?: Record<string, string> } | undefined) => join(out, resource?.Metadata?.['aws:asset:path'] ?? 'missing');
  const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler === 'index.handler');
  for (const fn of functions) expect(readdirSync(assetOf(fn))).toContain('index.js');
  const crawler = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Layers);
  expect(crawler).toBeDefined();
  const layer = template.Resources[crawler!.Properties.Layers[0].Ref as string];
  const codeBytes = sizeOf(assetOf(crawler));
  const layerBytes = sizeOf(assetOf(layer));
  console.log(`crawler code ${(codeBytes / 1e6).toFixed(1)} MB + Chromium layer ${(layerBytes / 1e6).toFixed(1)} MB (unzipped)`);
  expect(readdirSync(assetOf(layer))).toContain('chromium.br');
  // Lambda's limit counts the function's code and all its layers, unzipped.
  expect(codeBytes + layerBytes).toBeLessThan(LAMBDA_UNZIPPED_LIMIT);
  bundledCrawler = join(assetOf(crawler), 'index.js');
  chromiumLayerDir = assetOf(layer);
  expect(existsSync(join(cdkHome, 'cache', 'repo-version-ttl'))).toBe(true);
}, 300_000);

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
    // Every page product too: their libraries (Readability, turndown, linkedom, warcio, yazl) must
    // survive esbuild's bundling, not only the source run by the other e2e tests.
    const formats = ['html', 'markdown', 'text', 'screenshot', 'archive'];
    const run = await crawl(stack, { url: `${site.origin}/`, depth: 1, formats, extract: 'metadata' });
    expect(run.completed).toMatchObject({ status: 'succeeded', pages: 7, failed: 0 });
    const lines = (await (await fetch(run.completed.resultsUrl as string)).text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines.find((l) => l.url === `${site.origin}/a.html`)).toMatchObject({ markdown: expect.stringContaining('Delayed'), data: { title: 'A' } });
    const wacz = await fetch(run.completed.archiveUrl as string);
    expect(wacz.status).toBe(200);
    expect(Buffer.from(await wacz.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
    expect(readdirSync(join(lambdaTask, 'tmp'))).toContain('chromium');
    await run.client.close();
  } finally {
    await Promise.all([stack.stop(), site.stop()]);
    rmSync(lambdaTask, { recursive: true, force: true });
  }
}, 180_000);
