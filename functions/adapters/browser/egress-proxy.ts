// The browser's only way out: a forward proxy on 127.0.0.1 that Chromium is told to use for every
// connection (plain HTTP as absolute-form requests; https, ws, wss and WebRTC's TURN over TCP as
// CONNECT tunnels). Request interception only sees a tab's own requests; pop-ups, shared and
// service workers, WebSockets and WebRTC open connections it never sees, but all of them go
// through the browser's network stack and so through here.
//
// For each connection the proxy resolves the target itself, checks every address (egress-policy.ts)
// and connects to an address it checked, never to the name again: a name that answers differently
// on a second lookup (DNS rebinding) cannot move a checked connection to an internal address.
// Refused targets get 403 and a log line. Bodies are streamed both ways, never buffered, and
// connections to targets are kept alive and reused.
//
// Why not a proxy library: the security of this file is in how the connection is made (to the
// checked address) and in failures the renderer can tell apart (a refused connection must stay a
// retryable network error, not become a page with status 502); proxy-chain, the maintained one,
// answers an unresolvable name with 404 and a refused one with status 594.
import { Agent, createServer, request as httpRequest, STATUS_CODES, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../core/ports.js';
import { pinnedLookup, type HostCheck } from './egress-policy.js';

/** Set on the proxy's own failure answers (and removed from every upstream answer). */
export const EGRESS_ERROR_HEADER = 'x-crawler-egress-error';
export const EGRESS_REASON_HEADER = 'x-crawler-egress-reason';

/** What went wrong, named as Chromium names the same failure of a direct connection. */
export type EgressErrorCode =
  | 'ERR_BLOCKED_BY_EGRESS_POLICY'
  | 'ERR_NAME_NOT_RESOLVED'
  | 'ERR_CONNECTION_REFUSED'
  | 'ERR_CONNECTION_TIMED_OUT'
  | 'ERR_CONNECTION_RESET'
  | 'ERR_ADDRESS_UNREACHABLE'
  | 'ERR_CONNECTION_FAILED';

export interface EgressFailure {
  code: EgressErrorCode;
  reason: string;
}

export interface EgressProxy {
  /** for --proxy-server */
  readonly url: string;
  /**
   * The last failure of a connection to this URL's host and port, if recent. A failed CONNECT
   * reaches the page only as ERR_TUNNEL_CONNECTION_FAILED; this says what actually happened.
   */
  failureFor(url: string): EgressFailure | undefined;
  close(): Promise<void>;
}

export interface EgressProxyOptions {
  hosts: HostCheck;
  log: Logger;
  /** how long a connection to a target may take to open */
  connectTimeoutMs?: number;
}

const CONNECT_TIMEOUT_MS = 20_000;
const FAILURE_MEMORY_MS = 60_000;
const FAILURE_MEMORY_SIZE = 256;
// Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own: never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'ws:': 80, 'https:': 443, 'wss:': 443 };

class EgressError extends Error {
  constructor(
    readonly code: EgressErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Headers of a message minus hop-by-hop ones (also those the Connection header names) and ours. */
function forwardable(rawHeaders: string[]): string[] {
  const drop = new Set(HOP_BY_HOP);
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'connection') for (const name of rawHeaders[i + 1]!.split(',')) drop.add(name.trim().toLowerCase());
  }
  const kept: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (drop.has(name) || name.startsWith('x-crawler-egress-')) continue;
    kept.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return kept;
}

function errorCodeOf(error: unknown): EgressErrorCode {
  const errors = error instanceof AggregateError ? error.errors : [error];
  const codes = errors.map((e) => (e as NodeJS.ErrnoException)?.code);
  if (codes.includes('ECONNREFUSED')) return 'ERR_CONNECTION_REFUSED';
  if (codes.includes('ETIMEDOUT')) return 'ERR_CONNECTION_TIMED_OUT';
  if (codes.includes('ECONNRESET') || codes.includes('EPIPE')) return 'ERR_CONNECTION_RESET';
  if (codes.includes('EHOSTUNREACH') || codes.includes('ENETUNREACH')) return 'ERR_ADDRESS_UNREACHABLE';
  return 'ERR_CONNECTION_FAILED';
}

/** Header values must be Latin-1 without control characters. */
const headerSafe = (text: string): string => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 500);

/** "host:port" of a CONNECT request target, brackets kept for IPv6; undefined when malformed. */
function parseAuthority(authority: string): { hostname: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(authority);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65_535) return undefined;
  try {
    // WHATWG parsing canonicalises the host (IDNA, IPv4 shorthands) as Chromium did.
    return { hostname: new URL(`http://${match[1]}/`).hostname, port };
  } catch {
    return undefined;
  }
}

const bare = (hostname: string): string => (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const { hosts, log } = options;
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 64 });
  const failures = new Map<string, EgressFailure & { at: number }>();
  const sockets = new Set<Duplex>();

  const remember = (hostname: string, port: number, failure: EgressFailure): void => {
    const key = `${hostname}:${port}`;
    failures.delete(key);
    failures.set(key, { ...failure, at: Date.now() });
    if (failures.size > FAILURE_MEMORY_SIZE) failures.delete(failures.keys().next().value!);
  };

  /** The checked addresses of a target, or the reason it may not be reached. */
  async function admit(hostname: string, port: number, kind: string): Promise<string[]> {
    const verdict = await hosts(hostname, port);
    if (verdict.allowed) return verdict.addresses;
    if (verdict.unresolved) throw new EgressError('ERR_NAME_NOT_RESOLVED', verdict.reason);
    log.warn('egress refused', { target: `${hostname}:${port}`, kind, reason: verdict.reason });
    throw new EgressError('ERR_BLOCKED_BY_EGRESS_POLICY', verdict.reason);
  }

  function failureOf(error: unknown, hostname: string, port: number): EgressFailure {
    const failure =
      error instanceof EgressError
        ? { code: error.code, reason: error.message }
        : { code: errorCodeOf(error), reason: `${hostname}:${port}: ${(error as Error).message}` };
    remember(hostname, port, failure);
    return failure;
  }

  const statusOf = (code: EgressErrorCode): number => (code === 'ERR_BLOCKED_BY_EGRESS_POLICY' ? 403 : code === 'ERR_CONNECTION_TIMED_OUT' ? 504 : 502);

  function answerFailure(res: ServerResponse, failure: EgressFailure): void {
    if (res.headersSent || res.writableEnded || res.destroyed) {
      res.destroy();
      return;
    }
    const body = `${failure.code}: ${failure.reason}\n`;
    res.writeHead(statusOf(failure.code), {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      [EGRESS_ERROR_HEADER]: failure.code,
      [EGRESS_REASON_HEADER]: headerSafe(failure.reason),
    });
    res.end(body);
  }

  /** Plain HTTP: the browser sends `GET http://host:port/path`; it is resent to a checked address. */
  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      target = new URL('invalid:');
    }
    if (target.protocol !== 'http:') {
      // Not a proxy request (e.g. a page that found our port and asked us directly).
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' }).end('not a proxy request\n');
      return;
    }
    const port = Number(target.port || 80);
    const hostname = target.hostname;
    let addresses: string[];
    try {
      addresses = await admit(hostname, port, 'http');
    } catch (error) {
      answerFailure(res, failureOf(error, hostname, port));
      return;
    }
    // The browser may have given up while the name was being looked up.
    if (res.destroyed) return;
    const method = req.method ?? 'GET';
    const headers = forwardable(req.rawHeaders);
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

    const send = (retry: boolean): void => {
      const upstream: ClientRequest = httpRequest({
        host: bare(hostname),
        port,
        method,
        path: `${target.pathname}${target.search}`,
        headers,
        setHost: false,
        agent,
        lookup: pinnedLookup(addresses),
      });
      let timer: NodeJS.Timeout | undefined;
      upstream.once('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        timer = setTimeout(() => upstream.destroy(Object.assign(new Error(`no connection within ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })), connectTimeoutMs);
        socket.once('connect', () => clearTimeout(timer));
      });
      upstream.on('response', (answer) => {
        clearTimeout(timer);
        try {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardable(answer.rawHeaders));
        } catch (error) {
          // An answer Node will not pass on (e.g. a status outside 100–999): a hostile site must
          // not be able to throw in this process, which is the crawler's.
          log.debug('egress answer not relayable', { target: `${hostname}:${port}`, error: (error as Error).message });
          answer.destroy();
          upstream.destroy();
          answerFailure(res, failureOf(Object.assign(new Error('invalid response'), { code: 'EPROTO' }), hostname, port));
          return;
        }
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        answer.on('aborted', () => res.destroy());
      });
      upstream.on('error', (error) => {
        clearTimeout(timer);
        // A kept-alive connection the target closed as we reused it: safe to send again once.
        if (retry && upstream.reusedSocket && !res.headersSent && (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
          send(false);
          return;
        }
        log.debug('egress connection failed', { target: `${hostname}:${port}`, error: (error as Error).message });
        answerFailure(res, failureOf(error, hostname, port));
      });
      // The browser gave up (tab closed, navigation cancelled): so do we.
      res.once('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      if (hasBody) req.pipe(upstream);
      else upstream.end();
    };
    send(!hasBody && IDEMPOTENT.has(method));
  }

  /** CONNECT host:port: https, ws, wss and TURN over TCP. Bytes are relayed untouched. */
  async function tunnel(req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const refuse = (failure: EgressFailure): void => {
      client.end(
        `HTTP/1.1 ${statusOf(failure.code)} ${STATUS_CODES[statusOf(failure.code)]}\r\n${EGRESS_ERROR_HEADER}: ${failure.code}\r\n` +
          `${EGRESS_REASON_HEADER}: ${headerSafe(failure.reason)}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
      );
    };
    const authority = parseAuthority(req.url ?? '');
    if (!authority) {
      client.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    const { hostname, port } = authority;
    let addresses: string[];
    try {
      addresses = await admit(hostname, port, 'connect');
    } catch (error) {
      refuse(failureOf(error, hostname, port));
      return;
    }
    if (client.destroyed) return;
    const target = connect({ host: bare(hostname), port, lookup: pinnedLookup(addresses), noDelay: true, timeout: connectTimeoutMs });
    sockets.add(target);
    target.once('close', () => sockets.delete(target));
    // every error is handled below; an unhandled 'error' event would take the crawler down
    target.on('error', () => {});
    const onEarlyClose = (): void => {
      target.destroy();
    };
    client.once('close', onEarlyClose);
    target.once('timeout', () => target.destroy(Object.assign(new Error(`no connection within ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })));
    let connected = false;
    target.once('connect', () => {
      connected = true;
      // an earlier failure of this target must not explain a later one it did not cause
      failures.delete(`${hostname}:${port}`);
      target.setTimeout(0);
      client.off('close', onEarlyClose);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) target.write(head);
      target.pipe(client);
      client.pipe(target);
      // Either side ending or failing ends the other.
      target.on('error', () => client.destroy());
      client.on('error', () => target.destroy());
      target.on('close', () => client.destroy());
      client.on('close', () => target.destroy());
    });
    target.once('error', (error) => {
      if (!connected) {
        log.debug('egress connection failed', { target: `${hostname}:${port}`, error: error.message });
        if (!client.destroyed) refuse(failureOf(error, hostname, port));
      }
    });
  }

  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    forward(req, res).catch((error: Error) => {
      log.warn('egress proxy failed a request', { error: error.message });
      res.destroy();
    });
  });
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    client.on('error', () => {});
    tunnel(req, client, head).catch((error: Error) => {
      log.warn('egress proxy failed a tunnel', { error: error.message });
      client.destroy();
    });
  });
  // Chromium tunnels WebSockets with CONNECT; an Upgrade sent to us directly is not ours to relay.
  server.on('upgrade', (_req: IncomingMessage, client: Duplex) => {
    client.on('error', () => {});
    client.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    failureFor(url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return undefined;
      }
      const key = `${parsed.hostname}:${parsed.port || DEFAULT_PORTS[parsed.protocol] || ''}`;
      const failure = failures.get(key);
      if (!failure || Date.now() - failure.at > FAILURE_MEMORY_MS) return undefined;
      return { code: failure.code, reason: failure.reason };
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closed;
    },
  };
}
