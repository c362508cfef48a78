// Runs end-to-end test files again and again, alone, optionally while a CPU hog keeps one core
// busy, and prints the failures per file: the proof that the suite does not depend on the
// machine's speed. Not part of `npm test`.
//
//   npm run test:soak -- 10                                  every e2e file, 10 runs each
//   npm run test:soak -- 5 --hog test/e2e/poison-pages.test.ts test/e2e/fault-matrix.test.ts
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = process.argv.slice(2);
const runs = Number(args.find((a) => /^\d+$/.test(a)) ?? 3);
const hog = args.includes('--hog');
const files = args.filter((a) => a.endsWith('.test.ts'));
const selected = files.length > 0 ? files : readdirSync(`${root}/test/e2e`).filter((f) => f.endsWith('.test.ts')).map((f) => `test/e2e/${f}`);

/** One core spinning for as long as the soak runs. */
function startHog(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

function runOnce(file: string): Promise<{ ok: boolean; seconds: number; tail: string }> {
  const began = Date.now();
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', file], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => {
      const failures = output.split('\n').filter((l) => /FAIL|AssertionError|Error:|×/.test(l)).slice(0, 12).join('\n');
      resolve({ ok: code === 0, seconds: (Date.now() - began) / 1000, tail: failures });
    });
  });
}

const hogProcess = hog ? startHog() : undefined;
process.on('exit', () => hogProcess?.kill('SIGKILL'));
console.log(`soak: ${runs} run(s) of ${selected.length} file(s), one after the other${hog ? ', one core kept busy by a CPU hog' : ''}`);
const summary: { file: string; passed: number; failed: number; seconds: number[] }[] = [];
for (const file of selected) {
  const row = { file, passed: 0, failed: 0, seconds: [] as number[] };
  summary.push(row);
  for (let i = 1; i <= runs; i++) {
    const result = await runOnce(file);
    row.seconds.push(result.seconds);
    if (result.ok) row.passed++;
    else row.failed++;
    console.log(`${file} run ${i}/${runs}: ${result.ok ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(0)} s${result.ok ? '' : `\n${result.tail}`}`);
  }
}
hogProcess?.kill('SIGKILL');
console.log(`\nfile                                         passed  failed  seconds (min-max)`);
for (const row of summary) {
  console.log(`${row.file.padEnd(45)}${String(row.passed).padEnd(8)}${String(row.failed).padEnd(8)}${Math.min(...row.seconds).toFixed(0)}-${Math.max(...row.seconds).toFixed(0)}`);
}
process.exit(summary.some((r) => r.failed > 0) ? 1 : 0);
