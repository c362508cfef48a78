// The seeds' headers and cookies go to the seeds' origins only (scheme, host and port), in a real
// headless Chromium: an https seed's credentials never reach the same host over plain http (they
// would cross the network in clear text), nor another port of it. One port of 127.0.0.1 answers
// both http and https (the first byte of a connection tells a TLS handshake from a request), so
// `http://127.0.0.1:P` and `https://127.0.0.1:P` are the same host and port, different origins:
// only the scheme tells them apart, as with `http://example.com` and `https://example.com`.
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import type { RenderOptions } from '../../functions/core/ports.js';
import { seedOriginsOf } from '../../functions/core/seed-credentials.js';
import { createReplayCa } from '../../local/replay-tls.js';

const timing = { navigationTimeoutMs: 20_000, settleIdleMs: 400, settleMaxMs: 4_000 };
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const SECRET = { header: 'Authorization', token: 'Bearer tok-origin-5e1d-secret', cookie: 'session', session: 'sess-origin-77a0-secret' } as const;

interface Hit {
  origin: string;
  path: string;
  token: string | undefined;
  cookie: string | undefined;
}

let hits: Hit[] = [];
let port: number;
let otherPort: number;
let front: NetServer;
let other: HttpsServer;
let renderer: PuppeteerRenderer;
const https = (path: string, at = port) => `https://127.0.0.1:${at}${path}`;
const http = (path: string) => `http://127.0.0.1:${port}${path}`;

/** Records what the request carried, then answers the page the path names. */
function site(scheme: 'http' | 'https', at: () => number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    hits.push({ origin: `${scheme}://127.0.0.1:${at()}`, path, token: req.headers.authorization, cookie: req.headers.cookie });
    if (path === '/to-http') {
      res.writeHead(302, { location: http('/landing') }).end();
      return;
    }
    if (path === '/widget.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end('window.widget = 1;');
      return;
    }
    const body =
      path === '/private'
        ? `<title>private</title><script src="${https('/widget.js', otherPort)}"></script><img src="/own.png"><a href="${http('/private')}">plain</a>`
        : `<title>${path}</title>`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`);
  };
}

function listen(server: NetServer | HttpServer | HttpsServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

beforeAll(async () => {
  const pems = createReplayCa().pemsFor('127.0.0.1');
  const plain = createHttpServer(site('http', () => port));
  const secure = createHttpsServer(pems, site('https', () => port));
  // One port, both schemes: a TLS handshake starts with a handshake record (0x16).
  front = createNetServer((socket: Socket) => {
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (!first) return void socket.destroy();
      socket.unshift(first);
      (first[0] === 0x16 ? secure : plain).emit('connection', socket);
    });
  });
  port = await listen(front);
  other = createHttpsServer(pems, site('https', () => otherPort));
  otherPort = await listen(other);
  renderer = new PuppeteerRenderer({ log: quiet, extraArgs: ['--ignore-certificate-errors'] });
});

afterAll(async () => {
  await renderer?.close();
  await new Promise((resolve) => front?.close(resolve));
  await new Promise((resolve) => other?.close(resolve));
});

describe("an https seed's headers and cookies", () => {
  const credentials = (): NonNullable<RenderOptions['credentials']> => ({
    origins: seedOriginsOf([https('/private')]),
    headers: { [SECRET.header]: SECRET.token },
    cookies: [{ name: SECRET.cookie, value: SECRET.session }],
  });
  const render = (url: string) => renderer.render(url, { ...timing, credentials: credentials() });

  it('go with the seed page and its own subresources, and not to another port of the host', async () => {
    hits = [];
    const page = await render(https('/private'));
    expect(page).toMatchObject({ status: 200, title: 'private' });
    const own = hits.filter((h) => h.origin === `https://127.0.0.1:${port}`);
    expect(own.map((h) => h.path).sort()).toEqual(['/own.png', '/private']);
    for (const hit of own) expect(hit).toMatchObject({ token: SECRET.token, cookie: `${SECRET.cookie}=${SECRET.session}` });
    const elsewhere = hits.filter((h) => !own.includes(h));
    expect(elsewhere.map((h) => `${h.origin}${h.path}`)).toEqual([`https://127.0.0.1:${otherPort}/widget.js`]);
    for (const hit of elsewhere) expect(hit).toMatchObject({ token: undefined, cookie: undefined });
  });

  it('do not go to the same host and port over http (a link of the job crawled as its own page)', async () => {
    hits = [];
    const page = await render(http('/private'));
    expect(page).toMatchObject({ status: 200, title: 'private' });
    const plain = hits.filter((h) => h.origin === `http://127.0.0.1:${port}`);
    expect(plain.map((h) => h.path).sort()).toEqual(['/own.png', '/private']);
    for (const hit of plain) expect(hit).toMatchObject({ token: undefined, cookie: undefined });
  });

  it('do not follow a redirect from the seed to http on the same host and port: the first hop has them, the next none', async () => {
    hits = [];
    const page = await render(https('/to-http'));
    expect(page).toMatchObject({ status: 200, documentUrl: http('/landing') });
    expect(hits).toEqual([
      { origin: `https://127.0.0.1:${port}`, path: '/to-http', token: SECRET.token, cookie: `${SECRET.cookie}=${SECRET.session}` },
      { origin: `http://127.0.0.1:${port}`, path: '/landing', token: undefined, cookie: undefined },
    ]);
  });
});
