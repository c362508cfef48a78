// Pages for the content products and extractors, served on 127.0.0.1 (ephemeral port): an article
// with boilerplate around it and content a script adds, a table and a code block, declared
// metadata, a PDF, an image, a very tall page and a huge one. Nothing here reaches beyond loopback.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';

export interface ContentSite {
  origin: string;
  close(): Promise<void>;
}

const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

/** A 2×2 grey PNG, built here so the fixture has no binary file. */
function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 0]);
  const raw = Buffer.from([0, 128, 128, 0, 128, 128]);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const NAVIGATION = `<header><nav><a href="/">Home</a> <a href="/products">Products</a> <a href="/about">About us</a> <a href="/careers">Careers</a></nav></header>`;
const FOOTER = `<footer><p>Copyright Footer Corp 2026. <a href="/privacy">Privacy policy</a> <a href="/terms">Terms</a></p></footer>`;
const COOKIES = `<div id="cookie-consent" class="cookie-banner"><p>We use cookies to improve your experience.</p><button>Accept all cookies</button></div>`;
const PROSE =
  'Serverless crawlers fan out work across many short-lived functions, each rendering one page in a headless browser. ' +
  'The hard part is not rendering but accounting: knowing exactly when every discovered page has been handled, ';

export const ARTICLE_META = `
  <link rel="canonical" href="/articles/fan-out">
  <meta name="description" content="How a fan-out crawler keeps exact accounts.">
  <meta name="author" content="Meta Author">
  <meta property="og:title" content="Fan-out crawling (OG)">
  <meta property="og:type" content="article">
  <meta property="og:image" content="https://cdn.example.test/a.png">
  <meta property="og:image" content="https://cdn.example.test/b.png">
  <meta property="article:published_time" content="2026-11-30T08:00:00Z">
  <meta name="twitter:card" content="summary_large_image">
  <meta name="twitter:site" content="@crawler">
  <script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Fan-out crawling, exactly once","author":[{"@type":"Person","name":"Ada Lovelace"},{"@type":"Person","name":"Alan Turing"}],"datePublished":"2026-11-30T09:00:00Z","publisher":{"@type":"Organization","name":"Crawler Weekly"}}</script>
  <script type="application/ld+json">{"@context":"https://schema.org","@type":"BreadcrumbList","itemListElement":[]}</script>
  <script type="application/ld+json">{ not json </script>`;

const ARTICLE = `<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>Fan-out crawling</title>${ARTICLE_META}</head>
<body>${COOKIES}${NAVIGATION}
<main><article>
  <h1>Fan-out crawling, exactly once</h1>
  <p class="byline">By Ada Lovelace</p>
  <p>${PROSE.repeat(3)}<a href="notes/accounting">relative link to the notes</a>.</p>
  <p>${PROSE.repeat(2)}</p>
  <h2>Counters</h2>
  <table>
    <thead><tr><th>Counter</th><th>Meaning</th></tr></thead>
    <tbody><tr><td>admitted</td><td>URLs accepted into the frontier</td></tr><tr><td>settled</td><td>URLs finished</td></tr></tbody>
  </table>
  <h2>Code</h2>
  <pre><code class="language-ts">const outstanding = admitted - settled;
if (outstanding === 0) finish();</code></pre>
  <div id="late"></div>
  <p>${PROSE.repeat(2)}</p>
</article></main>
<aside><h3>Related</h3><ul><li><a href="/other">Some other story</a></li></ul></aside>
${FOOTER}
<script>
  setTimeout(() => {
    const p = document.createElement('p');
    p.textContent = 'Script-inserted paragraph: this sentence exists only after the page ran its JavaScript, and it is long enough to count as prose.';
    document.getElementById('late').append(p);
  }, 200);
</script>
</body></html>`;

const TALL = `<!DOCTYPE html><html><head><title>tall</title><style>body{margin:0} div{height:15000px;background:linear-gradient(#fff,#00f)}</style></head><body><div>tall</div></body></html>`;

function hugePage(): string {
  const paragraph = `<p>${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(20)}</p>`;
  return `<!DOCTYPE html><html><head><title>huge</title></head><body><article><h1>Huge</h1>${paragraph.repeat(1400)}</article></body></html>`;
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/articles/fan-out': (_req, res) => send(res, 'text/html; charset=utf-8', ARTICLE),
  '/tall': (_req, res) => send(res, 'text/html; charset=utf-8', TALL),
  '/huge': (_req, res) => send(res, 'text/html; charset=utf-8', hugePage()),
  '/plain': (_req, res) =>
    send(res, 'text/html; charset=utf-8', '<!DOCTYPE html><html><head><title>plain</title></head><body><p>Hello <b>visible</b> world.</p><p style="display:none">invisible words</p></body></html>'),
  // 40,000 same-named meta tags: what made the shipped metaTags helper quadratic
  '/many-meta': (_req, res) =>
    send(
      res,
      'text/html; charset=utf-8',
      `<!DOCTYPE html><html><head><title>many meta</title><meta name="description" content="d0">${Array.from({ length: 40_000 }, (_, i) => `<meta property="og:image" content="i${i}">`).join('')}</head><body><p>meta</p></body></html>`,
    ),
  '/bare': (_req, res) => send(res, 'text/html; charset=utf-8', '<!DOCTYPE html><html><body><p>nothing declared</p></body></html>', { 'content-language': 'fr' }),
  '/doc.pdf': (_req, res) => send(res, 'application/pdf', PDF),
  '/image.png': (_req, res) => send(res, 'image/png', tinyPng()),
};

function send(res: ServerResponse, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': type, ...headers });
  res.end(body);
}

export async function startContentSite(): Promise<ContentSite> {
  const server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (route) return route(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
