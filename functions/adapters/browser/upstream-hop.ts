// The egress proxy's hop to an upstream proxy (core/upstream-proxy.ts): the upstream is judged by
// the same address policy as any destination (public addresses only on AWS; loopback and private
// networks locally, never metadata addresses nor the stack's own services) and connected to at
// the address that was judged; https and other tunnels go as CONNECT, plain http as an
// absolute-form request, both with the proxy's Proxy-Authorization.
//
// Its failures are named for the proxy, never for the site (a page that fails because the proxy
// refused our credentials is not the site's doing), by its masked URL: the credentials are in the
// header sent to it and nowhere else.
import { connect, type Socket } from 'node:net';
import type { UpstreamProxy } from '../../core/upstream-proxy.js';
import { pinnedLookup, type HostCheck } from './egress-policy.js';

/** Chromium's names for the same failures of a proxy it talks to itself. */
export type UpstreamErrorCode = 'ERR_PROXY_CONNECTION_FAILED' | 'ERR_PROXY_AUTH_REQUESTED' | 'ERR_TUNNEL_CONNECTION_FAILED';

export class UpstreamError extends Error {
  constructor(
    readonly code: UpstreamErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An upstream's answer head larger than this is not a proxy's answer to CONNECT. */
const MAX_HEAD_BYTES = 16 * 1024;

const bare = (hostname: string): string => (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);

/** The upstream's checked addresses, or why it may not be used. */
export async function admitUpstream(upstream: UpstreamProxy, hosts: HostCheck): Promise<string[]> {
  const verdict = await hosts(upstream.hostname, upstream.port);
  if (verdict.allowed) return verdict.addresses;
  throw new UpstreamError('ERR_PROXY_CONNECTION_FAILED', `upstream proxy ${upstream.shown} may not be used: ${verdict.reason}`);
}

/** What an upstream's refusal of a request or tunnel means, by its status. */
export function upstreamRefusal(upstream: UpstreamProxy, status: number, what: string): UpstreamError {
  if (status === 407) {
    const why = upstream.authorization ? 'refused the credentials it was given' : 'asks for credentials and its URL has none';
    return new UpstreamError('ERR_PROXY_AUTH_REQUESTED', `upstream proxy ${upstream.shown} ${why} (407 Proxy Authentication Required)`);
  }
  return new UpstreamError('ERR_TUNNEL_CONNECTION_FAILED', `upstream proxy ${upstream.shown} answered ${status} to ${what}`);
}

/**
 * A tunnel to `authority` (host:port, the name the browser asked for) through the upstream: the
 * socket once the upstream answered 200, with any bytes that came after its answer put back.
 */
export function tunnelVia(upstream: UpstreamProxy, addresses: string[], authority: string, timeoutMs: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: bare(upstream.hostname), port: upstream.port, lookup: pinnedLookup(addresses), noDelay: true, timeout: timeoutMs });
    let head = Buffer.alloc(0);
    let settled = false;
    const fail = (error: UpstreamError): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(error);
    };
    socket.on('error', (error) => fail(new UpstreamError('ERR_PROXY_CONNECTION_FAILED', `upstream proxy ${upstream.shown}: ${error.message}`)));
    socket.once('timeout', () => fail(new UpstreamError('ERR_PROXY_CONNECTION_FAILED', `upstream proxy ${upstream.shown}: no answer within ${timeoutMs} ms`)));
    socket.once('close', () => fail(new UpstreamError('ERR_PROXY_CONNECTION_FAILED', `upstream proxy ${upstream.shown} closed the connection before answering CONNECT`)));
    socket.once('connect', () => {
      const auth = upstream.authorization ? `Proxy-Authorization: ${upstream.authorization}\r\n` : '';
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
    });
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > MAX_HEAD_BYTES) fail(new UpstreamError('ERR_TUNNEL_CONNECTION_FAILED', `upstream proxy ${upstream.shown} sent no answer to CONNECT`));
        return;
      }
      socket.off('data', onData);
      // no data may flow (and be lost) before the tunnel's owner pipes the socket
      socket.pause();
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1] ?? 0);
      if (status < 200 || status > 299) {
        fail(status ? upstreamRefusal(upstream, status, `CONNECT ${authority}`) : new UpstreamError('ERR_TUNNEL_CONNECTION_FAILED', `upstream proxy ${upstream.shown} sent no HTTP answer to CONNECT`));
        return;
      }
      settled = true;
      socket.setTimeout(0);
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      // an unhandled 'error' event would take the crawler down; the tunnel's owner handles the rest
      socket.on('error', () => {});
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}
