// The README is the front page and docs/ holds the rest: every link in them must lead somewhere.
// Relative targets must exist, and a `#anchor` must name a heading of the target page (GitHub's
// slugs); http(s) links are only checked to be well-formed URLs, never fetched. The README stays
// short and keeps its two commands on its first screen.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The prose of a markdown page: fenced code blocks blanked (their lines kept, so counts hold). */
function withoutFences(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
      return '';
    }
    return line;
  });
}

/** Inline code spans replaced by a placeholder, so `[x](y)` inside one is not a link. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, 'code');
}

/** GitHub's heading anchor: lower case, punctuation but '-' and '_' removed, spaces to '-'. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // a link in a heading shows as its text
    .replace(/`/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
}

/** Every anchor a page offers, with GitHub's -1, -2 … for repeated headings. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutFences(markdown)) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

interface Link {
  line: number;
  target: string;
}

/** The `[text](target)` and `![alt](target)` links of a page, outside code. */
function links(markdown: string): Link[] {
  const found: Link[] = [];
  withoutFences(markdown).forEach((raw, i) => {
    const line = withoutCodeSpans(raw);
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+["'][^"']*["'])?\s*\)/g)) {
      found.push({ line: i + 1, target: m[1]! });
    }
  });
  return found;
}

/** What is wrong with each link of `file` (a path under the project), or nothing. */
function brokenLinks(file: string, markdown: string, read: (path: string) => string | undefined): string[] {
  const problems: string[] = [];
  for (const { line, target } of links(markdown)) {
    const where = `${relative(root, file)}:${line} → ${target}`;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      if (!/^https?:\/\//i.test(target)) {
        problems.push(`${where}: only http(s) and relative links are expected`);
        continue;
      }
      try {
        new URL(target);
      } catch {
        problems.push(`${where}: not a well-formed URL`);
      }
      continue;
    }
    const hash = target.indexOf('#');
    const pathPart = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const path = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
    if (!path.startsWith(root)) {
      problems.push(`${where}: leaves the project`);
      continue;
    }
    const text = pathPart === '' ? markdown : read(path);
    if (text === undefined) {
      problems.push(`${where}: no such file`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!path.endsWith('.md')) {
      problems.push(`${where}: an anchor into a file that is not markdown`);
    } else if (!anchors(text).has(anchor)) {
      problems.push(`${where}: no heading with that anchor in ${relative(root, path)}`);
    }
  }
  return problems;
}

/** Reads a project file; a directory reads as '' (it exists, has no headings); missing is undefined. */
function readProjectFile(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? '' : readFileSync(path, 'utf8');
}

const pages = [
  join(root, 'README.md'),
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(root, 'docs', name)),
];

describe('the link checker itself', () => {
  it('makes GitHub slugs', () => {
    expect(slug('Result reuse (`maxAge`)')).toBe('result-reuse-maxage');
    expect(slug('At 1,000,000 pages per job')).toBe('at-1000000-pages-per-job');
    expect(slug('Environment (read by `functions/adapters/config.ts`)')).toBe('environment-read-by-functionsadaptersconfigts');
    expect(slug('robots.txt and the user agent')).toBe('robotstxt-and-the-user-agent');
    expect(slug('2026-12-02: medians — quiet_machine')).toBe('2026-12-02-medians--quiet_machine');
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n## B')]).toEqual(['a', 'a-1', 'b']);
  });

  it('reports a missing file, a missing anchor and a malformed URL, and ignores code', () => {
    const page = join(root, 'docs', 'example.md');
    const files: Record<string, string> = { [join(root, 'docs', 'there.md')]: '# Here it is\n' };
    const markdown = [
      '[ok](there.md#here-it-is) [gone](missing.md) [wrong](there.md#elsewhere) [bad](https://example.com:99999/)',
      '`[not a link](nowhere.md)`',
      '```',
      '[nor this](nowhere.md)',
      '```',
      '[self](#title) [self-missing](#nope)',
      '# Title',
    ].join('\n');
    const problems = brokenLinks(page, markdown, (path) => files[path]);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/missing\.md: no such file/);
    expect(problems[1]).toMatch(/there\.md#elsewhere: no heading/);
    expect(problems[2]).toMatch(/not a well-formed URL/);
    expect(problems[3]).toMatch(/#nope: no heading/);
  });
});

describe('README.md and docs/*.md', () => {
  it('include the docs the README sends readers to', () => {
    for (const name of ['protocol', 'results', 'deploy', 'operations', 'performance', 'testing']) {
      expect(pages, `docs/${name}.md`).toContain(join(root, 'docs', `${name}.md`));
    }
  });

  it.each(pages.map((path) => [relative(root, path), path]))('%s: every link resolves', (_name, path) => {
    const markdown = readFileSync(path, 'utf8');
    expect(links(markdown).length).toBeGreaterThan(0);
    expect(brokenLinks(path, markdown, readProjectFile)).toEqual([]);
  });

  it('the README is a front page: at most 350 lines, the two commands on its first 80', () => {
    const lines = readFileSync(join(root, 'README.md'), 'utf8').replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(350);
    const firstScreen = lines.slice(0, 80).join('\n');
    expect(firstScreen).toContain('bash scripts/setup.sh && npm run demo');
    expect(firstScreen).toMatch(/^npm test\b/m);
  });
});
