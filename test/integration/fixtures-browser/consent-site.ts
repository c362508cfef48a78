// A site on 127.0.0.1 whose pages show a consent banner as the Cookie-Script consent manager draws
// it (autoconsent's rule "cookie-script": `#cookiescript_injected` with `#cookiescript_reject` and
// `#cookiescript_accept`), with no external script. Pressing a button removes the banner and writes
// the choice into the page, as the real manager's script would; so the read page says which button
// was pressed, and the banner's text is in the page only while nobody answered it.
import { createServer } from 'node:http';
import { listenOnLoopback } from '../../e2e/support/loopback.js';

export const BANNER_TEXT = 'This website uses cookies to improve user experience';
export const ARTICLE_TEXT = 'The article everyone came to read, about fan-out crawlers';

/** The page with the banner; `late`: the banner appears a moment after load, as a manager's script would draw it. */
export function bannerPage(title: string, late = false): string {
  const banner = `<div id="cookiescript_injected" style="position:fixed;bottom:0;left:0;right:0;background:#eee;padding:20px">
  <span>${BANNER_TEXT}. By using our website you consent to all cookies.</span>
  <div id="cookiescript_accept" role="button" tabindex="0">Accept all</div>
  <div id="cookiescript_reject" role="button" tabindex="0">Reject all</div>
</div>`;
  const draw = late
    ? `<script>setTimeout(() => { document.body.insertAdjacentHTML('beforeend', ${JSON.stringify(banner)}); wire(); }, 300);</script>`
    : `${banner}<script>wire();</script>`;
  return `<!doctype html><html><head><title>${title}</title>
<script>
function wire() {
  const choose = (choice) => () => {
    document.getElementById('cookiescript_injected').remove();
    document.getElementById('choice').textContent = 'Consent choice: ' + choice;
    document.cookie = 'CookieScriptConsent=' + choice + '; path=/';
  };
  document.getElementById('cookiescript_accept').addEventListener('click', choose('accepted'));
  document.getElementById('cookiescript_reject').addEventListener('click', choose('rejected'));
}
</script></head>
<body><main><h1>${title}</h1><p>${ARTICLE_TEXT}. It goes on for a while so that it is the main content of the page.</p>
<p id="choice">Consent choice: none</p><a href="/plain">plain</a></main>
${draw}
</body></html>`;
}

export interface ConsentSite {
  origin: string;
  close(): Promise<void>;
}

export async function startConsentSite(): Promise<ConsentSite> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (body: string) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
    };
    if (path === '/banner') return send(bannerPage('With a banner'));
    if (path === '/late-banner') return send(bannerPage('With a late banner', true));
    if (path === '/plain') return send(`<!doctype html><html><head><title>Plain</title></head><body><main><h1>Plain</h1><p>${ARTICLE_TEXT}.</p></main></body></html>`);
    res.writeHead(404).end();
  });
  const site = await listenOnLoopback(server);
  return { origin: site.origin, close: site.stop };
}
