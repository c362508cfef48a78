// The HTTP renderer's reading of a document (adapters/http/html-page.ts): links resolved as a
// browser resolves them, title, visible text, and the app-shell signals.
import { describe, expect, it } from 'vitest';
import { decodeHtml, htmlText, parseHtmlPage } from '../../functions/adapters/http/html-page.js';

describe('parseHtmlPage', () => {
  it('resolves links against <base href>, dedupes them and counts what is past the cap', () => {
    const html = `<!doctype html><html><head><title> T </title><base href="/docs/"></head><body>
      <a href="a.html">a</a><a href="a.html">again</a><a href="https://other.test/x">x</a><map><area href="../b"></map>
      <a href="http://[bad">bad</a></body></html>`;
    const parsed = parseHtmlPage(html, 'http://site.test/index.html', 2);
    expect(parsed.title).toBe('T');
    expect(parsed.links).toEqual(['http://site.test/docs/a.html', 'https://other.test/x']);
    expect(parsed.linksOmitted).toBe(1);
  });

  it('reads the visible text without scripts, styles, templates or hidden elements', () => {
    const html = '<html><body><h1>Title</h1><p>Hello <b>world</b></p><script>var x = "no"</script><style>.a{}</style><template>t</template><div hidden>h</div><p>end</p></body></html>';
    expect(htmlText(html)).toBe('Title\nHello world\nend');
  });

  it('tells an app shell by its empty root or its noscript warning', () => {
    const shell = parseHtmlPage('<html><body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript><script src="/app.js"></script></body></html>', 'http://s.test/');
    expect(shell.shell).toMatchObject({ emptyRoot: true, noscriptWarning: true, scripts: 1 });
    const page = parseHtmlPage('<html><body><div id="root"><p>Server-rendered</p></div><noscript><img src="/pixel"></noscript></body></html>', 'http://s.test/');
    expect(page.shell).toMatchObject({ emptyRoot: false, noscriptWarning: false });
  });
});

describe('decodeHtml', () => {
  it('follows the charset of the header, then of <meta>', () => {
    const latin1 = Buffer.from('<p>caf\xe9</p>', 'latin1');
    expect(decodeHtml(latin1, 'text/html; charset=iso-8859-1')).toBe('<p>café</p>');
    const meta = Buffer.concat([Buffer.from('<meta charset="windows-1252"><p>', 'latin1'), Buffer.from([0xe9]), Buffer.from('</p>')]);
    expect(decodeHtml(meta, 'text/html')).toContain('é');
    expect(decodeHtml(Buffer.from('<p>é</p>'), null)).toBe('<p>é</p>');
  });
});
