// The crawler's own fetches (robots.txt, sitemaps) connect to the address the guard checked, not to
// a second DNS answer. A stand-in for DNS rebinding on loopback only: the guard's resolver says
// `localhost` is 127.0.0.2 (the "public" site, the only address the policy allows), while the
// system resolver says 127.0.0.1, where a stand-in internal server listens on the same port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { publicOnlyGuard } from '../../functions/adapters/browser/request-guard.js';
import { guardedGet } from '../../functions/adapters/http/guarded-fetch.js';

interface Listening {
  server: Server;
  requests: string[];
}

function listen(host: string, port: number, body: string): Promise<Listening> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.headers.host} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, requests }));
  });
}

let site: Listening;
let internal: Listening;
let port: number;

beforeAll(async () => {
  // Bind both on one port: the stand-in site gets any free one, the internal server takes the same.
  for (let tries = 0; ; tries++) {
    site = await listen('127.0.0.2', 0, 'User-agent: *\nDisallow: /site\n');
    port = (site.server.address() as AddressInfo).port;
    try {
      internal = await listen('127.0.0.1', port, 'User-agent: *\nDisallow: /internal\n');
      return;
    } catch (error) {
      site.server.close();
      if (tries >= 5) throw error;
    }
  }
});

afterAll(async () => {
  for (const { server } of [site, internal]) {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
});

const options = (guard: ReturnType<typeof publicOnlyGuard>) => ({ guard, userAgent: 'fanout-crawler', accept: 'text/plain', maxBytes: 10_000, maxRedirects: 2, timeoutMs: 10_000 });

it('connects to the address the guard checked, not to what DNS answers next', async () => {
  const guard = publicOnlyGuard(
    async () => ['127.0.0.2'],
    (address) => (address === '127.0.0.2' ? { allowed: true } : { allowed: false, reason: `${address} is internal` }),
  );
  const answer = await guardedGet(`http://localhost:${port}/robots.txt`, options(guard));
  expect(answer.status).toBe(200);
  expect(new TextDecoder().decode(answer.body)).toContain('/site');
  expect(site.requests).toEqual([`localhost:${port} /robots.txt`]);
  expect(internal.requests).toEqual([]);
});

it('sends nothing when the checked address is refused', async () => {
  const guard = publicOnlyGuard(
    async () => ['127.0.0.1'],
    () => ({ allowed: false, reason: 'not public' }),
  );
  const before = site.requests.length + internal.requests.length;
  const answer = await guardedGet(`http://localhost:${port}/robots.txt`, options(guard));
  expect(answer.status).toBeNull();
  expect(answer.error).toMatch(/blocked/);
  expect(site.requests.length + internal.requests.length).toBe(before);
});
