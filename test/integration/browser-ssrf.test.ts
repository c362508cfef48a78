// SSRF protection in the real browser: every connection the browser opens — the tab's requests,
// redirect hops and subresources, but also pop-ups, workers, service workers, WebSockets and
// WebRTC — reaches only public addresses. A stand-in "internet" lives at 127.0.0.2 (the only
// address this test's policy calls public); internal services listen on 127.0.0.1 and must never
// see a connection.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { publicOnlyGuard } from '../../functions/adapters/browser/request-guard.js';
import { RenderError } from '../../functions/adapters/browser/errors.js';
import { checkAddress } from '../../functions/core/network-policy.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const timing = { navigationTimeoutMs: 8_000, settleIdleMs: 300, settleMaxMs: 3_000 };

let publicSite: Server;
let internal: Server;
let internalUdp: UdpSocket;
let publicPort = 0;
let internalPort = 0;
let internalUdpPort = 0;
/** every TCP connection the internal server accepted, whatever was (or was not) sent on it */
let internalConnections = 0;
const internalHits: string[] = [];
const internalDatagrams: number[] = [];
const publicHits: string[] = [];
let renderer: PuppeteerRenderer;

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));
}

const html = (body: string) => `<!doctype html><title>public</title>${body}`;
/** keeps the page's network busy, so the page lives long enough for what it started to happen */
const linger = `<script>fetch('/slow').catch(() => {});</script>`;

beforeAll(async () => {
  internal = createServer((req, res) => {
    internalHits.push(req.url ?? '');
    res.end('internal secret');
  });
  internal.on('connection', () => internalConnections++);
  internal.on('upgrade', (req, socket) => {
    internalHits.push(req.url ?? '');
    socket.destroy();
  });
  internalPort = await listen(internal, '127.0.0.1');
  internalUdp = createSocket('udp4');
  internalUdp.on('message', (message) => internalDatagrams.push(message.length));
  await new Promise<void>((resolve) => internalUdp.bind(0, '127.0.0.1', resolve));
  internalUdpPort = internalUdp.address().port;

  const internalUrl = `http://127.0.0.1:${internalPort}`;
  publicSite = createServer((req, res) => {
    publicHits.push(req.url ?? '');
    const page = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(html(body));
    };
    switch (req.url) {
      case '/to-internal':
        res.writeHead(302, { location: `${internalUrl}/via-redirect` });
        return res.end();
      case '/to-metadata':
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        return res.end();
      case '/to-internal-name':
        res.writeHead(302, { location: `http://internal.test:${internalPort}/via-name-redirect` });
        return res.end();
      case '/slow':
        setTimeout(() => res.end('ok'), 1_500);
        return;
      case '/popup':
        return page(`<a id="blank" href="${internalUrl}/popup-by-link" target="_blank">x</a>
          <script>window.open('${internalUrl}/popup'); window.open('http://internal.test:${internalPort}/popup-by-name', '_blank', 'noopener');
          document.getElementById('blank').click();</script>${linger}`);
      case '/shared-worker':
        return page(`<script>
          const code = "fetch('${internalUrl}/shared-worker').catch(() => {}); new WebSocket('ws://127.0.0.1:${internalPort}/shared-worker-ws');";
          try { new SharedWorker(URL.createObjectURL(new Blob([code], { type: 'text/javascript' }))); } catch {}
          </script>${linger}`);
      case '/service-worker':
        return page(`<script>navigator.serviceWorker?.register('/sw.js').catch(() => {});</script>${linger}`);
      case '/sw.js':
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end(`self.addEventListener('install', (event) => event.waitUntil(fetch('${internalUrl}/sw-install').catch(() => {})));`);
      case '/webrtc':
        return page(`<script>
          const pc = new RTCPeerConnection({ iceServers: [
            { urls: 'turn:127.0.0.1:${internalPort}?transport=tcp', username: 'u', credential: 'p' },
            { urls: 'stun:127.0.0.1:${internalUdpPort}' },
          ] });
          pc.createDataChannel('x');
          pc.createOffer().then((offer) => pc.setLocalDescription(offer)).catch(() => {});
          window.keep = pc;
          </script>${linger}`);
      case '/webtransport':
        return page(`<script>
          try { new WebTransport('https://127.0.0.1:${internalUdpPort}/wt').ready.catch(() => {}); } catch {}
          try { new WebTransport('https://127.0.0.1:${internalPort}/wt').ready.catch(() => {}); } catch {}
          </script>${linger}`);
      case '/websocket':
        return page(`<script>
          new WebSocket('ws://127.0.0.1:${internalPort}/ws');
          new WebSocket('ws://internal.test:${internalPort}/ws-by-name');
          </script>${linger}`);
      case '/rebind':
        return page(`<script>fetch('http://rebind.test:${internalPort}/rebound').catch(() => {});</script>${linger}`);
      default:
        return page(`<a href="/next">next</a>
          <img src="${internalUrl}/image.png">
          <img src="http://[::ffff:127.0.0.1]:${internalPort}/mapped.png">
          <script>fetch('${internalUrl}/fetched').catch(() => {}); fetch('http://internal.test:${internalPort}/by-name').catch(() => {});</script>`);
    }
  });
  publicPort = await listen(publicSite, '127.0.0.2');

  // Test names. rebind.test answers with a public address the first time it is looked up and with
  // loopback afterwards: what a DNS-rebinding attacker's name server does.
  const hosts: Record<string, string[]> = { 'public.test': ['127.0.0.2'], 'internal.test': ['127.0.0.1'], 'mixed.test': ['127.0.0.2', '10.0.0.5'] };
  let rebindLookups = 0;
  const resolve = async (name: string) => (name === 'rebind.test' ? (rebindLookups++ === 0 ? ['127.0.0.2'] : ['127.0.0.1']) : (hosts[name] ?? []));
  const testInternet = (address: string) => (address === '127.0.0.2' ? { allowed: true as const } : checkAddress(address));
  renderer = new PuppeteerRenderer({
    log: quiet,
    guard: publicOnlyGuard(resolve, testInternet),
    extraArgs: [
      // Chromium's own lookups, were it to make any: rebind.test gives it the second (loopback) answer.
      '--host-resolver-rules=MAP public.test 127.0.0.2, MAP internal.test 127.0.0.1, MAP mixed.test 127.0.0.2, MAP rebind.test 127.0.0.1',
      // Service workers need a secure context; on the real web the public page would be https.
      `--unsafely-treat-insecure-origin-as-secure=http://public.test:${publicPort}`,
    ],
  });
});

afterAll(async () => {
  await renderer?.close();
  await new Promise((r) => publicSite?.close(r));
  await new Promise((r) => internal?.close(r));
  internalUdp?.close();
});

// Each test answers for its own page.
beforeEach(() => {
  internalHits.length = 0;
  internalDatagrams.length = 0;
  publicHits.length = 0;
  internalConnections = 0;
});

function expectInternalUntouched(): void {
  expect({ requests: internalHits, connections: internalConnections, datagrams: internalDatagrams.length }).toEqual({ requests: [], connections: 0, datagrams: 0 });
}

describe('the browser behind the guard', () => {
  it('renders an allowed page but blocks its subresources on internal addresses, by IP, by name and IPv4-mapped IPv6', async () => {
    const page = await renderer.render(`http://public.test:${publicPort}/`, timing);
    expect(page.status).toBe(200);
    expect(page.title).toBe('public');
    expect(page.links).toEqual([`http://public.test:${publicPort}/next`]);
    expectInternalUntouched();
  });

  it.each([
    ['a redirect to a loopback IP', '/to-internal'],
    ['a redirect to the metadata service', '/to-metadata'],
    ['a redirect to a name that resolves to loopback', '/to-internal-name'],
  ])('blocks %s', async (_name, path) => {
    const error = await renderer.render(`http://public.test:${publicPort}${path}`, timing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RenderError);
    expect((error as RenderError).kind).toBe('blocked');
    expect((error as RenderError).retryable).toBe(false);
    expectInternalUntouched();
  });

  it.each([
    ['a loopback IP', () => `http://127.0.0.1:${internalPort}/direct`],
    ['an IPv4-mapped IPv6 loopback', () => `http://[::ffff:7f00:1]:${internalPort}/mapped`],
    ['a name resolving to loopback', () => `http://internal.test:${internalPort}/named`],
    ['a name with one private address among public ones', () => `http://mixed.test:${publicPort}/`],
    ['the metadata service', () => 'http://169.254.169.254/latest/meta-data/'],
  ])('refuses to navigate to %s', async (_name, url) => {
    const error = await renderer.render(url(), timing).catch((e: unknown) => e);
    expect((error as RenderError).kind).toBe('blocked');
    expectInternalUntouched();
  });
});

describe('connections the tab does not make itself', () => {
  it.each([
    ['pop-ups (window.open and a target=_blank link)', '/popup'],
    ['a blob SharedWorker (fetch and WebSocket)', '/shared-worker'],
    ['a WebSocket', '/websocket'],
    ['WebTransport (HTTP/3 over UDP)', '/webtransport'],
    ['a WebRTC TURN server over TCP and a STUN server over UDP', '/webrtc'],
    ['a name that rebinds to loopback after the guard looked it up', '/rebind'],
  ])('%s reaches no internal address', async (_name, path) => {
    const page = await renderer.render(`http://public.test:${publicPort}${path}`, timing);
    expect(page.status).toBe(200);
    expectInternalUntouched();
  });

  it('a service worker is never registered, so its install handler reaches nothing', async () => {
    const page = await renderer.render(`http://public.test:${publicPort}/service-worker`, timing);
    expect(page.status).toBe(200);
    expectInternalUntouched();
    expect(publicHits).not.toContain('/sw.js');
  });
});
