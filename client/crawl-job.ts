// A job the client follows: its events as they come (progress, completed, error), replayed to each
// reader from the start, and its end (the `completed` message and the fetched manifest).
import type { Manifest } from '../functions/core/manifest.js';
import type { CompletedMessage, ErrorMessage, ProgressMessage } from '../functions/core/server-messages.js';

export type JobEvent = ProgressMessage | CompletedMessage | ErrorMessage;

export interface JobResult {
  completed: CompletedMessage;
  /** jobs/{jobId}/manifest.json, fetched through `completed.manifestUrl` */
  manifest: Manifest;
}

/** What a job needs from its client: fetching the manifest. */
export type FetchJson = (url: string) => Promise<unknown>;

export class CrawlJob {
  private readonly events_: JobEvent[] = [];
  private readers: (() => void)[] = [];
  private failure: Error | undefined;
  private completed_: CompletedMessage | undefined;
  private result: Promise<JobResult> | undefined;
  private settled: { resolve: (m: CompletedMessage) => void; reject: (e: Error) => void } | undefined;
  private readonly completion: Promise<CompletedMessage>;
  /** when the job last said anything (ms): a silent job is asked for its `status` */
  lastHeardAt = Date.now();

  constructor(
    readonly jobId: string,
    /** `accepted` had cached: true — the result came from an earlier crawl */
    readonly cached: boolean,
    private readonly fetchJson: FetchJson,
  ) {
    this.completion = new Promise((resolve, reject) => (this.settled = { resolve, reject }));
    // done() may never be called: an unread failure is not an unhandled rejection.
    this.completion.catch(() => undefined);
  }

  /** The job has completed (or its client gave up on it). */
  get finished(): boolean {
    return this.completed_ !== undefined || this.failure !== undefined;
  }

  /** Every event so far, then each new one, until `completed`; throws if the client gives up on the job. */
  async *events(): AsyncGenerator<JobEvent, void, undefined> {
    let next = 0;
    for (;;) {
      while (next < this.events_.length) {
        const event = this.events_[next++]!;
        yield event;
        if (event.type === 'completed') return;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => this.readers.push(resolve));
    }
  }

  /** The `completed` message and the manifest it points to. */
  done(): Promise<JobResult> {
    this.result ??= this.completion.then(async (completed) => ({ completed, manifest: (await this.fetchJson(completed.manifestUrl)) as Manifest }));
    return this.result;
  }

  /** Delivered by the client. A second `completed` (a resumed job told twice) is dropped. */
  push(event: JobEvent): void {
    this.lastHeardAt = Date.now();
    if (this.finished) return;
    this.events_.push(event);
    if (event.type === 'completed') {
      this.completed_ = event;
      this.settled?.resolve(event);
    }
    this.wake();
  }

  /** The client cannot follow the job any more (closed, or could not reconnect). */
  fail(error: Error): void {
    if (this.finished) return;
    this.failure = error;
    this.settled?.reject(error);
    this.wake();
  }

  private wake(): void {
    const readers = this.readers;
    this.readers = [];
    for (const wake of readers) wake();
  }
}
