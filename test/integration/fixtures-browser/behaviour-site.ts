// Pages that need more than a load (lazy content, buttons, late elements, a login), served on
// loopback by three servers: the site (127.0.0.1), another port of the same address, and a
// third-party host (127.0.0.2). Every request is recorded with the credentials it carried, so a
// test can tell which hosts got the job's headers and cookies. Nothing here reaches beyond loopback.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a page that needs a login wants: this header and this cookie. */
export const LOGIN = { header: 'X-Crawl-Token', token: 'tok-7f3a9c-secret', cookie: 'session', session: 'sess-91b2d4-secret' } as const;

export interface Hit {
  server: 'site' | 'other-port' | 'third-party';
  path: string;
  token: string | undefined;
  cookie: string | undefined;
}

export interface BehaviourSite {
  /** http://127.0.0.1:port */
  origin: string;
  /** http://127.0.0.1:another-port */
  otherPortOrigin: string;
  /** http://127.0.0.2:port */
  thirdPartyOrigin: string;
  hits: Hit[];
  close(): Promise<void>;
}

const page = (title: string, body: string) =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`;

function html(res: ServerResponse, body: string, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(body);
}

/** In a page's script: appends a link to the body (what the crawler is to find, or not). */
const ADD_LINK = `function addLink(href) { const a = document.createElement('a'); a.href = href; a.textContent = href; document.body.append(a); }`;

/** Adds a link when the element scrolls into view (the observer is the only way it appears). */
const onVisible = (id: string, then: string) =>
  `<script>new IntersectionObserver((entries, observer) => {
     if (!entries.some((e) => e.isIntersecting)) return;
     observer.disconnect();
     ${then}
   }).observe(document.getElementById('${id}'));
   ${ADD_LINK}</script>`;

/** Adds a link once the bottom of the page shows; `listen` wires `check` to the scroll. */
const nearBottom = (listen: string, href: string) =>
  `<script>let added = false;
   function check() {
     if (added || window.scrollY + window.innerHeight < document.documentElement.scrollHeight - 10) return;
     added = true; addLink('${href}');
   }
   ${listen}
   ${ADD_LINK}</script>`;

function sitePages(other: () => string, third: () => string): Record<string, (req: IncomingMessage, res: ServerResponse) => void> {
  return {
    '/': (_req, res) => html(res, page('behaviours', '<a href="/tall-lazy">tall</a>')),
    // a tall page: a link appears only when its bottom is scrolled into view
    '/tall-lazy': (_req, res) =>
      html(res, page('tall lazy', `<div style="height:5000px">top</div><div id="end">end</div>${onVisible('end', "addLink('/lazy-link');")}`)),
    // the same, but the link comes from a request the scroll starts (the network settles after)
    '/tall-lazy-fetch': (_req, res) =>
      html(
        res,
        page('tall lazy fetch', `<div style="height:5000px">top</div><div id="end">end</div>${onVisible('end', "fetch('/api/more').then((r) => r.json()).then((l) => l.forEach(addLink));")}`),
      ),
    '/api/more': (_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(['/fetched-lazy-link']));
      }, 300);
    },
    // an endless feed: every time its end shows, it grows by another screenful and a link
    '/endless': (_req, res) =>
      html(
        res,
        page(
          'endless',
          `<div id="feed"></div><div id="more">loading</div>
           <script>let n = 0; const feed = document.getElementById('feed');
           function grow() { const d = document.createElement('div'); d.style.height = '2000px'; d.innerHTML = '<a href="/item-' + (++n) + '">item ' + n + '</a>'; feed.append(d); }
           grow();
           new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) grow(); }).observe(document.getElementById('more'));</script>`,
        ),
      ),
    // tall pages whose content reacts to a scroll by other means than an observer: a scroll
    // listener, an onscroll handler, a natively lazy image (its request shows in the hits)
    '/tall-listener': (_req, res) =>
      html(res, page('tall listener', `<div style="height:5000px">top</div>${nearBottom("window.addEventListener('scroll', check);", '/listener-link')}`)),
    '/tall-onscroll': (_req, res) => html(res, page('tall onscroll', `<div style="height:5000px">top</div>${nearBottom('window.onscroll = check;', '/onscroll-link')}`)),
    '/tall-lazy-image': (_req, res) => html(res, page('tall lazy image', '<div style="height:12000px">top</div><img loading="lazy" src="/lazy-image.png" width="10" height="10">')),
    // a tall page on which nothing listens for a scroll; an animation-frame loop and a timer (which
    // auto-scroll cannot see) note whether it was ever scrolled; ?observed adds an unrelated observer
    '/tall-inert': (req, res) =>
      html(
        res,
        page(
          'tall inert',
          `<div id="top" style="height:5000px">top</div>
           <script>let noted = false;
           function note() { if (!noted && window.scrollY > 0) { noted = true; addLink('/was-scrolled'); } }
           (function watch() { note(); requestAnimationFrame(watch); })();
           setInterval(note, 5);
           ${req.url?.includes('observed') ? "new IntersectionObserver(() => {}).observe(document.getElementById('top'));" : ''}
           ${ADD_LINK}</script>`,
        ),
      ),
    // a link that a button reveals; a search form whose result link carries what was typed
    '/reveal': (_req, res) =>
      html(
        res,
        page(
          'reveal',
          `<a href="/always">always</a>
           <button id="more" onclick="const a = document.createElement('a'); a.href = '/revealed'; a.textContent = 'revealed'; document.body.append(a);">Show more</button>
           <input id="q"><button id="go" onclick="const a = document.createElement('a'); a.href = '/results?q=' + encodeURIComponent(document.getElementById('q').value); a.textContent = 'results'; document.body.append(a);">Search</button>
           <div style="display:none"><button id="hidden-more" onclick="const a = document.createElement('a'); a.href = '/hidden-revealed'; document.body.append(a);">hidden</button></div>`,
        ),
      ),
    // an element that comes later than the network settles (a timer, no request)
    '/late-element': (_req, res) =>
      html(
        res,
        page('late', `<script>setTimeout(() => { const a = document.createElement('a'); a.id = 'late'; a.href = '/late-target'; a.textContent = 'late'; document.body.append(a); }, 1500);</script>`),
      ),
    // a link whose click leaves for another document
    '/leave': (_req, res) => html(res, page('leave', '<a id="away" href="/landing">away</a> <a href="/stay">stay</a>')),
    '/landing': (_req, res) => html(res, page('landing', '<a href="/from-landing">from landing</a>')),
    // a page behind a login: the header and the cookie, or 403; it loads from two other hosts
    '/private': (req, res) => {
      const cookies = (req.headers.cookie ?? '').split(';').map((c) => c.trim());
      if (req.headers[LOGIN.header.toLowerCase()] !== LOGIN.token || !cookies.includes(`${LOGIN.cookie}=${LOGIN.session}`)) {
        return html(res, page('forbidden', '<p>log in first</p>'), 403);
      }
      html(
        res,
        page(
          'private',
          `<a href="/private/next">next</a> <a href="/to-third-party">away</a>
           <img src="/own.png"><img src="${third()}/pixel.png"><script src="${other()}/widget.js"></script>
           <script>fetch('/api/own').catch(() => {}); fetch('${third()}/api', { mode: 'no-cors' }).catch(() => {});</script>`,
        ),
      );
    },
    '/private/next': (req, res) => (req.headers[LOGIN.header.toLowerCase()] === LOGIN.token ? html(res, page('next', '<p>next</p>')) : html(res, page('forbidden', ''), 403)),
    // a redirect from the site to the third party
    '/to-third-party': (_req, res) => {
      res.writeHead(302, { location: `${third()}/landing` });
      res.end();
    },
  };
}

function listen(server: Server, host: string): Promise<string> {
  return new Promise((resolve) => server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`)));
}

export async function startBehaviourSite(): Promise<BehaviourSite> {
  const hits: Hit[] = [];
  let otherPortOrigin = '';
  let thirdPartyOrigin = '';
  const record = (server: Hit['server'], req: IncomingMessage) =>
    hits.push({ server, path: req.url ?? '/', token: req.headers[LOGIN.header.toLowerCase()] as string | undefined, cookie: req.headers.cookie });
  const routes = sitePages(
    () => otherPortOrigin,
    () => thirdPartyOrigin,
  );
  const site = createServer((req, res) => {
    // robots.txt is fetched by the crawler, not the browser: not a hit, and nothing disallowed
    if (req.url === '/robots.txt') return res.writeHead(404).end();
    record('site', req);
    const path = new URL(req.url ?? '/', 'http://site').pathname;
    const handler = routes[path] ?? ((_q: IncomingMessage, r: ServerResponse) => html(r, page('page', `<p>${path}</p>`)));
    handler(req, res);
  });
  // Anything else a page loads: a script, an image, a landing page with no links.
  const elsewhere = (name: Hit['server']) =>
    createServer((req, res) => {
      record(name, req);
      if (req.url?.endsWith('.js')) {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return res.end('window.widget = true;');
      }
      html(res, page(name, '<p>elsewhere</p>'));
    });
  const other = elsewhere('other-port');
  const third = elsewhere('third-party');
  const origin = await listen(site, '127.0.0.1');
  otherPortOrigin = await listen(other, '127.0.0.1');
  thirdPartyOrigin = await listen(third, '127.0.0.2');
  return {
    origin,
    otherPortOrigin,
    thirdPartyOrigin,
    hits,
    async close() {
      for (const server of [site, other, third]) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  };
}
