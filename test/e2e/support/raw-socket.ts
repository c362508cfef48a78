// A bare WebSocket to the crawler (plain `ws`), for the tests that must send what the typed client
// (client/) rightly cannot: malformed JSON, unknown actions, invalid or oversized fields, frames
// with a fixed requestId, or nothing at all. Everything else talks through the typed client
// (support/test-client.ts). It keeps every message it received, for tests that read them back.
import WebSocket from 'ws';
import type { ServerMessage } from '../../../functions/core/messages.js';

export type Received = ServerMessage & Record<string, unknown>;

export class RawSocket {
  readonly received: Received[] = [];
  private waiters: { match: (m: Received) => boolean; resolve: (m: Received) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  closed = false;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      let message: Received;
      try {
        message = JSON.parse(data.toString()) as Received;
      } catch {
        message = { type: 'error', code: 'unparseable_frame', message: data.toString() };
      }
      this.received.push(message);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(message)) {
          clearTimeout(waiter.timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          waiter.resolve(message);
        }
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('connection closed'));
      }
      this.waiters = [];
    });
  }

  /** Opens a socket; `headers` lets a test present credentials the way a browser cannot (Authorization). */
  static connect(url: string, options: { headers?: Record<string, string> } = {}): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { headers: options.headers });
      socket.once('open', () => resolve(new RawSocket(socket)));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`connection refused: HTTP ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  /** Sends a string as it is, anything else as its JSON. */
  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Resolves with the first message (already received or future) that matches. */
  waitFor(match: (m: Received) => boolean, timeoutMs = 60_000): Promise<Received> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`no matching message within ${timeoutMs} ms; received: ${JSON.stringify(this.received).slice(0, 2000)}`));
      }, timeoutMs);
      this.waiters.push({ match, resolve, reject, timer });
    });
  }

  /** Resolves with the next message received from now on that matches. */
  next(match: (m: Received) => boolean, timeoutMs = 60_000): Promise<Received> {
    const from = this.received.length;
    return this.waitFor((m) => this.received.indexOf(m) >= from && match(m), timeoutMs);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
