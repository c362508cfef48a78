import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileGlob, makeScope } from '../../functions/core/scope.js';

/** How globs were matched before: anchored regex, `.*` per run of stars (exponential on failure). */
function regexReading(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*+/g, '.*')}$`);
}

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
    expect(compileGlob('https://x.com/a?b=(1)*')('https://x.com/a?b=(1)&c')).toBe(true);
    expect(compileGlob('https://x.com/a.b')('https://x.com/aXb')).toBe(false);
    expect(compileGlob('https://x.com/[a-z]+$')('https://x.com/[a-z]+$')).toBe(true);
  });

  // The same answers a `^…$` regex with `.*` per star gave (the matcher it replaced).
  it.each([
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['**', 'anything', true],
    ['abc', 'abc', true],
    ['abc', 'abcd', false],
    ['a*', 'a', true],
    ['*a', 'ba', true],
    ['*a', 'ab', false],
    ['ab*ba', 'aba', false],
    ['ab*ba', 'abba', true],
    ['a*a*a', 'aa', false],
    ['a*a*a', 'aaa', true],
    ['*x*x*', 'x', false],
    ['*x*x*', 'xx', true],
    ['*aa*aa', 'aaaa', true],
    ['*aa*aa', 'aaa', false],
    ['a*b*c', 'a--c--b--c', true],
    ['a*b*c', 'a--c--b--', false],
    ['*/docs/*', 'https://h/docs/x', true],
    ['*.pdf', 'https://h/a.pdf?x', false],
  ])('glob %j on %j is %s', (glob, text, expected) => {
    expect(compileGlob(glob)(text)).toBe(expected);
    expect(regexReading(glob).test(text)).toBe(expected);
  });

  it('agrees with the regex reading on every glob and text up to five characters over {a, b}', () => {
    const words = (alphabet: string[], max: number): string[] => {
      const out = [''];
      for (let i = 0; i < out.length; i++) if (out[i]!.length < max) for (const c of alphabet) out.push(out[i] + c);
      return out;
    };
    const texts = words(['a', 'b'], 5);
    let disagreements = 0;
    for (const glob of words(['a', 'b', '*'], 5)) {
      const matches = compileGlob(glob);
      const regex = regexReading(glob);
      for (const text of texts) if (matches(text) !== regex.test(text)) disagreements++;
    }
    expect(disagreements).toBe(0);
  });
});

// Globs a client controls must not make matching super-linear. Each pattern below takes a
// backtracking matcher exponential time in the number of `*` on a URL with no final `b`
// (20 stars on a 200-character URL does not finish in any useful time). The matching runs in a
// child process, so a regression fails as "killed" instead of hanging the test run; the kill
// delay is a ceiling only, thousands of times what linear matching needs even on a busy machine.
describe('scope with adversarial globs', () => {
  const seed = 'https://www.example.com/';
  const longUrl = `https://www.example.com/${'a'.repeat(200)}`;
  const cases: { name: string; include: string[]; exclude: string[]; url: string; expected: boolean }[] = [
    { name: '20 stars, no match', include: [], exclude: [`${'*a'.repeat(20)}*b`], url: longUrl, expected: true },
    { name: '20 stars, match at the very end', include: [], exclude: [`${'*a'.repeat(20)}*b`], url: `${longUrl}b`, expected: false },
    { name: 'include of 30 stars, no match', include: [`${'*a'.repeat(30)}*b`], exclude: [], url: longUrl, expected: false },
    { name: 'runs of stars', include: [`https://*****a*****a*****a*****a*****a*****a*****a*****a*****b`], exclude: [], url: longUrl, expected: false },
    { name: 'many stars, long mixed URL', include: [], exclude: [`*${'a*'.repeat(25)}/x`], url: `https://www.example.com/${'ab'.repeat(500)}?q=1`, expected: true },
  ];
  const script = `
    import { makeScope } from ${JSON.stringify(fileURLToPath(new URL('../../functions/core/scope.ts', import.meta.url)))};
    const cases = ${JSON.stringify(cases)};
    const answers = cases.map((c) => makeScope({ seed: ${JSON.stringify(seed)}, scope: 'host', include: c.include, exclude: c.exclude })(c.url));
    process.stdout.write(JSON.stringify(answers));
  `;

  it('answers every case without backtracking blow-up', async () => {
    const answers = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 }, (error, stdout) =>
        error ? reject(new Error(`glob matching did not finish (${error.signal ?? error.message})`)) : resolve(stdout),
      );
    });
    expect(JSON.parse(answers)).toEqual(cases.map((c) => c.expected));
  }, 120_000);
});

