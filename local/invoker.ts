// Invoking a handler the way Lambda does: an execution environment (a child process) that stays
// warm between invocations, dies with its invocation when it crashes or times out, and is replaced
// by a cold one on the next invoke.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';

export interface Invoker {
  invoke(event: unknown): Promise<unknown>;
  close(): Promise<void>;
  /** one entry per finished invocation: was the environment new (cold), and how long it took */
  stats?: InvocationStat[];
}

export interface InvocationStat {
  cold: boolean;
  ms: number;
  ok: boolean;
}

export class InvocationError extends Error {
  override name = 'InvocationError';
}

export interface ChildInvokerOptions {
  name: string;
  handlerPath: string;
  env: Record<string, string>;
  timeoutMs: number;
  log: (line: string) => void;
  /**
   * The runtime as JavaScript (a build of lambda-runtime.ts), run by plain node: for handlers that
   * are bundles. Unset: the TypeScript runtime through tsx, which also transforms every module the
   * handler loads — a 9 MB bundle took 3 s of CPU that way, against 0.4 s in plain node.
   */
  runtimeFile?: string;
}

const runtimePath = fileURLToPath(new URL('./lambda-runtime.ts', import.meta.url));
// Resolved when first needed: vitest's global setup runs this module where import.meta.resolve is
// missing (it forks only JavaScript runtimes there).
let tsxLoaderUrl: string | undefined;
const tsxLoader = () => (tsxLoaderUrl ??= import.meta.resolve('tsx'));

// Each environment leads its own process group, so its Chromium dies with it: an environment
// killed mid-invocation must not leave a browser behind.
const liveGroups = new Set<number>();
/** Lambda bounds its init at 10 s; a busy 2-core machine importing the code through tsx needs more. */
const INIT_TIMEOUT_MS = 180_000;
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // not a group leader, or the group is already gone: the process itself, then
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
process.once('exit', () => {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
});

interface Pending {
  id: number;
  /** the handler began (its module is imported): the function's timeout starts now */
  started: () => void;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** A function served by an environment: what an invocation tells the runtime to run. */
interface FunctionTarget {
  name: string;
  handlerPath: string;
  timeoutMs: number;
}

export function childProcessInvoker(options: ChildInvokerOptions): Invoker {
  const environment = executionEnvironment(options);
  return { stats: environment.stats, invoke: (event) => environment.invoke(options, event), close: environment.close };
}

export interface SharedEnvironment {
  /** an Invoker for one function whose invocations run in this environment, one at a time with the others' */
  invokerFor(name: string, handlerPath: string, timeoutMs: number): Invoker;
  close(): Promise<void>;
}

/**
 * One execution environment serving several functions, for a local stack that must be light (the
 * bench): the API routes are small functions that each cost a Node process (~120 MB) of their own.
 * On Lambda every function has its own environments; here they share one process, its module
 * cache and its queue, so a slow route delays the others. The crawler keeps its own environments.
 */
export function sharedEnvironment(options: Omit<ChildInvokerOptions, 'handlerPath' | 'timeoutMs'>): SharedEnvironment {
  const environment = executionEnvironment(options);
  return {
    invokerFor: (name, handlerPath, timeoutMs) => ({ stats: environment.stats, invoke: (event) => environment.invoke({ name, handlerPath, timeoutMs }, event), close: async () => {} }),
    close: environment.close,
  };
}

function executionEnvironment(options: Omit<ChildInvokerOptions, 'handlerPath' | 'timeoutMs'>) {
  let child: ChildProcess | undefined;
  let pending: Pending | undefined;
  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const start = (): ChildProcess => {
    const started = Date.now();
    // The environment's name on its command line says which function a process serves (ps, the bench).
    const proc = fork(options.runtimeFile ?? runtimePath, [options.name], {
      execArgv: options.runtimeFile ? [] : ['--import', tsxLoader()],
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
      detached: true,
    });
    if (proc.pid !== undefined) liveGroups.add(proc.pid);
    for (const stream of [proc.stdout, proc.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => {
          if (line.trim()) options.log(`[${options.name}] ${line}`);
        });
    }
    const spawned = new Set<number>();
    proc.on('message', (raw) => {
      const message = raw as { type: string; id?: number; pid?: number; ok?: boolean; value?: unknown; error?: { name: string; message: string } };
      if (message.type === 'spawned' && message.pid !== undefined) {
        spawned.add(message.pid);
        liveGroups.add(message.pid);
      }
      if (message.type === 'ready') options.log(`[${options.name}] execution environment started in ${Date.now() - started} ms (pid ${proc.pid})`);
      if (message.type === 'started' && pending && message.id === pending.id) pending.started();
      if (message.type !== 'result' || !pending || message.id !== pending.id) return;
      const done = pending;
      pending = undefined;
      if (message.ok) done.resolve(message.value);
      else done.reject(new InvocationError(`${message.error?.name}: ${message.error?.message}`));
    });
    proc.on('exit', (code, signal) => {
      if (child === proc) child = undefined;
      killGroup(proc.pid, 'SIGKILL');
      if (proc.pid !== undefined) liveGroups.delete(proc.pid);
      for (const pid of spawned) {
        killGroup(pid, 'SIGKILL');
        liveGroups.delete(pid);
      }
      if (pending) {
        const died = pending;
        pending = undefined;
        died.reject(new InvocationError(`execution environment died during the invocation (code ${code}, signal ${signal})`));
      }
    });
    return proc;
  };

  const stats: InvocationStat[] = [];
  const run = (target: FunctionTarget, event: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (closed) return reject(new InvocationError('invoker closed'));
      const cold = child === undefined;
      const began = Date.now();
      child ??= start();
      const proc = child;
      const id = nextId++;
      // As on Lambda, the timeout counts from the handler's start: a cold environment first imports
      // its code (the init phase), which on a busy machine can take longer than a short timeout.
      // The init has its own, generous bound, so an import that hangs is still ended.
      const initTimeoutMs = Math.max(INIT_TIMEOUT_MS, target.timeoutMs);
      let timer = setTimeout(() => {
        options.log(`[${options.name}] handler not started within ${initTimeoutMs} ms (init); killing the environment`);
        killGroup(proc.pid, 'SIGKILL');
      }, initTimeoutMs);
      pending = {
        id,
        started: () => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            options.log(`[${target.name}] invocation timed out after ${target.timeoutMs} ms; killing the environment`);
            killGroup(proc.pid, 'SIGKILL');
          }, target.timeoutMs);
        },
        resolve: (value) => {
          clearTimeout(timer);
          stats.push({ cold, ms: Date.now() - began, ok: true });
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          stats.push({ cold, ms: Date.now() - began, ok: false });
          reject(error);
        },
      };
      proc.send({ type: 'invoke', id, handlerPath: target.handlerPath, functionName: target.name, event, timeoutMs: target.timeoutMs });
    });

  return {
    stats,
    invoke(target: FunctionTarget, event: unknown): Promise<unknown> {
      // One invocation at a time per environment, as on Lambda.
      const result = queue.then(() => run(target, event));
      queue = result.catch(() => undefined);
      return result;
    },
    async close(): Promise<void> {
      closed = true;
      const proc = child;
      child = undefined;
      if (proc && proc.exitCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => killGroup(proc.pid, 'SIGKILL'), 2000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** For quick experiments: the handler in this very process (no crash isolation, shared env). */
export function inProcessInvoker(handlerPath: string): Invoker {
  let handler: ((event: unknown, context: unknown) => Promise<unknown>) | undefined;
  return {
    async invoke(event) {
      handler ??= ((await import(pathToFileURL(handlerPath).href)) as { handler: typeof handler }).handler;
      return handler?.(event, { getRemainingTimeInMillis: () => 60_000 });
    },
    async close() {},
  };
}
