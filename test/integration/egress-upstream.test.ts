// The egress proxy chaining to an upstream proxy, driven by Node clients as Chromium drives it
// (absolute-form http, CONNECT tunnels). The "public" site and the upstream listen on 127.0.0.2 and
// 127.0.0.3, the only addresses the test policy allows; an internal server on 127.0.0.1 must see no
// connection, and neither must the upstream for a target the policy refuses.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostCheck } from '../../functions/adapters/browser/egress-policy.js';
import { EGRESS_ERROR_HEADER, EGRESS_REASON_HEADER, startEgressProxy, type EgressProxy } from '../../functions/adapters/browser/egress-proxy.js';
import { publicOnlyGuard } from '../../functions/adapters/browser/request-guard.js';
import { guardedGet } from '../../functions/adapters/http/guarded-fetch.js';
import { checkAddress } from '../../functions/core/network-policy.js';
import { parseProxyUrl, type UpstreamProxy, type UpstreamRoute } from '../../functions/core/upstream-proxy.js';
import { startUpstreamProxy, type UpstreamProxyStub } from '../support/upstream-proxy.js';

let site: Server;
let echo: TcpServer;
let internal: Server;
let sitePort = 0;
let echoPort = 0;
let internalPort = 0;
let internalConnections = 0;
let upstream: UpstreamProxyStub;
let egress: EgressProxy;
/** the egress proxy's policy, for the crawler's own fetches (robots.txt, sitemaps) */
let fetchGuard: ReturnType<typeof publicOnlyGuard>;
const siteHeaders: IncomingMessage['headers'][] = [];
const logLines: string[] = [];
const PASSWORD = 'upstream-pa55word';

const listen = (server: Server | TcpServer, host: string): Promise<number> =>
  new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

const proxyOf = (raw: string): UpstreamProxy => {
  const parsed = parseProxyUrl(raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.proxy;
};
const routeTo = (key: string, ...urls: string[]): UpstreamRoute => ({ key, proxies: urls.map(proxyOf) });

beforeAll(async () => {
  site = createServer((req, res) => {
    siteHeaders.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`site ${req.url}`);
  });
  sitePort = await listen(site, '127.0.0.2');
  echo = createTcpServer((socket) => socket.pipe(socket));
  echoPort = await listen(echo, '127.0.0.2');
  internal = createServer((_req, res) => res.end('internal secret'));
  internal.on('connection', () => internalConnections++);
  internalPort = await listen(internal, '127.0.0.1');
  upstream = await startUpstreamProxy('crawler', PASSWORD, '127.0.0.3', { 'public.test': '127.0.0.2' });
  const names: Record<string, string[]> = { 'public.test': ['127.0.0.2'], 'internal.test': ['127.0.0.1'] };
  const testInternet = (address: string) => (address === '127.0.0.2' || address === '127.0.0.3' ? { allowed: true as const } : checkAddress(address));
  const line = (level: string) => (message: string, ...extra: unknown[]) => logLines.push(JSON.stringify({ level, message, extra }));
  fetchGuard = publicOnlyGuard(async (name) => names[name] ?? [], testInternet);
  egress = await startEgressProxy({ hosts: hostCheck(async (name) => names[name] ?? [], testInternet, 0), log: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') } });
});

afterAll(async () => {
  await egress?.close();
  await upstream?.close();
  await Promise.all([site, echo, internal].map((server) => new Promise((resolve) => server?.close(resolve))));
});

beforeEach(() => {
  upstream.relayed.length = 0;
  siteHeaders.length = 0;
});

/** An absolute-form GET through a listener of the egress proxy. */
function get(listener: string, target: string): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const { port } = new URL(listener);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, headers: { host: new URL(target).host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A CONNECT through a listener; the answer's head, and the echo of `probe` when the tunnel opened. */
function tunnel(listener: string, authority: string, probe = 'ping'): Promise<{ head: string; echoed?: string }> {
  const { port } = new URL(listener);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    let received = '';
    socket.on('error', reject);
    socket.on('connect', () => socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = received.slice(0, end);
      if (!head.startsWith('HTTP/1.1 200')) {
        socket.destroy();
        resolve({ head });
        return;
      }
      const rest = received.slice(end + 4);
      if (rest.length === 0) {
        received = received.slice(0, end + 4);
        if (!socket.writableEnded) socket.write(probe);
      }
      if (rest.length >= probe.length) {
        socket.destroy();
        resolve({ head, echoed: rest });
      }
    });
  });
}

describe('a route through an authenticating upstream proxy', () => {
  it('relays plain http in absolute form with the credentials, which reach the upstream only', async () => {
    const listener = await egress.listenerFor(routeTo('job-http', upstream.url));
    const answer = await get(listener, `http://public.test:${sitePort}/page?x=1`);
    expect(answer).toMatchObject({ status: 200, body: 'site /page?x=1' });
    expect(upstream.relayed).toEqual([{ method: 'GET', target: `http://public.test:${sitePort}/page?x=1`, authorized: true }]);
    expect(siteHeaders).toHaveLength(1);
    expect(siteHeaders[0]!['proxy-authorization']).toBeUndefined();
    expect(siteHeaders[0]!.host).toBe(`public.test:${sitePort}`);
  });

  it('opens tunnels with CONNECT to the name the browser asked for', async () => {
    const listener = await egress.listenerFor(routeTo('job-tunnel', upstream.url));
    expect(await tunnel(listener, `public.test:${echoPort}`)).toEqual({ head: 'HTTP/1.1 200 Connection Established', echoed: 'ping' });
    expect(upstream.relayed).toEqual([{ method: 'CONNECT', target: `public.test:${echoPort}`, authorized: true }]);
  });

  it('still judges every destination first: a refused one never reaches the upstream', async () => {
    const listener = await egress.listenerFor(routeTo('job-refused', upstream.url));
    const answer = await get(listener, `http://internal.test:${internalPort}/`);
    expect(answer.status).toBe(403);
    expect(answer.headers[EGRESS_ERROR_HEADER]).toBe('ERR_BLOCKED_BY_EGRESS_POLICY');
    expect((await tunnel(listener, `internal.test:${internalPort}`)).head).toMatch(/^HTTP\/1\.1 403 /);
    expect(upstream.relayed).toEqual([]);
    expect(internalConnections).toBe(0);
  });

  it('names the proxy, masked, when it refuses the credentials (http and tunnels alike)', async () => {
    const wrong = `http://crawler:not-the-password@127.0.0.3:${upstream.port}`;
    const listener = await egress.listenerFor(routeTo('job-wrong', wrong));
    const answer = await get(listener, `http://public.test:${sitePort}/`);
    expect(answer.status).toBe(502);
    expect(answer.headers[EGRESS_ERROR_HEADER]).toBe('ERR_PROXY_AUTH_REQUESTED');
    expect(answer.headers[EGRESS_REASON_HEADER]).toBe(`upstream proxy http://***@127.0.0.3:${upstream.port} refused the credentials it was given (407 Proxy Authentication Required)`);
    expect((await tunnel(listener, `public.test:${echoPort}`)).head).toMatch(/^HTTP\/1\.1 502 /);
    expect(egress.failureFor(`https://public.test:${echoPort}/`, 'job-wrong')).toEqual({
      code: 'ERR_PROXY_AUTH_REQUESTED',
      reason: `upstream proxy http://***@127.0.0.3:${upstream.port} refused the credentials it was given (407 Proxy Authentication Required)`,
    });
    // another route's failures are its own
    expect(egress.failureFor(`https://public.test:${echoPort}/`, 'job-tunnel')).toBeUndefined();
    expect(upstream.relayed.map((r) => r.authorized)).toEqual([false, false]);
    expect(siteHeaders).toEqual([]);
  });

  it('refuses an upstream the address policy refuses, without connecting to it', async () => {
    const listener = await egress.listenerFor(routeTo('job-private-upstream', `http://crawler:${PASSWORD}@127.0.0.1:${internalPort}`));
    const answer = await get(listener, `http://public.test:${sitePort}/`);
    expect(answer.status).toBe(502);
    expect(answer.headers[EGRESS_ERROR_HEADER]).toBe('ERR_PROXY_CONNECTION_FAILED');
    expect(answer.headers[EGRESS_REASON_HEADER]).toMatch(new RegExp(`^upstream proxy http://\\*\\*\\*@127\\.0\\.0\\.1:${internalPort} may not be used: 127\\.0\\.0\\.1 is in the loopback range`));
    expect(internalConnections).toBe(0);
  });

  it('leaves the launch listener direct until a route is given to it', async () => {
    expect((await get(egress.url, `http://public.test:${sitePort}/direct`)).body).toBe('site /direct');
    expect(upstream.relayed).toEqual([]);
    egress.useRoute(routeTo('job-launch', upstream.url));
    expect((await get(egress.url, `http://public.test:${sitePort}/routed`)).body).toBe('site /routed');
    expect(upstream.relayed).toEqual([{ method: 'GET', target: `http://public.test:${sitePort}/routed`, authorized: true }]);
    egress.useRoute(undefined);
  });

  it('writes the credentials into no log line', () => {
    expect(logLines.length).toBeGreaterThan(0);
    const all = logLines.join('\n');
    for (const secret of [PASSWORD, 'not-the-password', Buffer.from(`crawler:${PASSWORD}`).toString('base64')]) expect(all).not.toContain(secret);
  });

  it("also carries the crawler's own fetches (robots.txt, sitemaps), judged the same way", async () => {
    const fetchOptions = { guard: fetchGuard, userAgent: 'test', accept: '*/*', maxBytes: 1000, maxRedirects: 2, timeoutMs: 5_000 };
    const through = { ...fetchOptions, upstreams: async () => [proxyOf(upstream.url)] };
    const answer = await guardedGet(`http://public.test:${sitePort}/robots.txt`, through);
    expect(answer.status).toBe(200);
    expect(new TextDecoder().decode(answer.body)).toBe('site /robots.txt');
    expect(upstream.relayed).toEqual([{ method: 'CONNECT', target: `public.test:${sitePort}`, authorized: true }]);
    // a refused destination is refused before any proxy is asked
    expect(await guardedGet(`http://internal.test:${internalPort}/robots.txt`, through)).toMatchObject({ status: null, error: expect.stringMatching(/^blocked: /) });
    // a refused upstream is not connected to
    const privateUpstream = { ...fetchOptions, upstreams: async () => [proxyOf(`http://crawler:${PASSWORD}@127.0.0.1:${internalPort}`)] };
    expect(await guardedGet(`http://public.test:${sitePort}/robots.txt`, privateUpstream)).toEqual({
      status: null,
      error: `fetch failed: upstream proxy http://***@127.0.0.1:${internalPort} may not be used: 127.0.0.1 is in the loopback range`,
    });
    // refused credentials: no answer, and the credentials are not in the error
    const wrong = await guardedGet(`http://public.test:${sitePort}/robots.txt`, { ...fetchOptions, upstreams: async () => [proxyOf(`http://crawler:wrong-one@127.0.0.3:${upstream.port}`)] });
    expect(wrong).toEqual({
      status: null,
      error: `fetch failed: upstream proxy http://***@127.0.0.3:${upstream.port} refused the credentials it was given (407 Proxy Authentication Required)`,
    });
    expect(wrong.error).not.toContain('wrong-one');
    expect(internalConnections).toBe(0);
    expect(upstream.relayed.filter((r) => r.authorized)).toHaveLength(1);
  });
});
