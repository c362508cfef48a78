// The handlers as the tests' local stacks run them: bundled by esbuild as CDK bundles them for
// Lambda (CommonJS, every dependency inside, functions/handlers/*.ts one file each). An execution
// environment then loads one file instead of resolving and transpiling hundreds of modules through
// tsx: measured on a 2-core machine, 0.4 s of CPU a cold start instead of 1.9 s, and a suite starts
// a few hundred environments. The source files stay what `npm start` runs.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Handler name → bundle path, for every file of functions/handlers; and the local runtime built to run them without tsx. */
export interface HandlerBundles {
  handlers: Record<string, string>;
  runtime: string;
  /** test/e2e/support/calibration-handler.ts, run as the stacks' handlers are */
  calibration: string;
}

const handlersDir = join(root, 'functions', 'handlers');
const RUNTIME_SOURCE = join(root, 'local', 'lambda-runtime.ts');
const RUNTIME = 'lambda-runtime.mjs';
// bundled into the runtime (the AWS requests each invocation makes, for the least-privilege test)
const CALL_AUDIT_SOURCE = join(root, 'local', 'call-audit.ts');
const CALIBRATION_SOURCE = join(root, 'test', 'e2e', 'support', 'calibration-handler.ts');
const CALIBRATION = 'calibration-handler.cjs';
// per checkout: another clone's or worktree's bundles are never touched
const PREFIX = `crawler-test-handlers-${createHash('sha256').update(root).digest('hex').slice(0, 8)}-`;

/**
 * The bundles of the code as it is now, built once and kept in the temporary folder under a hash
 * of everything they are made of (functions/, the lock file, this file), so a second run of one
 * test file does not wait for esbuild. Bundles of other versions are removed once older than any run.
 */
export async function handlerBundles(): Promise<HandlerBundles> {
  const names = readdirSync(handlersDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -'.ts'.length));
  const dir = join(tmpdir(), `${PREFIX}${sourceHash()}`);
  const bundles = { handlers: Object.fromEntries(names.map((n) => [n, join(dir, `${n}.cjs`)])), runtime: join(dir, RUNTIME), calibration: join(dir, CALIBRATION) };
  if (existsSync(join(dir, 'complete'))) {
    // in use again: its age counts from now (see below)
    utimesSync(dir, new Date(), new Date());
    return bundles;
  }
  // Another run of this checkout may be building right now (its partial folder is left alone) or
  // running on the bundles of the code as it was when it started: a developer who edits a file and
  // runs one test during a whole run must not pull the bundles from under the run's stacks (its next
  // cold start would find no file, and its jobs never finish). So only bundles older than any run are removed.
  for (const old of readdirSync(tmpdir()).filter((f) => f.startsWith(PREFIX) && !f.endsWith('.partial'))) {
    if (ageMs(join(tmpdir(), old)) > STALE_BUNDLES_MS) rmSync(join(tmpdir(), old), { recursive: true, force: true });
  }
  const building = `${dir}.${process.pid}.partial`;
  await buildInto(building, names);
  writeFileSync(join(building, 'complete'), '');
  try {
    renameSync(building, dir);
  } catch (error) {
    // a concurrent run finished the same bundles first
    rmSync(building, { recursive: true, force: true });
    if (!existsSync(join(dir, 'complete'))) throw error;
  }
  return bundles;
}

/** Longer than any run of the suite. */
const STALE_BUNDLES_MS = 6 * 3600_000;

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(relative(root, path)).update(readFileSync(path));
    }
  };
  walk(join(root, 'functions'));
  // the crawler bundles the extractors too (and runs them in its worker threads)
  walk(join(root, 'extractors'));
  hash.update(readFileSync(join(root, 'package-lock.json'))).update(readFileSync(fileURLToPath(import.meta.url))).update(readFileSync(RUNTIME_SOURCE)).update(readFileSync(CALL_AUDIT_SOURCE)).update(readFileSync(CALIBRATION_SOURCE));
  return hash.digest('hex').slice(0, 16);
}

async function buildInto(outDir: string, names: string[]): Promise<void> {
  await build({
    entryPoints: { ...Object.fromEntries(names.map((n) => [n, join(handlersDir, `${n}.ts`)])), [CALIBRATION.slice(0, -'.cjs'.length)]: CALIBRATION_SOURCE },
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    // as infra/constructs/functions.ts: CommonJS, the same optional speed-ups of `ws` left out
    format: 'cjs',
    target: 'node20',
    external: ['bufferutil', 'utf-8-validate'],
    logLevel: 'warning',
    // as infra/constructs/functions.ts: import.meta is read only when running from the sources
    logOverride: { 'empty-import-meta': 'silent' },
  });
  // The runtime imports only node: builtins; ESM, as under tsx.
  await build({ entryPoints: [RUNTIME_SOURCE], outfile: join(outDir, RUNTIME), bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
}

/** Where @sparticuz/chromium's binaries are, for a bundle that no longer sits beside them (as CHROMIUM_BIN_DIR=/opt on Lambda). */
export const CHROMIUM_BIN_DIR = join(root, 'node_modules', '@sparticuz', 'chromium', 'bin');
