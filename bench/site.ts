// The bench's sites, served on 127.0.0.1: a generated site of realistic weight (scripts, styles,
// images, hub pages with hundreds of links, links inserted by script) or any static directory.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { seededRandom } from '../local/seeded-random.js';

export interface BenchSite {
  origin: string;
  /** documents fetched, by path */
  requests: Map<string, number>;
  stop(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript', '.png': 'image/png', '.svg': 'image/svg+xml',
  '.json': 'application/json', '.txt': 'text/plain', '.gif': 'image/gif', '.jpg': 'image/jpeg', '.ico': 'image/x-icon', '.woff2': 'font/woff2',
};


const WORDS = 'crawler queue browser render lambda table bucket page link depth scope frontier lease manifest record socket'.split(' ');

/**
 * `pages` pages in a tree of fan-out 8 from /, each also linking to 12 pseudo-random pages; every
 * 25th page is a hub linking to 300 pages; every page gets two more links from a script after
 * DOMContentLoaded. Each page pulls a stylesheet, two scripts and three images.
 */
export function generatedSite(pages: number): Map<string, { type: string; body: string | Buffer }> {
  const random = seededRandom(7);
  const files = new Map<string, { type: string; body: string | Buffer }>();
  const pageUrl = (i: number) => (i === 0 ? '/' : `/p/${i}.html`);
  files.set('/static/site.css', { type: TYPES['.css']!, body: `body{font-family:sans-serif;margin:2em}${'.c{color:#333}'.repeat(2000)}` });
  files.set('/static/app.js', { type: TYPES['.js']!, body: `window.app={v:1};${'function f(){return 1}'.repeat(1500)}` });
  files.set('/static/late-links.js', {
    type: TYPES['.js']!,
    body: `document.addEventListener('DOMContentLoaded',()=>setTimeout(()=>{const l=document.getElementById('late');for(const h of (l.dataset.links||'').split(',')){if(!h)continue;const a=document.createElement('a');a.href=h;a.textContent=h;l.appendChild(a)}},50));`,
  });
  for (let k = 0; k < 6; k++) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300">${Array.from({ length: 150 }, (_, j) => `<rect x="${(j * 7) % 400}" y="${(j * 13) % 300}" width="9" height="9" fill="#${((k * 40 + j) % 256).toString(16).padStart(2, '0')}88aa"/>`).join('')}</svg>`;
    files.set(`/static/img-${k}.svg`, { type: TYPES['.svg']!, body: svg });
  }
  for (let i = 0; i < pages; i++) {
    const links = new Set<number>();
    for (let c = 1; c <= 8; c++) if (i * 8 + c < pages) links.add(i * 8 + c);
    for (let r = 0; r < 12; r++) links.add(Math.floor(random() * pages));
    if (i % 25 === 0) for (let h = 0; h < 300; h++) links.add(Math.floor(random() * pages));
    const late = [Math.floor(random() * pages), Math.floor(random() * pages)];
    const text = Array.from({ length: 600 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
    const body = `<!doctype html><html><head><meta charset="utf-8"><title>Page ${i}</title>
<link rel="stylesheet" href="/static/site.css"><script src="/static/app.js"></script><script src="/static/late-links.js" defer></script></head>
<body><nav>${[...links].map((l) => `<a href="${pageUrl(l)}">page ${l}</a>`).join(' ')}</nav>
<main><h1>Page ${i}</h1><p>${text}</p>${[0, 1, 2].map((k) => `<img src="/static/img-${(i + k) % 6}.svg" alt="">`).join('')}</main>
<div id="late" data-links="${late.map(pageUrl).join(',')}"></div></body></html>`;
    files.set(pageUrl(i), { type: TYPES['.html']!, body });
  }
  return files;
}

function listen(server: Server, address = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => server.listen(0, address, () => resolve(`http://${address}:${(server.address() as AddressInfo).port}`)));
}

/**
 * `address`: another loopback address (127.0.0.2, …) is another host to the crawler's per-host gate.
 * `etags`: every file has an ETag (a hash of its bytes) and a matching If-None-Match gets 304, as a
 * static host would answer (bench/recrawl.ts); `notModified` counts those answers for documents.
 */
export async function serveGenerated(pages: number, address = '127.0.0.1', options: { etags?: boolean } = {}): Promise<BenchSite & { notModified: Map<string, number> }> {
  const files = generatedSite(pages);
  const requests = new Map<string, number>();
  const notModified = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = files.get(path);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const etag = options.etags ? `"${createHash('sha1').update(file.body).digest('hex')}"` : undefined;
    if (etag && req.headers['if-none-match'] === etag) {
      if (file.type.startsWith('text/html')) notModified.set(path, (notModified.get(path) ?? 0) + 1);
      res.writeHead(304, { etag }).end();
      return;
    }
    if (file.type.startsWith('text/html')) requests.set(path, (requests.get(path) ?? 0) + 1);
    res.writeHead(200, { 'content-type': file.type, 'content-length': Buffer.byteLength(file.body), ...(etag ? { etag } : {}) });
    res.end(file.body);
  });
  const origin = await listen(server, address);
  return { origin, requests, notModified, stop: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

export async function serveDirectory(root: string): Promise<BenchSite> {
  const requests = new Map<string, number>();
  const server = createServer((req, res) => {
    void (async () => {
      let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const file = normalize(join(root, path));
      if (!file.startsWith(normalize(root))) return res.writeHead(403).end();
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) return res.writeHead(404).end();
      const type = TYPES[extname(file)] ?? 'application/octet-stream';
      if (type.startsWith('text/html')) requests.set(path, (requests.get(path) ?? 0) + 1);
      res.writeHead(200, { 'content-type': type, 'content-length': info.size });
      createReadStream(file).pipe(res);
    })();
  });
  const origin = await listen(server);
  return { origin, requests, stop: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
