// A small site on 127.0.0.1 for the archive tests: pages sharing a stylesheet and an image, a
// redirect, a script that fetch()es JSON (with a cache-busting query) and inserts links from it, a
// script the guard refuses, and a page with a large image for the byte cap.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { crc32, deflateSync, gzipSync } from 'node:zlib';

export interface ArchiveSite {
  origin: string;
  /** request paths (with query) in arrival order */
  hits: string[];
  close(): Promise<void>;
}

/** Over the product's dedupe threshold, so that a second sight of it is a revisit. */
export const STYLESHEET = `body { font-family: sans-serif; }\n${Array.from({ length: 80 }, (_, i) => `.c${i} { margin: ${i}px; }`).join('\n')}\n`;
/** A 1×1 PNG padded with a text chunk to a few kilobytes (still a valid image). */
export const IMAGE = pngWithPadding(4096);
export const BIG_IMAGE = pngWithPadding(300_000);
export const API_LINKS = ['/from-fetch-1', '/from-fetch-2'];
/** A small valid-looking PDF, which headless Chromium downloads instead of showing. */
export const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n', 'latin1'), Buffer.alloc(20_000, 0x20), Buffer.from('\ntrailer<<>>\n%%EOF\n')]);
/** Bytes served as application/octet-stream with Content-Disposition: attachment. */
export const BLOB = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7) % 256));

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function pngWithPadding(bytes: number): Buffer {
  const header = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // truecolour
  const zlibStream = deflateSync(Buffer.from([0, 255, 0, 0])); // one red pixel, filter byte first
  const padding = Buffer.concat([Buffer.from('Comment\0', 'latin1'), Buffer.alloc(bytes, 0x61)]);
  return Buffer.concat([header, chunk('IHDR', ihdr), chunk('tEXt', padding), chunk('IDAT', zlibStream), chunk('IEND', Buffer.alloc(0))]);
}

const page = (title: string, body: string) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title><link rel="stylesheet" href="/style.css"></head><body>${body}</body></html>`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function html(res: ServerResponse, body: string): void {
  // gzip on the wire: the archive must hold the decoded body and no Content-Encoding
  const encoded = gzipSync(Buffer.from(body, 'utf8'));
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip', 'content-length': String(encoded.length) });
  res.end(encoded);
}

const routes: Record<string, Handler> = {
  '/': (_req, res) =>
    html(
      res,
      page(
        'home',
        `<h1>home</h1><img src="/shared.png"><a href="/a">a</a> <a href="/old-b">b (moved)</a>
         <ul id="list"></ul><script src="/blocked.js"></script>
         <script>fetch('/api/links?_=' + Date.now()).then((r) => r.json()).then((links) => {
           for (const href of links) {
             const li = document.createElement('li'); li.innerHTML = '<a></a>'; li.firstChild.href = href; li.firstChild.textContent = href;
             document.getElementById('list').append(li);
           }
         });</script>`,
      ),
    ),
  '/a': (_req, res) => html(res, page('page a', '<img src="/shared.png"><a href="/">home</a> <a href="/from-fetch-1">f1</a>')),
  '/old-b': (_req, res) => {
    res.writeHead(302, { location: '/b' });
    res.end();
  },
  '/b': (_req, res) => html(res, page('page b', '<a href="/">home</a>')),
  '/from-fetch-1': (_req, res) => html(res, page('from fetch 1', '<a href="/a">a</a>')),
  '/big': (_req, res) => html(res, page('big', '<img src="/big.png"><a href="/">home</a>')),
  '/style.css': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/css' });
    res.end(STYLESHEET);
  },
  '/shared.png': (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(IMAGE);
  },
  '/big.png': (_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(BIG_IMAGE);
  },
  '/blocked.js': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end('document.title = "not blocked";');
  },
  '/report.pdf': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(PDF.length) });
    res.end(PDF);
  },
  '/export': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': 'attachment; filename="export.bin"' });
    res.end(BLOB);
  },
  // an HTML body the server wants saved rather than shown
  '/save-me.html': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'content-disposition': 'attachment; filename="save-me.html"' });
    res.end('<!DOCTYPE html><title>saved</title><p>kept as a file');
  },
  '/old-report': (_req, res) => {
    res.writeHead(301, { location: '/report.pdf' });
    res.end();
  },
  '/api/links': (_req, res) => {
    // answered a little late: the renderer's settle must wait for it
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(API_LINKS));
    }, 150);
  },
};

/** `tls`: serve https with this key and certificate (PEM) instead of http. */
export async function startArchiveSite(options: { tls?: { key: string; cert: string } } = {}): Promise<ArchiveSite> {
  const hits: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    hits.push(req.url ?? '');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = routes[path];
    if (route) return route(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  };
  const server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, handler) : createServer(handler);
  server.on('connection', (socket: import('node:net').Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
