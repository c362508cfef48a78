// The egress proxy on its own, driven by Node clients as Chromium drives it: absolute-form HTTP
// requests and CONNECT tunnels. A stand-in "public" server listens on 127.0.0.2 (the only address
// the test policy allows) and a stand-in internal one on 127.0.0.1, which must see no connection.
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostCheck } from '../../functions/adapters/browser/egress-policy.js';
import { EGRESS_ERROR_HEADER, startEgressProxy, type EgressProxy } from '../../functions/adapters/browser/egress-proxy.js';
import { checkAddress } from '../../functions/core/network-policy.js';

let publicSite: Server;
let publicEcho: TcpServer;
let internal: Server;
/** a public server on the internal server's port: where a rebinding name's first answer points */
let twin: Server;
let publicPort = 0;
let echoPort = 0;
let internalPort = 0;
let publicConnections = 0;
let internalConnections = 0;
let proxy: EgressProxy;
let proxyPort = 0;
const warnings: Array<{ message: string; target?: unknown }> = [];
const lookups: string[] = [];
/** lets a test hold a streamed response open */
let releaseStream: (() => void) | undefined;

const listen = (server: Server | TcpServer, host: string): Promise<number> =>
  new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

beforeAll(async () => {
  publicSite = createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
      releaseStream = () => res.end('last chunk\n');
      return;
    }
    if (req.url === '/spoof') {
      res.writeHead(200, { [EGRESS_ERROR_HEADER]: 'ERR_BLOCKED_BY_EGRESS_POLICY', 'content-type': 'text/plain' });
      return res.end('a page that pretends to be refused');
    }
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => res.end(`got ${Buffer.concat(chunks).length} bytes`));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'x-seen-host': req.headers.host ?? '', 'x-seen-proxy-connection': String(req.headers['proxy-connection']) });
    res.end(`public ${req.url}`);
  });
  publicSite.on('connection', () => publicConnections++);
  publicPort = await listen(publicSite, '127.0.0.2');
  publicEcho = createTcpServer((socket) => socket.pipe(socket));
  echoPort = await listen(publicEcho, '127.0.0.2');
  internal = createServer((_req, res) => res.end('internal secret'));
  internal.on('connection', () => internalConnections++);
  internalPort = await listen(internal, '127.0.0.1');
  twin = createServer((_req, res) => res.end('public twin'));
  twin.on('connection', () => publicConnections++);
  await new Promise<void>((resolve) => twin.listen(internalPort, '127.0.0.2', resolve));

  const names: Record<string, string[]> = { 'public.test': ['127.0.0.2'], 'internal.test': ['127.0.0.1'], 'mixed.test': ['127.0.0.2', '10.1.2.3'] };
  // rebind*.test answer public the first time they are looked up and loopback afterwards.
  const rebindLookups = new Map<string, number>();
  const resolve = async (name: string): Promise<string[]> => {
    lookups.push(name);
    if (name.startsWith('rebind')) {
      const count = rebindLookups.get(name) ?? 0;
      rebindLookups.set(name, count + 1);
      return count === 0 ? ['127.0.0.2'] : ['127.0.0.1'];
    }
    return names[name] ?? [];
  };
  const testInternet = (address: string) => (address === '127.0.0.2' ? { allowed: true as const } : checkAddress(address));
  const log = { debug() {}, info() {}, error() {}, warn: (message: string, extra?: Record<string, unknown>) => warnings.push({ message, target: extra?.['target'] }) };
  // No cache: every connection looks its name up again, as a rebinding attacker would want.
  proxy = await startEgressProxy({ hosts: hostCheck(resolve, testInternet, 0), log });
  proxyPort = Number(new URL(proxy.url).port);
});

afterAll(async () => {
  await proxy?.close();
  for (const server of [publicSite, publicEcho, internal, twin]) await new Promise((r) => server?.close(r));
});

beforeEach(() => {
  internalConnections = 0;
  publicConnections = 0;
  warnings.length = 0;
  lookups.length = 0;
});

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A request through the proxy, in the absolute form a browser uses. */
function viaProxy(url: string, options: { agent?: Agent; method?: string; body?: Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: proxyPort, path: url, method: options.method ?? 'GET', agent: options.agent, headers: { host: new URL(url).host, 'proxy-connection': 'keep-alive' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Opens a CONNECT tunnel; resolves with the proxy's status line and, when established, the socket. */
function tunnel(authority: string): Promise<{ status: number; head: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, '127.0.0.1', () => socket.write(`CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n\r\n`));
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ status: Number(received.split(' ')[1]), head: received.slice(0, end), socket });
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

describe('plain HTTP through the proxy', () => {
  it('forwards to an allowed target with its Host header and without hop-by-hop headers', async () => {
    const answer = await viaProxy(`http://public.test:${publicPort}/page?q=1`);
    expect(answer).toMatchObject({ status: 200, body: 'public /page?q=1' });
    expect(answer.headers['x-seen-host']).toBe(`public.test:${publicPort}`);
    expect(answer.headers['x-seen-proxy-connection']).toBe('undefined');
  });

  it('streams a response: the first bytes arrive before the target has finished', async () => {
    const firstChunk = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxyPort, path: `http://public.test:${publicPort}/stream` }, (res) => {
        res.once('data', (chunk: Buffer) => {
          resolve(chunk.toString());
          res.resume();
          releaseStream?.();
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(firstChunk).toBe('first chunk\n');
  });

  it('streams request bodies', async () => {
    const answer = await viaProxy(`http://public.test:${publicPort}/upload`, { method: 'POST', body: Buffer.alloc(3 * 1024 * 1024, 1) });
    expect(answer.body).toBe(`got ${3 * 1024 * 1024} bytes`);
  });

  it('keeps connections to the target alive across requests', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 5; i++) expect((await viaProxy(`http://public.test:${publicPort}/${i}`, { agent })).status).toBe(200);
    agent.destroy();
    // at most one new connection (earlier tests may have left one in the pool)
    expect(publicConnections).toBeLessThanOrEqual(1);
  });

  it.each([
    ['a loopback IP', () => `http://127.0.0.1:${internalPort}/`],
    ['a name resolving to loopback', () => `http://internal.test:${internalPort}/`],
    ['a name with one private address among public ones', () => `http://mixed.test:${publicPort}/`],
    ['an IPv4-mapped IPv6 loopback', () => `http://[::ffff:7f00:1]:${internalPort}/`],
    ['the metadata service', () => 'http://169.254.169.254/latest/meta-data/'],
  ])('refuses %s with 403 and a log line', async (_name, url) => {
    const answer = await viaProxy(url());
    expect(answer.status).toBe(403);
    expect(answer.headers[EGRESS_ERROR_HEADER]).toBe('ERR_BLOCKED_BY_EGRESS_POLICY');
    expect(warnings.map((w) => w.message)).toEqual(['egress refused']);
    expect(internalConnections).toBe(0);
  });

  it('connects to the address it checked, not to a second answer for the name (DNS rebinding)', async () => {
    // First lookup: public. The connection goes there, and the name is not looked up again for it
    // (a second answer would be loopback, on the port where the internal server listens).
    const first = await viaProxy(`http://rebind.test:${internalPort}/rebind`);
    expect(first).toMatchObject({ status: 200, body: 'public twin' });
    expect(lookups).toEqual(['rebind.test']);
    // Every later lookup answers loopback: refused.
    const second = await viaProxy(`http://rebind.test:${internalPort}/rebind`);
    expect(second.status).toBe(403);
    expect(internalConnections).toBe(0);
  });

  it('reports targets it cannot reach as the browser would name the failure', async () => {
    const closed = createServer();
    const closedPort = await listen(closed, '127.0.0.2');
    await new Promise((r) => closed.close(r));
    const refused = await viaProxy(`http://public.test:${closedPort}/`);
    expect([refused.status, refused.headers[EGRESS_ERROR_HEADER]]).toEqual([502, 'ERR_CONNECTION_REFUSED']);
    const unknown = await viaProxy('http://no-such-host.test/');
    expect([unknown.status, unknown.headers[EGRESS_ERROR_HEADER]]).toEqual([502, 'ERR_NAME_NOT_RESOLVED']);
    expect(proxy.failureFor('http://no-such-host.test/')?.code).toBe('ERR_NAME_NOT_RESOLVED');
  });

  it("never passes on a target's own egress-error header (a page cannot fake a refusal)", async () => {
    const answer = await viaProxy(`http://public.test:${publicPort}/spoof`);
    expect(answer.status).toBe(200);
    expect(answer.headers[EGRESS_ERROR_HEADER]).toBeUndefined();
  });

  it('survives a target whose answer cannot be relayed (a status outside 100–999)', async () => {
    const odd = createTcpServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 000 Odd\r\ncontent-length: 2\r\n\r\nhi')));
    const oddPort = await listen(odd, '127.0.0.2');
    const answer = await viaProxy(`http://public.test:${oddPort}/`);
    await new Promise((r) => odd.close(r));
    expect(answer.status).toBe(502);
    expect((await viaProxy(`http://public.test:${publicPort}/after`)).status).toBe(200);
  });

  it('answers a request that is not a proxy request (its own port asked for directly) with 400', async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxyPort, path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toBe(400);
  });
});

describe('CONNECT tunnels (https, ws, wss, TURN over TCP)', () => {
  it('relays bytes both ways to an allowed target', async () => {
    const { status, socket } = await tunnel(`public.test:${echoPort}`);
    expect(status).toBe(200);
    const echoed = await new Promise<string>((resolve) => {
      socket.once('data', (chunk: Buffer) => resolve(chunk.toString()));
      socket.write('ping through the tunnel');
    });
    socket.destroy();
    expect(echoed).toBe('ping through the tunnel');
  });

  it.each([
    ['a loopback IP', () => `127.0.0.1:${internalPort}`],
    ['a name resolving to loopback', () => `internal.test:${internalPort}`],
    ['an IPv6 loopback', () => `[::1]:${internalPort}`],
  ])('refuses %s with 403, and remembers why for the renderer', async (_name, authority) => {
    const { status, head, socket } = await tunnel(authority());
    socket.destroy();
    expect(status).toBe(403);
    expect(head).toContain(`${EGRESS_ERROR_HEADER}: ERR_BLOCKED_BY_EGRESS_POLICY`);
    expect(proxy.failureFor(`https://${authority()}/`)?.code).toBe('ERR_BLOCKED_BY_EGRESS_POLICY');
    expect(warnings.map((w) => w.message)).toEqual(['egress refused']);
    expect(internalConnections).toBe(0);
  });

  it('tunnels to the address it checked when the name rebinds', async () => {
    const opened = await tunnel(`rebind-tunnel.test:${internalPort}`);
    expect(opened.status).toBe(200);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      opened.socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('public twin')) resolve(text);
      });
      opened.socket.write('GET / HTTP/1.1\r\nhost: rebind-tunnel.test\r\n\r\n');
    });
    opened.socket.destroy();
    expect(answer).toContain('public twin');
    expect(lookups).toEqual(['rebind-tunnel.test']);
    // The name now answers loopback: the next tunnel is refused.
    const again = await tunnel(`rebind-tunnel.test:${internalPort}`);
    again.socket.destroy();
    expect(again.status).toBe(403);
    expect(internalConnections).toBe(0);
  });
});
