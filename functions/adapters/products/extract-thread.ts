// The extractor's side of its worker thread (extractor-threads.ts is the crawler's side). An
// extractor is code the stack ships, but it runs on whatever a page serves: a quadratic helper on
// 40,000 meta tags, a loop that never ends. On the crawler's event loop that would stall the page
// timer, the watchdog and the egress proxy of every page of the batch; here it only stalls this
// thread, which the crawler terminates at the product's time limit.
//
// This file does something only when it is loaded as the thread (workerData carries THREAD_MARK):
// bundled, the crawler's own bundle is the thread's code, so it is imported there for its effect.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { extractors as shippedExtractors, type Extractor, type ExtractorPage } from '../../../extractors/index.js';
import { toJson } from './extract-json.js';

export const THREAD_MARK = 'crawler-extract-thread';

/** What the crawler sends: one extraction. */
export interface ExtractRequest {
  type: 'extract';
  id: number;
  name: string;
  input: { html: string; url: string; finalUrl: string; status: number | null; headers: Record<string, string> };
  maxBytes: number;
}

/** What the thread sends: a call into the live page, or the extraction's outcome. */
export type ThreadMessage =
  | { type: 'evaluate'; id: number; call: number; source: string; args: unknown[] }
  | { type: 'done'; id: number; data?: unknown; error?: string };

/** The crawler's answer to an `evaluate`. */
export interface EvaluateReply {
  type: 'evaluated';
  call: number;
  value?: unknown;
  error?: string;
}

export interface ThreadData {
  [THREAD_MARK]: true;
  /** modules (absolute paths or file URLs) whose named exports are more extractors (tests' fixtures) */
  modules: string[];
}

async function serve(data: ThreadData): Promise<void> {
  const port = parentPort!;
  const extractors: Record<string, Extractor> = { ...shippedExtractors };
  for (const module of data.modules) {
    const loaded = (await import(module)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(loaded)) if (typeof value === 'function') extractors[name] = value as Extractor;
  }
  let nextCall = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  port.on('message', (message: ExtractRequest | EvaluateReply) => {
    if (message.type === 'evaluated') {
      const waiting = pending.get(message.call);
      pending.delete(message.call);
      if (message.error !== undefined) waiting?.reject(new Error(message.error));
      else waiting?.resolve(message.value);
      return;
    }
    const { id, name, input, maxBytes } = message;
    // The live tab stays in the crawler's thread: `page.evaluate(fn, ...args)` sends fn's source and
    // its JSON arguments there, and the page runs it, as puppeteer would.
    const page = {
      evaluate: (fn: ((...args: never[]) => unknown) | string, ...args: unknown[]) =>
        new Promise<unknown>((resolve, reject) => {
          const call = nextCall++;
          pending.set(call, { resolve, reject });
          port.postMessage({ type: 'evaluate', id, call, source: String(fn), args } satisfies ThreadMessage);
        }),
    } as ExtractorPage;
    void run(extractors, name, { ...input, page }, maxBytes).then((outcome) => port.postMessage({ type: 'done', id, ...outcome } satisfies ThreadMessage));
  });
  port.postMessage({ type: 'ready' });
}

async function run(extractors: Record<string, Extractor>, name: string, input: Parameters<Extractor>[0], maxBytes: number): Promise<{ data?: unknown; error?: string }> {
  const extractor = Object.hasOwn(extractors, name) ? extractors[name] : undefined;
  if (!extractor) return { error: `no extractor named "${name}"` };
  let answer: unknown;
  try {
    answer = await extractor(input);
  } catch (error) {
    return { error: `extractor "${name}" failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  const json = toJson(answer, maxBytes);
  return json.ok ? { data: json.value } : { error: `extractor "${name}" returned ${json.reason}` };
}

if (!isMainThread && (workerData as Partial<ThreadData> | null)?.[THREAD_MARK] === true) void serve(workerData as ThreadData);
