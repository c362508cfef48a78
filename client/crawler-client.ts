// The typed client of the crawler's WebSocket protocol (docs/clients.md). Requests are matched to
// their answers by requestId; a job's progress and completion go to the job that was accepted. A
// lost connection is reopened with backoff, and every job still followed is resumed by `status`
// from the new connection (its notifications move there), so no event a caller waits for is lost.
import type { z } from 'zod';
import type { clientMessageSchemas } from '../functions/core/messages.js';
import {
  serverMessageSchema,
  type AcceptedMessage,
  type EstimateMessage,
  type StatusMessage,
} from '../functions/core/server-messages.js';
import { CrawlJob, type FetchJson, type JobEvent } from './crawl-job.js';
import { ConnectionLostError, CrawlerRequestError } from './errors.js';
import { backoffMs, completedFromStatus, isFinalStatus } from './resume.js';
import { connectUrl, isOpen, openSocket, type SocketConstructor, type SocketLike } from './socket.js';

type ClientSchemas = ReturnType<typeof clientMessageSchemas>;
type ServerMessage = z.infer<typeof serverMessageSchema>;
/** A `crawl` message's options (docs/protocol.md), without `action`. */
export type CrawlOptions = Omit<z.input<ClientSchemas['crawl']>, 'action' | 'estimate'>;

export interface ConnectOptions {
  /** the connection token (a deployed stack's secret): sent as `?token=` */
  token?: string;
  /** reopening a lost connection; false: never */
  reconnect?: false | { attempts?: number; minDelayMs?: number; maxDelayMs?: number };
  /** how long an answer (accepted, status…) may take; default 60 s */
  requestTimeoutMs?: number;
  /** a followed job silent this long is asked its `status` (the server speaks at least every 60 s); default 90 s */
  resumeAfterSilenceMs?: number;
  /** a WebSocket implementation (default: the global one, else the `ws` package) */
  WebSocket?: SocketConstructor;
  /** how manifests are fetched (default: the global fetch) */
  fetchJson?: FetchJson;
}

interface Pending {
  frame: string;
  /** safe to send again on a new connection (status): else a lost connection rejects it */
  resend: boolean;
  sent: boolean;
  resolve: (message: ServerMessage) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

const DEFAULT_RECONNECT = { attempts: 10, minDelayMs: 500, maxDelayMs: 30_000 };
/** While a job finishes (its manifest being written), how often its status is asked again. */
const FINISHING_POLL_MS = 1000;

function stringField(message: object, name: string): string | undefined {
  const value = (message as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

async function fetchJsonDefault(url: string): Promise<unknown> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url.split('?')[0]}: HTTP ${response.status}`);
  return response.json();
}

export class CrawlerClient {
  private socket: SocketLike | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly jobs = new Map<string, CrawlJob>();
  /** messages about jobs not (yet) followed, in case their `accepted` is still on its way */
  private readonly early: ServerMessage[] = [];
  private readonly resuming = new Set<string>();
  private sequence = 0;
  private closing = false;
  private closedError: Error | undefined;
  private readonly watchdog: ReturnType<typeof setInterval>;
  /** times the connection was reopened */
  reconnects = 0;

  private constructor(
    private readonly url: string,
    private readonly options: ConnectOptions,
    socket: SocketLike,
  ) {
    this.attach(socket);
    const silence = options.resumeAfterSilenceMs ?? 90_000;
    this.watchdog = setInterval(() => this.resumeSilentJobs(silence), Math.max(250, Math.min(10_000, silence / 3)));
    (this.watchdog as { unref?: () => void }).unref?.();
  }

  /** The client gave up (closed, or could not reconnect): a new one must be connected. */
  get closed(): boolean {
    return this.closedError !== undefined;
  }

  /** Opens the connection; rejects (ConnectError, with the HTTP status of a refusal) if it cannot. */
  static async connect(url: string, options: ConnectOptions = {}): Promise<CrawlerClient> {
    const full = connectUrl(url, options.token);
    return new CrawlerClient(full, options, await openSocket(full, options.WebSocket));
  }

  /** Starts a crawl; resolves once it is accepted, rejects with CrawlerRequestError when refused. */
  async crawl(options: CrawlOptions): Promise<CrawlJob> {
    const accepted = (await this.request({ ...options, action: 'crawl' }, 'accepted', false, options.requestId)) as AcceptedMessage;
    return this.follow(accepted);
  }

  /** What a crawl would take (`estimate: true`): pages, duration, cost; nothing is crawled. */
  async estimate(options: CrawlOptions): Promise<EstimateMessage> {
    return (await this.request({ ...options, action: 'crawl', estimate: true }, 'estimate', false, options.requestId)) as EstimateMessage;
  }

  /** Where a job stands; from a new connection, its progress and `completed` come here from now on. */
  async status(jobId: string): Promise<StatusMessage> {
    return (await this.request({ action: 'status', jobId }, 'status', true)) as StatusMessage;
  }

  /** Ends a running job as `cancelled`; a followed job's `completed` follows. */
  async cancel(jobId: string): Promise<StatusMessage> {
    return (await this.request({ action: 'cancel', jobId }, 'status', false)) as StatusMessage;
  }

  /** Crawls the failed URLs of a finished job again, in the same job: a new `completed` and manifest. */
  async redrive(jobId: string): Promise<CrawlJob> {
    const accepted = (await this.request({ action: 'redrive', jobId }, 'accepted', false)) as AcceptedMessage;
    this.jobs.delete(jobId);
    return this.follow(accepted);
  }

  /** Follows a job this client did not start here (e.g. from an earlier process): its status now, then its events. */
  async resume(jobId: string): Promise<CrawlJob> {
    const job = this.jobs.get(jobId) ?? new CrawlJob(jobId, false, this.fetchJson);
    this.jobs.set(jobId, job);
    await this.resumeJob(job);
    return job;
  }

  /** Closes the connection; jobs still followed fail with ConnectionLostError (their results stay in S3). */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.watchdog);
    this.shutDown(new ConnectionLostError('client closed'));
    const socket = this.socket;
    if (!socket || socket.readyState >= 2) return;
    await new Promise<void>((resolve) => {
      socket.onclose = () => resolve();
      socket.close(1000, 'client closed');
    });
  }

  private get fetchJson(): FetchJson {
    return this.options.fetchJson ?? fetchJsonDefault;
  }

  private follow(accepted: AcceptedMessage): CrawlJob {
    const job = new CrawlJob(accepted.jobId, accepted.cached, this.fetchJson);
    this.jobs.set(job.jobId, job);
    // What came before its `accepted` (a cached job's `completed` may race it) is delivered now.
    for (const message of this.early.filter((m) => stringField(m, 'jobId') === job.jobId)) this.deliver(job, message);
    return job;
  }

  private request(message: Record<string, unknown>, answer: ServerMessage['type'], resend: boolean, requestId?: string): Promise<ServerMessage> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = requestId ?? `c${++this.sequence}-${Math.random().toString(36).slice(2, 8)}`;
    const frame = JSON.stringify({ ...message, requestId: id });
    const timeoutMs = this.options.requestTimeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${String(message.action)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const pending: Pending = {
        frame,
        resend,
        sent: false,
        timer,
        resolve: (m) => (m.type === 'error' ? reject(new CrawlerRequestError(m)) : m.type === answer ? resolve(m) : reject(new Error(`expected ${answer}, got ${m.type}`))),
        reject,
      };
      this.pending.set(id, pending);
      this.sendPending(pending);
    });
  }

  private sendPending(pending: Pending): void {
    if (pending.sent || !isOpen(this.socket)) return; // sent once the connection is back
    pending.sent = true;
    this.socket.send(pending.frame);
  }

  private attach(socket: SocketLike): void {
    this.socket = socket;
    socket.onmessage = (event) => this.receive(String(event.data));
    socket.onerror = () => undefined; // the close that follows says what matters
    socket.onclose = () => {
      if (this.socket === socket && !this.closing) void this.reconnect();
    };
  }

  private receive(data: string): void {
    let parsed: ReturnType<typeof serverMessageSchema.safeParse>;
    try {
      parsed = serverMessageSchema.safeParse(JSON.parse(data));
    } catch {
      return; // not JSON: nothing of ours
    }
    if (!parsed.success) return; // a message type this client does not know yet
    const message = parsed.data;
    const requestId = stringField(message, 'requestId');
    const pending = requestId !== undefined ? this.pending.get(requestId) : undefined;
    // A request's answer is an answer, except a `completed` echoing its crawl's requestId.
    if (pending && message.type !== 'completed' && message.type !== 'progress') {
      clearTimeout(pending.timer);
      this.pending.delete(requestId!);
      pending.resolve(message);
      return;
    }
    const jobId = stringField(message, 'jobId');
    if (jobId === undefined) return;
    const job = this.jobs.get(jobId);
    if (job) this.deliver(job, message);
    else {
      this.early.push(message);
      if (this.early.length > 100) this.early.shift();
    }
  }

  private deliver(job: CrawlJob, message: ServerMessage): void {
    if (message.type === 'progress' || message.type === 'completed' || message.type === 'error') job.push(message as JobEvent);
    else job.lastHeardAt = Date.now();
  }

  /** Reopens the connection with backoff; then resends what may be resent and resumes every followed job. */
  private async reconnect(): Promise<void> {
    for (const [id, pending] of this.pending) {
      if (pending.resend) pending.sent = false;
      else {
        clearTimeout(pending.timer);
        this.pending.delete(id);
        pending.reject(new ConnectionLostError('connection lost before the answer (the request may have been carried out)'));
      }
    }
    const policy = this.options.reconnect === false ? { ...DEFAULT_RECONNECT, attempts: 0 } : { ...DEFAULT_RECONNECT, ...this.options.reconnect };
    for (let attempt = 0; attempt < policy.attempts && !this.closing; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, policy.minDelayMs, policy.maxDelayMs)));
      if (this.closing) return;
      try {
        const socket = await openSocket(this.url, this.options.WebSocket);
        if (this.closing) return socket.close(1000);
        this.reconnects++;
        this.attach(socket);
        for (const pending of this.pending.values()) this.sendPending(pending);
        for (const job of this.jobs.values()) if (!job.finished) void this.resumeJob(job);
        return;
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 401 || status === 403) {
          this.shutDown(new ConnectionLostError(`reconnect refused: ${(error as Error).message}`));
          return;
        }
      }
    }
    if (!this.closing) this.shutDown(new ConnectionLostError(`connection lost; ${policy.attempts} reconnect attempt(s) failed`));
  }

  /** Asks a followed job's status from this connection: its events come here again, and a final job completes. */
  private async resumeJob(job: CrawlJob): Promise<void> {
    if (this.resuming.has(job.jobId)) return;
    this.resuming.add(job.jobId);
    try {
      for (;;) {
        const status = await this.status(job.jobId);
        if (job.finished) return;
        if (isFinalStatus(status.status) && status.manifestUrl) {
          const manifest = (await this.fetchJson(status.manifestUrl)) as Parameters<typeof completedFromStatus>[2];
          job.push(completedFromStatus(status, status.manifestUrl, manifest));
          return;
        }
        if (status.status === 'running') {
          job.push({ type: 'progress', jobId: job.jobId, done: status.done, queued: status.queued, failed: status.failed });
          return;
        }
        // finishing: its `completed` is being sent to whichever connection it had; ask until it is final
        await new Promise((resolve) => setTimeout(resolve, FINISHING_POLL_MS));
        if (job.finished) return;
      }
    } catch (error) {
      if (error instanceof CrawlerRequestError && error.code === 'job_not_found') job.fail(error);
      // a lost connection: the next one resumes it
    } finally {
      this.resuming.delete(job.jobId);
    }
  }

  private resumeSilentJobs(silenceMs: number): void {
    if (!isOpen(this.socket)) return;
    const now = Date.now();
    for (const job of this.jobs.values()) {
      if (!job.finished && now - job.lastHeardAt >= silenceMs) {
        job.lastHeardAt = now;
        void this.resumeJob(job);
      }
    }
  }

  private shutDown(error: Error): void {
    this.closedError = error;
    clearInterval(this.watchdog);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    for (const job of this.jobs.values()) job.fail(error);
  }
}
