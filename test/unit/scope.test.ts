import { describe, expect, it } from 'vitest';
import { globToRegExp, makeScope } from '../../functions/core/scope.js';

describe('scope', () => {
  const seed = 'https://www.example.com/docs/intro.html';
  const cases: [string, 'host' | 'domain' | 'prefix', string, boolean][] = [
    ['same host', 'host', 'https://www.example.com/other', true],
    ['other scheme same host', 'host', 'http://www.example.com/other', true],
    ['other port', 'host', 'https://www.example.com:8443/other', false],
    ['subdomain under host scope', 'host', 'https://api.example.com/', false],
    ['other host', 'host', 'https://example.org/', false],
    ['apex under domain scope', 'domain', 'https://example.com/', true],
    ['subdomain under domain scope', 'domain', 'https://api.example.com/x', true],
    ['lookalike under domain scope', 'domain', 'https://badexample.com/', false],
    ['inside prefix', 'prefix', 'https://www.example.com/docs/deep/page', true],
    ['outside prefix', 'prefix', 'https://www.example.com/blog/', false],
  ];
  it.each(cases)('%s', (_name, scope, url, expected) => {
    expect(makeScope({ seed, scope, include: [], exclude: [] })(url)).toBe(expected);
  });

  it('applies include and exclude globs after the scope', () => {
    const inScope = makeScope({ seed, scope: 'host', include: ['*/docs/*'], exclude: ['*.pdf'] });
    expect(inScope('https://www.example.com/docs/a.html')).toBe(true);
    expect(inScope('https://www.example.com/docs/a.pdf')).toBe(false);
    expect(inScope('https://www.example.com/blog/a.html')).toBe(false);
  });

  it('treats glob text literally apart from *', () => {
    expect(globToRegExp('https://x.com/a?b=(1)*').test('https://x.com/a?b=(1)&c')).toBe(true);
    expect(globToRegExp('https://x.com/a.b').test('https://x.com/aXb')).toBe(false);
  });
});
