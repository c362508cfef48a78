// The crawler's side of the extractors' worker threads (extract-thread.ts is the thread's side).
// One thread runs one extraction at a time; a thread that answered is kept for the next page (a
// thread starts in a fraction of a second, a batch has several pages), one that did not answer in
// time, crashed or ran out of its heap is terminated, and only its page's extractor result is lost.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Page } from 'puppeteer-core';
import type { Logger } from '../../core/ports.js';
import { THREAD_MARK, type EvaluateReply, type ExtractRequest, type ThreadData, type ThreadMessage } from './extract-thread.js';

/** An extractor that did not answer within its time: its thread was terminated. */
export class ExtractorTimeoutError extends Error {
  override name = 'ExtractorTimeoutError';
  constructor(
    readonly extractor: string,
    readonly timeoutMs: number,
  ) {
    super(`extractor "${extractor}" did not finish within ${timeoutMs} ms; its thread was terminated`);
  }
}

/** The thread died under the extractor (an uncaught error, its heap limit). */
export class ExtractorCrashError extends Error {
  override name = 'ExtractorCrashError';
}

export interface ExtractorThreadsOptions {
  /** more extractor modules (absolute paths), besides extractors/index.ts: tests' fixtures */
  modules?: string[];
  /** threads kept idle for the next pages */
  maxIdle?: number;
  /**
   * each thread's heap (default 256 MB): an extractor that builds too much dies alone instead of
   * the crawler; a batch of 5 pages with extractors holds at most 5 of them besides Chromium
   */
  maxHeapMb?: number;
  log?: Logger;
}

export interface ExtractJob {
  name: string;
  input: ExtractRequest['input'];
  maxBytes: number;
  /** the live tab the extractor's `page.evaluate` runs in; null: fetched without a browser, no evaluate */
  tab: Page | null;
  timeoutMs: number;
  /** ends the run early (the renderer's product budget ran out): the thread is terminated */
  signal?: AbortSignal;
}

declare const __filename: string | undefined;

/**
 * Where the thread's code is. Bundled (CommonJS, on Lambda and in the test stacks' handler bundles)
 * the bundle holds extract-thread.ts, so the bundle itself is the thread's file. From the sources
 * (vitest, `npm start` under tsx) the thread registers tsx first and then imports extract-thread.ts.
 */
function threadCode(): { code: string | URL; eval: boolean } {
  if (typeof __filename === 'string' && !__filename.endsWith('.ts')) return { code: pathToFileURL(__filename), eval: false };
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  const source = pathToFileURL(join(dirname(here), 'extract-thread.ts')).href;
  const tsx = pathToFileURL(join(dirname(createRequire(here).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  return { code: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); })`, eval: true };
}

interface Thread {
  worker: Worker;
  ready: Promise<void>;
}

export class ExtractorThreads {
  private idle: Thread[] = [];
  private nextId = 0;
  private closed = false;
  /** threads started so far, and terminated because they did not answer: a test watches these */
  readonly counts = { started: 0, terminated: 0 };

  constructor(private readonly options: ExtractorThreadsOptions = {}) {}

  /** The extractor's JSON (`data`), or why there is none; never throws for the extractor's faults. */
  async run(job: ExtractJob): Promise<{ data: unknown } | { error: Error }> {
    if (this.closed) return { error: new Error('extractor threads are closed') };
    const thread = this.idle.pop() ?? this.start();
    thread.worker.ref();
    const id = this.nextId++;
    let outcome: { data: unknown } | { error: Error } | undefined;
    // set when the thread did not answer (time, abort, crash): it is terminated, never reused
    let kill = false;
    try {
      outcome = await new Promise<{ data: unknown } | { error: Error }>((resolve) => {
        const finish = (value: { data: unknown } | { error: Error }, stop = false) => {
          kill ||= stop;
          clearTimeout(timer);
          job.signal?.removeEventListener('abort', onAbort);
          thread.worker.off('message', onMessage);
          thread.worker.off('error', onError);
          thread.worker.off('exit', onExit);
          resolve(value);
        };
        const timer = setTimeout(() => finish({ error: new ExtractorTimeoutError(job.name, job.timeoutMs) }, true), job.timeoutMs);
        const onAbort = () => finish({ error: new ExtractorTimeoutError(job.name, job.timeoutMs) }, true);
        const onError = (error: Error) => finish({ error: new ExtractorCrashError(`extractor "${job.name}" crashed its thread: ${error.message}`) }, true);
        const onExit = (code: number) => finish({ error: new ExtractorCrashError(`extractor "${job.name}"'s thread exited (${code})`) }, true);
        const onMessage = (message: ThreadMessage) => {
          if (message.id !== id) return;
          if (message.type === 'done') {
            finish(message.error !== undefined ? { error: new Error(message.error) } : { data: message.data });
            return;
          }
          void evaluateInTab(job.tab, message.source, message.args).then((reply) => {
            if (!outcome) thread.worker.postMessage({ ...reply, call: message.call } satisfies EvaluateReply);
          });
        };
        job.signal?.addEventListener('abort', onAbort);
        thread.worker.on('message', onMessage);
        thread.worker.on('error', onError);
        thread.worker.on('exit', onExit);
        void thread.ready.then(() => thread.worker.postMessage({ type: 'extract', id, name: job.name, input: job.input, maxBytes: job.maxBytes } satisfies ExtractRequest));
      });
      return outcome;
    } finally {
      // A thread that answered is kept; any other (timed out, crashed, aborted) is terminated.
      if (!kill && outcome !== undefined && !this.closed && this.idle.length < (this.options.maxIdle ?? 4)) {
        thread.worker.unref();
        this.idle.push(thread);
      } else if (kill) {
        this.counts.terminated++;
        this.options.log?.warn('extractor thread terminated', { extractor: job.name, why: outcome && 'error' in outcome ? outcome.error.message : 'no answer' });
        void thread.worker.terminate();
      } else {
        // answered, but enough threads are idle already
        void thread.worker.terminate();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle;
    this.idle = [];
    await Promise.all(idle.map((thread) => thread.worker.terminate()));
  }

  private start(): Thread {
    const { code, eval: isEval } = threadCode();
    const data: ThreadData = { [THREAD_MARK]: true, modules: (this.options.modules ?? []).map((m) => pathToFileURL(m).href) };
    const worker = new Worker(code, {
      eval: isEval,
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 256 },
      // the thread's own output goes to the crawler's log, not lost
      stdout: false,
      stderr: false,
    });
    this.counts.started++;
    const ready = new Promise<void>((resolve) => {
      const onReady = (message: { type?: string }) => {
        if (message?.type !== 'ready') return;
        worker.off('message', onReady);
        resolve();
      };
      worker.on('message', onReady);
    });
    // An error before any run listens (a bad module) must not be an uncaught 'error' event.
    worker.on('error', (error) => this.options.log?.warn('extractor thread failed', { error: error.message }));
    return { worker, ready };
  }
}

/** Runs an extractor's `page.evaluate` in the tab: the source runs in the page, never in Node. */
async function evaluateInTab(tab: Page | null, source: string, args: unknown[]): Promise<Omit<EvaluateReply, 'call'>> {
  if (!tab) return { type: 'evaluated', error: 'page.evaluate needs a browser; this page was fetched over HTTP (render: "http")' };
  try {
    const value = await tab.evaluate(`(${source})(...${JSON.stringify(args)})`);
    return { type: 'evaluated', value };
  } catch (error) {
    return { type: 'evaluated', error: error instanceof Error ? error.message : String(error) };
  }
}
