// LOAD-TEST DOUBLES, used only by `npm run bench:bookkeeping`: what stands around the bookkeeping
// in place of SQS, the API Gateway connection and CloudWatch, and a result store that can drop the
// page records. The code under test (crawl-page, finish-job, the DynamoDB adapters) is the real one.
import type { ClientNotifier, CrawlMessage, CrawlQueue, JobMetrics, Logger, PageRecord, ResultStore } from '../../functions/core/ports.js';
import type { ServerMessage } from '../../functions/core/messages.js';

/** An in-memory FIFO in place of SQS: what the crawler sends is what the load test's workers take. */
export class InMemoryCrawlQueue implements CrawlQueue {
  private readonly messages: CrawlMessage[] = [];
  private head = 0;
  sent = 0;
  private wake: (() => void) | null = null;

  async send(messages: CrawlMessage[]): Promise<void> {
    this.messages.push(...messages);
    this.sent += messages.length;
    this.wake?.();
  }

  async sendDelayed(message: CrawlMessage): Promise<void> {
    await this.send([message]);
  }

  take(): CrawlMessage | undefined {
    if (this.head >= this.messages.length) return undefined;
    const message = this.messages[this.head]!;
    this.messages[this.head++] = undefined as unknown as CrawlMessage;
    // Drop what was taken now and then, so the queue holds only what waits.
    if (this.head > 10_000) {
      this.messages.splice(0, this.head);
      this.head = 0;
    }
    return message;
  }

  /** resolves when something is sent (or after `ms`) */
  waitForMessage(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}

/** Keeps what would go to the client; `completed` ends the load test. */
export class RecordingNotifier implements ClientNotifier {
  readonly completed: ServerMessage[] = [];
  progress = 0;

  async send(_connectionId: string, message: ServerMessage): Promise<boolean> {
    if (message.type === 'completed') this.completed.push(message);
    else if (message.type === 'progress') this.progress++;
    return true;
  }
}

export const noMetrics: JobMetrics = { jobFinished: () => {} };

export const quietLog: Logger = { debug: () => {}, info: () => {}, warn: (m, ...e) => console.warn(m, ...e), error: (m, ...e) => console.error(m, ...e) };

/**
 * The real S3 result store for the job's manifest and exports; page records are dropped unless
 * `storePages` (they are not bookkeeping, and a stand-in page is a few hundred bytes).
 */
export function pageRecordsDropped(store: ResultStore, storePages: boolean): ResultStore & { pagesDropped: number } {
  const wrapped = Object.create(store) as ResultStore & { pagesDropped: number };
  wrapped.pagesDropped = 0;
  wrapped.putPage = async (key: string, record: PageRecord) => {
    if (storePages) return store.putPage(key, record);
    wrapped.pagesDropped++;
  };
  return wrapped;
}
