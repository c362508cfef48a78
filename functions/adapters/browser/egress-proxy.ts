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
// Upstream proxies (core/upstream-proxy.ts): a listener may have a route, the upstream proxies a
// job's traffic leaves through. The target is judged here first all the same, then the connection
// goes to the upstream (judged too: upstream-hop.ts), which resolves the target's name again: that
// answer reaches only what the upstream's network reaches, never ours. Each job's incognito context
// gets a listener of its own (listenerFor); a --single-process browser serves one job at a time
// (chromium.ts), so its launch listener takes that job's route (useRoute).
//
// Why not a proxy library: the security of this file is in how the connection is made (to the
// checked address) and in failures the renderer can tell apart (a refused connection must stay a
// retryable network error, not become a page with status 502); proxy-chain, the maintained one,
// answers an unresolvable name with 404 and a refused one with status 594.
import { Agent, createServer, request as httpRequest, STATUS_CODES, type ClientRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../core/ports.js';
import { pickUpstream, type UpstreamProxy, type UpstreamRoute } from '../../core/upstream-proxy.js';
import { pinnedLookup, type HostCheck } from './egress-policy.js';
import { bare, errorCodeOf, forwardable, headerSafe, parseAuthority, type EgressErrorCode } from './egress-wire.js';
import { admitUpstream, tunnelVia, upstreamRefusal, UpstreamError } from './upstream-hop.js';

/** Set on the proxy's own failure answers (and removed from every upstream answer). */
export const EGRESS_ERROR_HEADER = 'x-crawler-egress-error';
export const EGRESS_REASON_HEADER = 'x-crawler-egress-reason';

export type { EgressErrorCode } from './egress-wire.js';

export interface EgressFailure {
  code: EgressErrorCode;
  reason: string;
}

export interface EgressProxy {
  /** for --proxy-server */
  readonly url: string;
  /**
   * The last failure of a connection to this URL's host and port (on the route `routeKey`, '' for
   * none), if recent. A failed CONNECT reaches the page only as ERR_TUNNEL_CONNECTION_FAILED; this
   * says what actually happened.
   */
  failureFor(url: string, routeKey?: string): EgressFailure | undefined;
  /** The URL of a listener whose connections leave through `route` (one per route key, made once). */
  listenerFor(route: UpstreamRoute): Promise<string>;
  /** The route of the launch listener (`url`); undefined: straight to the targets. */
  useRoute(route: UpstreamRoute | undefined): void;
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

/** Listeners for routes a proxy keeps at most (one per job a browser served; the browser is recycled long before). */
const MAX_ROUTE_LISTENERS = 64;

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const { hosts, log } = options;
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 64 });
  const failures = new Map<string, EgressFailure & { at: number }>();
  const sockets = new Set<Duplex>();

  const remember = (routeKey: string, hostname: string, port: number, failure: EgressFailure): void => {
    const key = `${routeKey}|${hostname}:${port}`;
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

  function failureOf(error: unknown, hostname: string, port: number, route?: UpstreamRoute, upstream?: UpstreamProxy): EgressFailure {
    const failure =
      error instanceof EgressError || error instanceof UpstreamError
        ? { code: error.code, reason: error.message }
        : upstream
          ? { code: 'ERR_PROXY_CONNECTION_FAILED' as const, reason: `upstream proxy ${upstream.shown}: ${(error as Error).message}` }
          : { code: errorCodeOf(error), reason: `${hostname}:${port}: ${(error as Error).message}` };
    remember(route?.key ?? '', hostname, port, failure);
    return failure;
  }

  /** The upstream a route sends this target's connections to, and its checked addresses; none: direct. */
  async function upstreamOf(route: UpstreamRoute | undefined, hostname: string): Promise<{ upstream: UpstreamProxy; addresses: string[] } | undefined> {
    const upstream = route && pickUpstream(route, hostname);
    return upstream ? { upstream, addresses: await admitUpstream(upstream, hosts) } : undefined;
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
  async function forward(req: IncomingMessage, res: ServerResponse, route: UpstreamRoute | undefined): Promise<void> {
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
    let via: Awaited<ReturnType<typeof upstreamOf>>;
    try {
      addresses = await admit(hostname, port, 'http');
      via = await upstreamOf(route, hostname);
    } catch (error) {
      answerFailure(res, failureOf(error, hostname, port, route));
      return;
    }
    // The browser may have given up while the name was being looked up.
    if (res.destroyed) return;
    const method = req.method ?? 'GET';
    const headers = forwardable(req.rawHeaders);
    if (via?.upstream.authorization) headers.push('Proxy-Authorization', via.upstream.authorization);
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

    const send = (retry: boolean): void => {
      const upstream: ClientRequest = httpRequest({
        host: bare(via ? via.upstream.hostname : hostname),
        port: via ? via.upstream.port : port,
        method,
        // through an upstream proxy: the absolute form, as the browser sent it to us
        path: via ? `http://${target.host}${target.pathname}${target.search}` : `${target.pathname}${target.search}`,
        headers,
        setHost: false,
        agent,
        lookup: pinnedLookup(via ? via.addresses : addresses),
      });
      let timer: NodeJS.Timeout | undefined;
      upstream.once('socket', (socket: Socket) => {
        if (!socket.connecting) return;
        timer = setTimeout(() => upstream.destroy(Object.assign(new Error(`no connection within ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' })), connectTimeoutMs);
        socket.once('connect', () => clearTimeout(timer));
      });
      upstream.on('response', (answer) => {
        clearTimeout(timer);
        if (via && answer.statusCode === 407) {
          answer.resume();
          answerFailure(res, failureOf(upstreamRefusal(via.upstream, 407, `GET http://${target.host}/…`), hostname, port, route));
          return;
        }
        try {
          res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardable(answer.rawHeaders));
        } catch (error) {
          // An answer Node will not pass on (e.g. a status outside 100–999): a hostile site must
          // not be able to throw in this process, which is the crawler's.
          log.debug('egress answer not relayable', { target: `${hostname}:${port}`, error: (error as Error).message });
          answer.destroy();
          upstream.destroy();
          answerFailure(res, failureOf(Object.assign(new Error('invalid response'), { code: 'EPROTO' }), hostname, port, route, via?.upstream));
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
        log.debug('egress connection failed', { target: `${hostname}:${port}`, ...(via ? { upstream: via.upstream.shown } : {}), error: (error as Error).message });
        answerFailure(res, failureOf(error, hostname, port, route, via?.upstream));
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
  async function tunnel(req: IncomingMessage, client: Duplex, head: Buffer, route: UpstreamRoute | undefined): Promise<void> {
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
    let via: Awaited<ReturnType<typeof upstreamOf>>;
    try {
      addresses = await admit(hostname, port, 'connect');
      via = await upstreamOf(route, hostname);
    } catch (error) {
      refuse(failureOf(error, hostname, port, route));
      return;
    }
    if (client.destroyed) return;
    if (via) {
      // The name the browser asked for: the upstream resolves it (see the top of this file).
      const hop = tunnelVia(via.upstream, via.addresses, `${hostname}:${port}`, connectTimeoutMs);
      const onEarlyClose = (): void => {
        hop.then((socket) => socket.destroy(), () => {});
      };
      client.once('close', onEarlyClose);
      let socket: Socket;
      try {
        socket = await hop;
      } catch (error) {
        log.debug('egress connection failed', { target: `${hostname}:${port}`, upstream: via.upstream.shown, error: (error as Error).message });
        if (!client.destroyed) refuse(failureOf(error, hostname, port, route, via.upstream));
        return;
      }
      client.off('close', onEarlyClose);
      if (client.destroyed) {
        socket.destroy();
        return;
      }
      failures.delete(`${route!.key}|${hostname}:${port}`);
      relay(client, socket, head);
      return;
    }
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
      failures.delete(`|${hostname}:${port}`);
      target.setTimeout(0);
      client.off('close', onEarlyClose);
      relay(client, target, head);
    });
    target.once('error', (error) => {
      if (!connected) {
        log.debug('egress connection failed', { target: `${hostname}:${port}`, error: error.message });
        if (!client.destroyed) refuse(failureOf(error, hostname, port));
      }
    });
  }

  /** An open tunnel: bytes relayed untouched both ways. */
  function relay(client: Duplex, target: Socket, head: Buffer): void {
    sockets.add(target);
    target.once('close', () => sockets.delete(target));
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) target.write(head);
    target.pipe(client);
    client.pipe(target);
    // Either side ending or failing ends the other.
    target.on('error', () => client.destroy());
    client.on('error', () => target.destroy());
    target.on('close', () => client.destroy());
    client.on('close', () => target.destroy());
  }

  const servers: Server[] = [];
  /** A listener whose connections take `routeOf()`'s route. */
  async function listen(routeOf: () => UpstreamRoute | undefined): Promise<string> {
    const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
      forward(req, res, routeOf()).catch((error: Error) => {
        log.warn('egress proxy failed a request', { error: error.message });
        res.destroy();
      });
    });
    server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
      client.on('error', () => {});
      tunnel(req, client, head, routeOf()).catch((error: Error) => {
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
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  let launchRoute: UpstreamRoute | undefined;
  const url = await listen(() => launchRoute);
  const routes = new Map<string, { route: UpstreamRoute; url: Promise<string> }>();

  return {
    url,
    failureFor(target, routeKey = '') {
      let parsed: URL;
      try {
        parsed = new URL(target);
      } catch {
        return undefined;
      }
      const key = `${routeKey}|${parsed.hostname}:${parsed.port || DEFAULT_PORTS[parsed.protocol] || ''}`;
      const failure = failures.get(key);
      if (!failure || Date.now() - failure.at > FAILURE_MEMORY_MS) return undefined;
      return { code: failure.code, reason: failure.reason };
    },
    listenerFor(route) {
      const known = routes.get(route.key);
      if (known) {
        // the same job, its list read again (the stack's secret may have changed): the newest wins
        known.route = route;
        return known.url;
      }
      if (routes.size >= MAX_ROUTE_LISTENERS) return Promise.reject(new Error(`egress proxy has ${routes.size} route listeners; the browser is due for recycling`));
      const entry: { route: UpstreamRoute; url: Promise<string> } = { route, url: Promise.resolve('') };
      entry.url = listen(() => entry.route);
      routes.set(route.key, entry);
      return entry.url;
    },
    useRoute(route) {
      launchRoute = route;
    },
    async close() {
      const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await closed;
    },
  };
}
