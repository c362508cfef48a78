// The wire details of the egress proxy (egress-proxy.ts): which headers pass, how a failed
// connection is named, how a CONNECT target is read.
import type { UpstreamErrorCode } from './upstream-hop.js';

/** What went wrong, named as Chromium names the same failure of a direct connection. */
export type EgressErrorCode =
  | 'ERR_BLOCKED_BY_EGRESS_POLICY'
  | 'ERR_NAME_NOT_RESOLVED'
  | 'ERR_CONNECTION_REFUSED'
  | 'ERR_CONNECTION_TIMED_OUT'
  | 'ERR_CONNECTION_RESET'
  | 'ERR_ADDRESS_UNREACHABLE'
  | 'ERR_CONNECTION_FAILED'
  | UpstreamErrorCode;

// Hop-by-hop headers (RFC 9110 §7.6.1) and the proxy's own: never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

/** Headers of a message minus hop-by-hop ones (also those the Connection header names) and ours. */
export function forwardable(rawHeaders: string[]): string[] {
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

export function errorCodeOf(error: unknown): EgressErrorCode {
  const errors = error instanceof AggregateError ? error.errors : [error];
  const codes = errors.map((e) => (e as NodeJS.ErrnoException)?.code);
  if (codes.includes('ECONNREFUSED')) return 'ERR_CONNECTION_REFUSED';
  if (codes.includes('ETIMEDOUT')) return 'ERR_CONNECTION_TIMED_OUT';
  if (codes.includes('ECONNRESET') || codes.includes('EPIPE')) return 'ERR_CONNECTION_RESET';
  if (codes.includes('EHOSTUNREACH') || codes.includes('ENETUNREACH')) return 'ERR_ADDRESS_UNREACHABLE';
  return 'ERR_CONNECTION_FAILED';
}

/** Header values must be Latin-1 without control characters. */
export const headerSafe = (text: string): string => text.replace(/[^\x20-\x7e]/g, '?').slice(0, 500);

/** "host:port" of a CONNECT request target, brackets kept for IPv6; undefined when malformed. */
export function parseAuthority(authority: string): { hostname: string; port: number } | undefined {
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

export const bare = (hostname: string): string => (hostname.startsWith('[') ? hostname.slice(1, -1) : hostname);
