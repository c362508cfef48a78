// A stand-in upstream proxy on a loopback address (127.0.0.1 unless told), as the common proxy services behave: it demands
// Proxy-Authorization (Basic) and answers 407 without it or with wrong credentials; it relays
// absolute-form http requests and CONNECT tunnels, and records each (what it was asked, whether the
// credentials were right) so a test can tell that the crawl's traffic went through it.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface RelayedRequest {
  method: string;
  /** the absolute URL of an http request, or host:port of a CONNECT */
  target: string;
  authorized: boolean;
}

export interface UpstreamProxyStub {
  /** http://user:pass@host:port */
  url: string;
  /** http://host:port (no credentials) */
  origin: string;
  port: number;
  user: string;
  password: string;
  relayed: RelayedRequest[];
  close(): Promise<void>;
}

/** `names`: what the stub resolves test host names to (as a real upstream's DNS would). */
export async function startUpstreamProxy(user: string, password: string, host = '127.0.0.1', names: Record<string, string> = {}): Promise<UpstreamProxyStub> {
  const addressOf = (name: string): string => names[name] ?? name.replace(/^\[|\]$/g, '');
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const relayed: RelayedRequest[] = [];
  const sockets = new Set<Socket | Duplex>();
  const authorized = (req: IncomingMessage) => req.headers['proxy-authorization'] === expected;

  const server: Server = createServer((req, res) => {
    const ok = authorized(req);
    relayed.push({ method: req.method ?? 'GET', target: req.url ?? '', authorized: ok });
    if (!ok) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="stub"', 'content-type': 'text/plain' }).end('proxy authentication required\n');
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form only\n');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    // as real proxies do (RFC 9110 §7.6.3): the site can tell what came through the proxy
    headers['via'] = '1.1 upstream-stub';
    const upstream = httpRequest({ host: addressOf(target.hostname), port: Number(target.port || 80), method: req.method, path: `${target.pathname}${target.search}`, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.headersSent ? res.destroy() : res.writeHead(502).end('bad gateway\n'));
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('error', () => {});
    const ok = authorized(req);
    relayed.push({ method: 'CONNECT', target: req.url ?? '', authorized: ok });
    if (!ok) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="stub"\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const [host, port] = [req.url!.slice(0, req.url!.lastIndexOf(':')), Number(req.url!.slice(req.url!.lastIndexOf(':') + 1))];
    const target = connect({ host: addressOf(host), port });
    sockets.add(target);
    target.on('error', () => client.destroy());
    target.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) target.write(head);
      target.pipe(client);
      client.pipe(target);
    });
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}`,
    origin: `http://${host}:${port}`,
    port,
    user,
    password,
    relayed,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
