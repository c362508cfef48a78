// The renderer with the egress proxy as the only check (no request guard in the tab): what the
// proxy refuses or cannot reach becomes the same RenderError a direct connection would have given,
// for plain HTTP (the proxy's answer) and for https (a CONNECT the proxy refused). A stand-in
// "public" site lives at 127.0.0.2 over http and https; internal services on 127.0.0.1 must never
// see a connection.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hostCheck, type HostCheck } from '../../functions/adapters/browser/egress-policy.js';
import { RenderError } from '../../functions/adapters/browser/errors.js';
import { PuppeteerRenderer } from '../../functions/adapters/browser/renderer.js';
import { checkAddress } from '../../functions/core/network-policy.js';

// A self-signed certificate for the test names, made for this test only (Chromium is told to
// ignore certificate errors): not a secret.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgJteh6+XWVF7tpuxJ
X9g3MBZG9FrHN87GGOJ13Ueq7qChRANCAASibx8/Ag57BOL6TFBDyHL9ZA5AqSBQ
UzRPJbdUR6/VJ08woIpTKcNTyZPHeLisqY1yyeMv+ryXOTQARhOvP/qH
-----END PRIVATE KEY-----`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBujCCAV+gAwIBAgIUIQKMtTghpfOkE2KNRngVCffFLHgwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLcHVibGljLnRlc3QwIBcNMjYxMjAxMTI1NDUyWhgPMjEyNjEx
MDcxMjU0NTJaMBYxFDASBgNVBAMMC3B1YmxpYy50ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEom8fPwIOewTi+kxQQ8hy/WQOQKkgUFM0TyW3VEev1SdPMKCK
UynDU8mTx3i4rKmNcsnjL/q8lzk0AEYTrz/6h6OBiDCBhTAdBgNVHQ4EFgQUspWj
1tVaZb2ylCNh70deor5/f6EwHwYDVR0jBBgwFoAUspWj1tVaZb2ylCNh70deor5/
f6EwDwYDVR0TAQH/BAUwAwEB/zAyBgNVHREEKzApggtwdWJsaWMudGVzdIILcmVi
aW5kLnRlc3SCDWludGVybmFsLnRlc3QwCgYIKoZIzj0EAwIDSQAwRgIhAKCgHswX
Ps4KNk0g6mW9HqVoARmuz+Cu0Wf3jv+qSE/3AiEA9pTniYPy8bUMyHpKW0eWcUFP
+cZvPQ6VEHUcBmKtFZo=
-----END CERTIFICATE-----`;

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const timing = { navigationTimeoutMs: 8_000, settleIdleMs: 300, settleMaxMs: 2_000 };

let publicHttp: Server;
let publicHttps: Server;
let internal: Server;
let httpPort = 0;
let httpsPort = 0;
let internalPort = 0;
let closedPort = 0;
let internalConnections = 0;
let strict: HostCheck;
let renderer: PuppeteerRenderer;

const listen = (server: Server, host: string, port = 0): Promise<number> =>
  new Promise((resolve) => server.listen(port, host, () => resolve((server.address() as AddressInfo).port)));

function publicPages(scheme: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const internalUrl = `${scheme}://127.0.0.1:${internalPort}`;
    if (req.url === '/to-internal') {
      res.writeHead(302, { location: `${internalUrl}/via-redirect` });
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>public ${scheme}</title><a href="/next">next</a>
      <img src="${internalUrl}/image.png"><img src="http://internal.test:${internalPort}/by-name.png">
      <script>fetch('${internalUrl}/fetched').catch(() => {});</script>`);
  };
}

beforeAll(async () => {
  internal = createServer((_req, res) => res.end('internal secret'));
  internal.on('connection', () => internalConnections++);
  internalPort = await listen(internal, '127.0.0.1');
  publicHttp = createServer(publicPages('http'));
  httpPort = await listen(publicHttp, '127.0.0.2');
  publicHttps = createHttpsServer({ key: TEST_KEY, cert: TEST_CERT }, publicPages('https'));
  httpsPort = await listen(publicHttps, '127.0.0.2');
  const closed = createServer();
  closedPort = await listen(closed, '127.0.0.2');
  await new Promise((r) => closed.close(r));

  const names: Record<string, string[]> = { 'public.test': ['127.0.0.2'], 'internal.test': ['127.0.0.1'] };
  strict = hostCheck(async (name) => names[name] ?? [], (address) => (address === '127.0.0.2' ? { allowed: true } : checkAddress(address)));
  // No request guard: the proxy alone decides.
  renderer = new PuppeteerRenderer({ log: quiet, hosts: strict, extraArgs: ['--ignore-certificate-errors'] });
});

afterAll(async () => {
  await renderer?.close();
  for (const server of [publicHttp, publicHttps, internal]) await new Promise((r) => server?.close(r));
});

beforeEach(() => {
  internalConnections = 0;
});

async function failure(url: string, using = renderer): Promise<RenderError> {
  const error = await using.render(url, timing).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RenderError);
  return error as RenderError;
}

describe('pages through the egress proxy', () => {
  it.each([
    ['http', () => `http://public.test:${httpPort}/`],
    ['https (a CONNECT tunnel)', () => `https://public.test:${httpsPort}/`],
  ])('renders a public page over %s; its subresources on internal addresses reach nothing', async (scheme, url) => {
    const page = await renderer.render(url(), timing);
    expect(page).toMatchObject({ status: 200, title: `public ${scheme.split(' ')[0]}`, links: [new URL('/next', url()).href] });
    expect(internalConnections).toBe(0);
  });
});

describe('what the proxy refuses is a blocked page, not a page of the proxy', () => {
  it.each([
    ['an internal address over http', () => `http://127.0.0.1:${internalPort}/`],
    ['an internal name over http', () => `http://internal.test:${internalPort}/`],
    ['an internal address over https', () => `https://127.0.0.1:${internalPort}/`],
    ['an internal name over https', () => `https://internal.test:${internalPort}/`],
    ['a redirect to an internal address (http)', () => `http://public.test:${httpPort}/to-internal`],
    ['a redirect to an internal address (https)', () => `https://public.test:${httpsPort}/to-internal`],
  ])('%s', async (_name, url) => {
    const error = await failure(url());
    expect(error).toMatchObject({ kind: 'blocked', retryable: false });
    expect(error.message).toMatch(/non-public|loopback/);
    expect(internalConnections).toBe(0);
  });
});

describe('what the proxy cannot reach fails as a direct connection would', () => {
  it.each([
    ['http', () => `http://public.test:${closedPort}/`],
    ['https', () => `https://public.test:${closedPort}/`],
  ])('a refused connection over %s is a retryable network error', async (_scheme, url) => {
    const error = await failure(url());
    expect(error).toMatchObject({ kind: 'network', retryable: true });
    expect(error.message).toMatch(/ERR_CONNECTION_REFUSED/);
  });

  it.each([
    ['http', 'http://no-such-host.test/'],
    ['https', 'https://no-such-host.test/'],
  ])('a name that does not resolve over %s is a network error that is not retried', async (_scheme, url) => {
    const error = await failure(url);
    expect(error).toMatchObject({ kind: 'network', retryable: false });
    expect(error.message).toMatch(/ERR_NAME_NOT_RESOLVED/);
  });
});

describe('one browser, one host check', () => {
  it('a renderer with another host check gets a browser of its own, and the strict one stays strict', async () => {
    const permissive = new PuppeteerRenderer({ log: quiet });
    const page = await permissive.render(`http://127.0.0.1:${internalPort}/`, timing);
    expect(page.status).toBe(200);
    expect(internalConnections).toBeGreaterThan(0);
    internalConnections = 0;
    expect((await failure(`http://127.0.0.1:${internalPort}/`)).kind).toBe('blocked');
    expect(internalConnections).toBe(0);
  });
});
