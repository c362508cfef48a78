// The typed client (client/, what users import as `fanout-crawler/client`) as the end-to-end tests
// use it: the same CrawlerClient, whose socket also keeps every frame the server sent. The
// invariants are about frames (a job's `completed` is sent once; a progress frame says `delayed`),
// and the client rightly hides those (it drops a second `completed`), so the tests read them here.
// Imported from the source, not the package export: the suite runs without a build step, and a
// dist/ left from an earlier build would test old code (test/e2e/client.test.ts does the same).
import WebSocket from 'ws';
import { CrawlerClient, CrawlerRequestError, type ConnectOptions, type CrawlJob, type ErrorMessage, type JobResult, type SocketConstructor } from '../../../client/index.js';
import type { Received } from './raw-socket.js';

export type { Received } from './raw-socket.js';

/** Every frame the server sent a client, over all its connections, in order. */
export interface FrameLog {
  readonly received: Received[];
  /** the first frame (already received or future) that matches */
  waitFor(match: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
  /** the next frame from now on that matches */
  next(match: (m: Received) => boolean, timeoutMs?: number): Promise<Received>;
}

export type TestClient = CrawlerClient & FrameLog;

function frameLog(): FrameLog & { add(data: unknown): void } {
  const received: Received[] = [];
  let waiters: { match: (m: Received) => boolean; resolve: (m: Received) => void }[] = [];
  const waitFor = (match: (m: Received) => boolean, timeoutMs = 60_000): Promise<Received> => {
    const seen = received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: Received) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        waiters = waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching message within ${timeoutMs} ms; received: ${JSON.stringify(received).slice(0, 2000)}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };
  return {
    received,
    waitFor,
    next: (match, timeoutMs) => {
      const from = received.length;
      return waitFor((m) => received.indexOf(m) >= from && match(m), timeoutMs);
    },
    add(data) {
      let message: Received;
      try {
        message = JSON.parse(String(data)) as Received;
      } catch {
        message = { type: 'error', code: 'unparseable_frame', message: String(data) };
      }
      received.push(message);
      const matched = waiters.filter((w) => w.match(message));
      waiters = waiters.filter((w) => !matched.includes(w));
      for (const waiter of matched) waiter.resolve(message);
    },
  };
}

/** the clients not closed yet, with the URL each was connected to */
const open = new Map<TestClient, string>();

/**
 * Connects the typed client, its frames kept; `closeClients` closes the ones still open. `headers`
 * (e.g. `authorization: Bearer …`) go with every connection, as a Node program can send them
 * through the client's `WebSocket` option (a browser cannot: the client's own way is `token`).
 */
export async function connectClient(url: string, { headers, ...options }: ConnectOptions & { headers?: Record<string, string> } = {}): Promise<TestClient> {
  const log = frameLog();
  // `ws` is what the client picks on Node 20 by itself; here it is a subclass that also logs.
  class RecordingSocket extends WebSocket {
    constructor(address: string) {
      super(address, { headers });
      this.addEventListener('message', (event) => log.add(event.data));
    }
  }
  const client = await CrawlerClient.connect(url, { WebSocket: RecordingSocket as unknown as SocketConstructor, ...options });
  const { add: _add, ...frames } = log;
  const tested = Object.assign(client, frames);
  const close = client.close.bind(client);
  open.set(tested, url);
  tested.close = async () => {
    open.delete(tested);
    await close();
  };
  return tested;
}

/** Closes every client still open on `wsUrl` (a stopping stack): none keeps reconnecting to a gateway that is gone. */
export async function closeClients(wsUrl: string): Promise<void> {
  const prefix = wsUrl.replace(/\/$/, '');
  await Promise.all([...open].filter(([, url]) => url.startsWith(prefix)).map(([client]) => client.close()));
}

/** What `call` resolves with, or a failure naming `what` once `timeoutMs` have passed (a bound the test sets, tighter than the client's). */
export async function within<T>(call: Promise<T>, timeoutMs: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what()}: nothing within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([call, late]).finally(() => clearTimeout(timer));
}

/** The job's `completed` and manifest (job.done()), or a failure within `timeoutMs` that shows what the client received. */
export function doneWithin(client: TestClient, job: CrawlJob, timeoutMs: number): Promise<JobResult> {
  return within(job.done(), timeoutMs, () => `job ${job.jobId} not completed; received: ${JSON.stringify(client.received).slice(0, 2000)}`);
}

/** The server's answer to a typed call: what the call resolved with, or the `error` message it was refused with. */
export function answerOf<T>(call: Promise<T>): Promise<T | ErrorMessage> {
  return call.catch((error: unknown) => {
    if (error instanceof CrawlerRequestError) return error.answer;
    throw error;
  });
}

/** The `error` message a typed call was refused with; fails when the call was not refused. */
export async function refusal(call: Promise<unknown>): Promise<ErrorMessage> {
  const answer = await answerOf(call);
  const type = (answer as { type?: unknown } | undefined)?.type;
  if (type !== 'error') throw new Error(`expected a refusal, got ${answer instanceof Object && 'jobId' in answer ? `job ${String(answer.jobId)}` : JSON.stringify(answer)}`);
  return answer as ErrorMessage;
}
