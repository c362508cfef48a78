// A tiny site on 127.0.0.1 (ephemeral port) with the pages the browser tests need. Nothing here
// reaches beyond loopback.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestSite {
  origin: string;
  /** request paths in arrival order, with the Cookie header each carried */
  hits: { path: string; cookie: string | undefined }[];
  close(): Promise<void>;
}

const page = (title: string, body: string, head = '') =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title>${head}</head><body>${body}</body></html>`;

/** A minimal valid PDF. */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function html(res: ServerResponse, body: string, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(body);
}

const routes: Record<string, Handler> = {
  '/': (_req, res) => html(res, page('home', '<a href="/a">a</a> <a href="/b">b</a> <a href="/a">a again</a>')),
  // links that exist only after a timer
  '/timer': (_req, res) =>
    html(
      res,
      page(
        'timer',
        `<a href="/static">static</a>
         <script>setTimeout(() => {
           for (const p of ['/late-1', '/late-2']) {
             const a = document.createElement('a'); a.href = p; a.textContent = p; document.body.append(a);
           }
         }, 300);</script>`,
      ),
    ),
  // links that come from a fetch() JSON response (answered after 200 ms)
  '/fetched': (_req, res) =>
    html(
      res,
      page(
        'fetched',
        `<ul id="list"></ul>
         <script>fetch('/api/links').then((r) => r.json()).then((links) => {
           for (const href of links) {
             const li = document.createElement('li'); li.innerHTML = '<a></a>'; li.firstChild.href = href;
             document.getElementById('list').append(li);
           }
         });</script>`,
      ),
    ),
  '/api/links': (_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(['/from-api-1', 'relative-from-api', 'https://example.test/elsewhere', '/from-api-1']));
    }, 200);
  },
  // <base href> applies to every relative link; <area> counts; junk and fragments as the browser sees them
  '/base': (_req, res) =>
    html(
      res,
      page(
        'base',
        `<a href="page">page</a> <a href="../up">up</a> <a href="/root">root</a> <a href="?q=1">query</a>
         <a href="#frag">fragment</a> <a href="//other.test/x">protocol-relative</a> <a>no href</a>
         <map name="m"><area href="area-target" alt="area"></map> <a href="mailto:x@example.test">mail</a>
         <svg><a href="svg-link"><text>svg</text></a></svg>`,
        '<base href="/docs/v2/">',
      ),
    ),
  '/old': (_req, res) => {
    res.writeHead(301, { location: '/new' });
    res.end();
  },
  '/hop-1': (_req, res) => {
    res.writeHead(302, { location: '/hop-2' });
    res.end();
  },
  '/hop-2': (_req, res) => {
    res.writeHead(307, { location: '/new?via=hops' });
    res.end();
  },
  '/new': (_req, res) => html(res, page('new', '<a href="next">next</a>')),
  '/missing': (_req, res) => html(res, page('Not found', '<a href="/">home</a>'), 404),
  '/broken': (_req, res) => html(res, page('Server error', 'oops'), 500),
  '/pdf-link': (_req, res) => html(res, page('pdf link', '<a href="/file.pdf">pdf</a>')),
  '/file.pdf': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(PDF.length) });
    res.end(PDF);
  },
  '/file.zip': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/zip', 'content-disposition': 'attachment; filename="f.zip"' });
    res.end(Buffer.alloc(4096, 1));
  },
  '/data.json': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"a":1}');
  },
  '/no-content': (_req, res) => {
    res.writeHead(204);
    res.end();
  },
  // never answers at all
  '/hang': () => {},
  // headers and the start of the document, then nothing
  '/trickle': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.write('<!DOCTYPE html><html><head><title>trickle</title></head><body><a href="/early">early</a>');
  },
  // the document loads, one image never does
  '/stuck-image': (_req, res) => html(res, page('stuck', '<a href="/a">a</a><img src="/hang">')),
  '/slow': (_req, res) => {
    setTimeout(() => html(res, page('slow', '<a href="/a">a</a>')), 2_000);
  },
  '/alert': (_req, res) =>
    html(
      res,
      page(
        'alert',
        `<script>alert('hello'); const ok = confirm('sure?'); const name = prompt('name?');
         const a = document.createElement('a'); a.href = '/answered?confirm=' + ok + '&prompt=' + name; document.body.append(a);
         window.onbeforeunload = (e) => { e.preventDefault(); return 'stay'; };</script>`,
      ),
    ),
  '/popups': (_req, res) =>
    html(
      res,
      page(
        'popups',
        `<a id="blank" href="/popup-2" target="_blank" rel="noopener">new window</a>
         <script>window.open('/popup-1'); window.open('/popup-3', '_blank', 'noopener'); document.getElementById('blank').click();</script>`,
      ),
    ),
  '/popup-1': (_req, res) => html(res, page('popup', '<a href="/from-popup">x</a>')),
  '/popup-2': (_req, res) => html(res, page('popup', '<a href="/from-popup">x</a>')),
  '/popup-3': (_req, res) => html(res, page('popup', '<a href="/from-popup">x</a>')),
  // the page sends the browser elsewhere by script, after it loaded
  '/js-redirect': (_req, res) => html(res, page('moving', '<a href="/before">before</a><script>setTimeout(() => location.replace("/new"), 100)</script>')),
  '/meta-refresh': (_req, res) => html(res, page('refresh', '<a href="/before">before</a>', '<meta http-equiv="refresh" content="0; url=/missing">')),
  // sets a cookie and local storage; a later page must not see either
  '/set-state': (_req, res) =>
    html(res, page('state', '<script>localStorage.setItem("seen", "yes")</script>'), 200, { 'set-cookie': 'session=abc; Path=/' }),
  '/read-state': (_req, res) =>
    html(
      res,
      page(
        'state',
        `<script>const a = document.createElement('a');
         a.href = '/state?cookie=' + encodeURIComponent(document.cookie) + '&storage=' + localStorage.getItem('seen');
         document.body.append(a);</script>`,
      ),
    ),
  '/big': (_req, res) => html(res, page('big', `<a href="/x">x</a><p>${'é'.repeat(300_000)}</p>`)),
  '/busy-loop': (_req, res) => html(res, page('busy', '<script>while (true) {}</script>')),
  // a page of realistic weight: every kind of subresource a link-only crawl may skip, plus a
  // script and a fetch() that add links (never skipped)
  '/heavy': (_req, res) =>
    html(
      res,
      page(
        'heavy',
        `<p class="f">text in a web font</p><img src="/asset/photo.png"><video src="/asset/clip.mp4" preload="auto"></video>
         <a href="/static">static</a>
         <script>fetch('/api/links').then((r) => r.json()).then((paths) => {
           const a = document.createElement('a'); a.href = '/scripted'; document.body.append(a);
         });</script>`,
        `<link rel="stylesheet" href="/asset/style.css">
         <style>@font-face { font-family: F; src: url(/asset/font.woff2) format('woff2'); } .f { font-family: F; }</style>`,
      ),
    ),
  '/asset/photo.png': (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(Buffer.from('89504e470d0a1a0a', 'hex'));
  },
  '/asset/clip.mp4': (_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4' });
    res.end(Buffer.alloc(64));
  },
  '/asset/style.css': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/css' });
    res.end('body { margin: 0 }');
  },
  '/asset/font.woff2': (_req, res) => {
    res.writeHead(200, { 'content-type': 'font/woff2' });
    res.end(Buffer.alloc(64));
  },
  '/loop': (_req, res) => {
    res.writeHead(302, { location: '/loop' });
    res.end();
  },
};

export async function startSite(): Promise<TestSite> {
  const hits: TestSite['hits'] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname;
    hits.push({ path: req.url ?? '/', cookie: req.headers.cookie });
    const handler = routes[path] ?? ((_q: IncomingMessage, r: ServerResponse) => html(r, page('page', `<p>${path}</p>`)));
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hits,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port on 127.0.0.1 where nothing listens (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
