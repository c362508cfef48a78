// A small site served on 127.0.0.1 with the things a JavaScript crawler must get right: links added
// by a delayed script and by a fetch() response, a redirect, a 404, a PDF, a cycle, <base href>,
// links that must not be followed (mailto, javascript, tel, another host), and one page linked from
// two pages of the same level. `npm run demo` crawls it; the end-to-end tests assert against it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DemoSite {
  origin: string;
  /** a second origin on another port: links to it are off-host and must never be requested */
  offHostOrigin: string;
  /** request counts by path (query included), for both origins */
  requests: Map<string, number>;
  offHostRequests: Map<string, number>;
  /** the HTML documents by hop depth from `/` */
  documentsByDepth: string[][];
  reset(): void;
  stop(): Promise<void>;
}

const page = (title: string, body: string, head = '') =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}</head><body><h1>${title}</h1>${body}</body></html>`;

function routes(offHost: string): Record<string, (res: ServerResponse) => void> {
  const html = (title: string, body: string, head = '') => (res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page(title, body, head));
  };
  return {
    '/': html(
      'Home',
      `<a href="/a.html">A</a> <a href="b.html#section">B</a> <a href="/redirect">Moved</a>
       <a href="/missing">Missing</a> <a href="/report.pdf">Report</a> <a href="/base/index.html">Base</a>
       <a href="mailto:team@example.com">Mail</a> <a href="javascript:void(0)">JS</a> <a href="tel:+15555550100">Call</a>
       <a href="${offHost}/elsewhere.html">Elsewhere</a> <a href="/">Home again</a> <img src="/logo.png" alt="">`,
      '<link rel="stylesheet" href="/site.css">',
    ),
    // subresources of the home page, which the crawl option `block` can skip
    '/logo.png': (res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from('89504e470d0a1a0a', 'hex'));
    },
    '/site.css': (res) => {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end('h1 { font-size: 1.5em }');
    },
    '/a.html': html(
      'A',
      `<a href="/">Home (cycle)</a> <a href="/shared.html">Shared</a> <div id="late"></div>
       <script>setTimeout(() => { const a = document.createElement('a'); a.href = '/delayed.html'; a.textContent = 'Delayed';
         document.getElementById('late').appendChild(a); }, 300);</script>`,
    ),
    '/b.html': html(
      'B',
      `<a href="/shared.html?">Shared</a> <ul id="api"></ul>
       <script>fetch('/api/links.json').then(r => r.json()).then(links => { for (const href of links) {
         const li = document.createElement('li'); const a = document.createElement('a'); a.href = href; a.textContent = href;
         li.appendChild(a); document.getElementById('api').appendChild(li); } });</script>`,
    ),
    '/api/links.json': (res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(['/from-fetch.html']));
    },
    '/redirect': (res) => {
      res.writeHead(301, { location: '/moved.html' });
      res.end();
    },
    '/moved.html': html('Moved here', `<a href="/b.html">B</a>`),
    '/report.pdf': (res) => {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.end('%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    },
    '/base/index.html': html('Base', `<a href="guide.html">Guide</a>`, '<base href="/docs/">'),
    '/delayed.html': html('Delayed', `<a href="/a.html">A</a>`),
    '/from-fetch.html': html('From fetch', `<a href="/b.html">B</a>`),
    '/shared.html': html('Shared', `<a href="/deep.html">Deep</a>`),
    '/docs/guide.html': html('Guide', `<a href="ref.html">Reference</a>`),
    '/deep.html': html('Deep', `<a href="/deeper.html">Deeper</a>`),
    '/docs/ref.html': html('Reference', `<a href="/deeper.html">Deeper</a>`),
    '/deeper.html': html('Deeper', `<a href="/">Home</a>`),
  };
}

export const DEMO_DOCUMENTS_BY_DEPTH = [
  ['/'],
  ['/a.html', '/b.html', '/redirect', '/missing', '/report.pdf', '/base/index.html'],
  ['/delayed.html', '/from-fetch.html', '/shared.html', '/docs/guide.html'],
  ['/deep.html', '/docs/ref.html'],
  ['/deeper.html'],
];

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function counting(requests: Map<string, number>, handle: (req: IncomingMessage, res: ServerResponse) => void) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    requests.set(path, (requests.get(path) ?? 0) + 1);
    handle(req, res);
  };
}

export async function startDemoSite(): Promise<DemoSite> {
  const requests = new Map<string, number>();
  const offHostRequests = new Map<string, number>();
  const offHostServer = createServer(counting(offHostRequests, (_req, res) => res.end(page('Elsewhere', ''))));
  const offHostOrigin = await listen(offHostServer);
  const table = routes(offHostOrigin);
  const server = createServer(
    counting(requests, (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const route = table[path];
      if (route) return route(res);
      if (path === '/favicon.ico') {
        res.writeHead(204);
        return res.end();
      }
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(page('Not found', '<a href="/">Home</a>'));
    }),
  );
  const origin = await listen(server);
  const close = (s: Server) => new Promise<void>((resolve) => { s.closeAllConnections(); s.close(() => resolve()); });
  return {
    origin,
    offHostOrigin,
    requests,
    offHostRequests,
    documentsByDepth: DEMO_DOCUMENTS_BY_DEPTH,
    reset: () => {
      requests.clear();
      offHostRequests.clear();
    },
    stop: async () => {
      await Promise.all([close(server), close(offHostServer)]);
    },
  };
}
