// The bench's /proc sampler against a real child process that changes its command while it runs, as
// a browser does between fork (still `node`) and exec (`chromium`): its CPU counts under
// the command it has, not under the one it had when first seen.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleTree } from '../../bench/process-tree.js';

// Prints "ready"; on a line of input takes the name `chromium`, spends 300 ms of its own CPU
// (measured, so a busy machine cannot shorten it), prints "done" and sleeps until killed.
const CHILD = `
process.stdout.write('ready\\n');
process.stdin.once('data', () => {
  process.title = 'chromium';
  const start = process.cpuUsage();
  for (;;) { const used = process.cpuUsage(start); if (used.user + used.system >= 300_000) break; }
  process.stdout.write('done\\n');
  setInterval(() => {}, 1000);
});`;

let child: ChildProcessWithoutNullStreams | undefined;

afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

async function lineFrom(from: ChildProcessWithoutNullStreams, line: string): Promise<void> {
  let seen = '';
  while (!seen.split('\n').includes(line)) seen += String((await once(from.stdout, 'data'))[0]);
}

describe('the bench sampler', () => {
  it('counts a process under the command it changed to after it was first seen', async () => {
    child = spawn(process.execPath, ['-e', CHILD]);
    await lineFrom(child, 'ready');
    const sampler = sampleTree(child.pid!, 20);
    sampler.mark(); // a sample while the child is still `node`
    child.stdin.write('go\n');
    await lineFrom(child, 'done');
    sampler.mark(); // a sample after the CPU was spent under the new name
    const usage = sampler.stop();
    expect(usage.cpuByKind.chromium ?? 0).toBeGreaterThanOrEqual(0.25);
    expect(usage.cpuByKind.node ?? 0).toBeLessThan(0.25);
  });
});
