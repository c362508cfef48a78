// The local execution environments time a handler as Lambda does: the function's timeout counts
// from the handler's start, not from the import of its code (the init phase), which on a busy
// machine can take longer than a short timeout. A handler that runs past the timeout is ended.
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { childProcessInvoker, sharedEnvironment, type Invoker } from '../../local/invoker.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures-invoker/${name}`, import.meta.url));
const invokers: Pick<Invoker, 'close'>[] = [];
afterEach(async () => {
  await Promise.all(invokers.splice(0).map((i) => i.close()));
});

function invoker(name: string, timeoutMs: number, env: Record<string, string> = {}): { invoker: Invoker; lines: string[] } {
  const lines: string[] = [];
  const made = childProcessInvoker({ name, handlerPath: fixture(name), env, timeoutMs, log: (line) => lines.push(line) });
  invokers.push(made);
  return { invoker: made, lines };
}

it('does not count a slow import (init) against the handler timeout', async () => {
  // The import sleeps 4 s, past the 2 s timeout; the handler itself answers at once.
  const { invoker: slow } = invoker('slow-init.ts', 2_000, { INIT_MS: '4000' });
  await expect(slow.invoke({ value: 7 })).resolves.toEqual({ value: 7 });
  // warm: no init at all
  await expect(slow.invoke({ value: 8 })).resolves.toEqual({ value: 8 });
  expect(slow.stats?.map((s) => s.cold)).toEqual([true, false]);
});

it('ends a handler that runs past its timeout, and starts a cold environment next time', async () => {
  const { invoker: hung, lines } = invoker('hangs.ts', 1_500);
  await expect(hung.invoke({})).rejects.toThrow(/execution environment died/);
  expect(lines.some((line) => /invocation timed out after 1500 ms/.test(line))).toBe(true);
  await expect(hung.invoke({})).rejects.toThrow(/execution environment died/);
  expect(hung.stats?.map((s) => s.cold)).toEqual([true, true]);
});

it('serves several functions from one shared environment, each as itself, its own timeout ending the environment', async () => {
  const lines: string[] = [];
  const shared = sharedEnvironment({ name: 'api', env: {}, log: (line) => lines.push(line) });
  invokers.push(shared);
  const a = shared.invokerFor('connect', fixture('whoami.ts'), 5_000);
  const b = shared.invokerFor('crawl', fixture('whoami.ts'), 5_000);
  const hung = shared.invokerFor('status', fixture('hangs.ts'), 1_500);
  const [first, second] = (await Promise.all([a.invoke({}), b.invoke({})])) as { pid: number; functionName: string }[];
  expect(first!.functionName).toBe('connect');
  expect(second!.functionName).toBe('crawl');
  expect(second!.pid).toBe(first!.pid);
  await expect(hung.invoke({})).rejects.toThrow(/execution environment died/);
  expect(lines.some((line) => /\[status\] invocation timed out after 1500 ms/.test(line))).toBe(true);
  // the environment died with the hung function: the next invocation of any function starts a new one
  const after = (await a.invoke({})) as { pid: number };
  expect(after.pid).not.toBe(first!.pid);
});
