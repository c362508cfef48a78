// How a job's pages are named in the results tree: one folder per host, files after URL paths,
// safe on every file system, and never two pages in one file.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchJsonLines, filesFor, TreeNamer, writeResultsTree, type ResultLine } from '../../local/results-tree.js';

const name = (url: string) => new TreeNamer().baseFor(url);

describe('file names', () => {
  it.each([
    ['http://127.0.0.1:8000/', '127.0.0.1_8000/index'],
    ['https://example.test/', 'example.test/index'],
    ['https://example.test/docs/', 'example.test/docs/index'],
    ['https://example.test/docs/intro', 'example.test/docs/intro'],
    ['https://example.test/docs/intro.html', 'example.test/docs/intro'],
    ['https://example.test/report.pdf', 'example.test/report.pdf'],
    ['https://example.test/search?q=crawler&page=2', 'example.test/search@q=crawler&page=2'],
    ['https://example.test/?lang=en', 'example.test/index@lang=en'],
  ])('%s → %s', (url, expected) => {
    expect(name(url)).toBe(expected);
  });

  it('decodes percent-escapes and replaces what file systems refuse', () => {
    expect(name('https://example.test/caf%C3%A9/na%20me')).toBe('example.test/café/na me');
    expect(name('https://example.test/a%3Cb%3E%7C%22c%22%3A%5C')).toBe('example.test/a_b___c___');
    expect(name('https://example.test/dir%2Fslash')).toBe('example.test/dir_slash');
    expect(name('https://example.test/q?path=a%2F..%2Fb')).toBe('example.test/q@path=a_.._b');
    expect(name('https://example.test/%00nul%0Aline')).toBe('example.test/_nul_line');
    expect(name('https://example.test/bad%E0%A4%A')).toBe('example.test/bad%E0%A4%A');
  });

  it('never climbs out of its folder', () => {
    // URL parsing already removes dot segments, escaped or not; what is left cannot be one
    expect(name('https://example.test/%2e%2e/%2e%2e/etc/passwd')).toBe('example.test/etc/passwd');
    expect(name('https://example.test/a/%2E/b')).toBe('example.test/a/b');
    expect(name('https://example.test/..%2F..%2Fx')).toBe('example.test/.._.._x');
    expect(name('https://example.test/a/..%00')).toBe('example.test/a/.._');
  });

  it('avoids names Windows reserves and trailing dots or spaces', () => {
    expect(name('https://example.test/con')).toBe('example.test/_con');
    expect(name('https://example.test/aux.txt/lpt1')).toBe('example.test/_aux.txt_/_lpt1');
    expect(name('https://example.test/dots...')).toBe('example.test/dots___');
  });

  it('keeps a folder from looking like one of our files', () => {
    const namer = new TreeNamer();
    expect(namer.baseFor('https://example.test/x')).toBe('example.test/x');
    // x.md/ as a folder would clash with the x.md written for /x
    expect(namer.baseFor('https://example.test/x.md/y')).toBe('example.test/x.md_/y');
  });

  it('cuts very long segments and keeps them apart with a hash', () => {
    const long = 'a'.repeat(300);
    const one = name(`https://example.test/${long}1`);
    const two = name(`https://example.test/${long}2`);
    expect(one).toMatch(/^example\.test\/a{100}~[0-9a-f]{8}$/);
    expect(two).not.toBe(one);
  });

  it('gives colliding URLs their own names, case-insensitively, in the order they come', () => {
    const namer = new TreeNamer();
    expect(namer.baseFor('https://example.test/guide')).toBe('example.test/guide');
    expect(namer.baseFor('https://example.test/guide.html')).toBe('example.test/guide-2');
    expect(namer.baseFor('https://example.test/Guide')).toBe('example.test/Guide-3');
    expect(namer.baseFor('http://example.test/guide')).toBe('example.test/guide-4');
    expect(namer.baseFor('https://example.test/docs/index.html')).toBe('example.test/docs/index');
    expect(namer.baseFor('https://example.test/docs/')).toBe('example.test/docs/index-2');
  });

  it('separates hosts, and ports of one host', () => {
    const namer = new TreeNamer();
    expect(namer.baseFor('http://127.0.0.1:8000/a')).toBe('127.0.0.1_8000/a');
    expect(namer.baseFor('http://127.0.0.1:9000/a')).toBe('127.0.0.1_9000/a');
    expect(namer.baseFor('http://[::1]:8000/a')).toBe('[__1]_8000/a');
  });
});

describe('files of a line', () => {
  it('writes each content format it has, and fetches screenshots from their URLs', () => {
    const line: ResultLine = {
      url: 'https://example.test/a',
      markdown: '# A\n',
      text: 'A',
      data: { title: 'A' },
      screenshot: 'jobs/j/pages/k.screenshot.png',
      screenshotUrl: 'https://bucket.test/k.screenshot.png?sig',
      screenshotFullUrl: 'https://bucket.test/k.screenshot-full.png?sig',
    };
    expect(filesFor(line, 'example.test/a')).toEqual([
      { path: 'example.test/a.md', content: '# A\n' },
      { path: 'example.test/a.txt', content: 'A' },
      { path: 'example.test/a.json', content: '{\n  "title": "A"\n}\n' },
      { path: 'example.test/a.png', fetch: 'https://bucket.test/k.screenshot.png?sig' },
      { path: 'example.test/a.full.png', fetch: 'https://bucket.test/k.screenshot-full.png?sig' },
    ]);
    expect(filesFor({ url: 'https://example.test/b', title: 'b' }, 'example.test/b')).toEqual([]);
  });
});

describe('writing the tree', () => {
  it('writes the files, names screenshots it cannot fetch, and goes on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'results-tree-'));
    try {
      async function* lines(): AsyncGenerator<ResultLine> {
        yield { url: 'https://example.test/', markdown: '# Home\n', screenshotUrl: 'https://bucket.test/ok' };
        yield { url: 'https://example.test/broken', text: 'broken', screenshotUrl: 'https://bucket.test/gone' };
        yield { url: 'https://example.test/keyonly', data: { error: 'boom' }, screenshot: 'jobs/j/k.png' };
      }
      const summary = await writeResultsTree(dir, lines(), async (url) => {
        if (url.endsWith('/gone')) throw new Error('HTTP 403');
        return new Uint8Array([137, 80, 78, 71]);
      });
      expect(summary).toEqual({
        pages: 3,
        files: 4,
        missing: ['https://example.test/broken: example.test/broken.png: HTTP 403', 'https://example.test/keyonly: screenshot jobs/j/k.png has no download URL'],
      });
      expect((await readdir(join(dir, 'example.test'))).sort()).toEqual(['broken.txt', 'index.md', 'index.png', 'keyonly.json']);
      expect(await readFile(join(dir, 'example.test', 'keyonly.json'), 'utf8')).toBe('{\n  "error": "boom"\n}\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('reading pages.jsonl', () => {
  it('parses lines as they stream in, also when a chunk ends mid-line or mid-character', async () => {
    const body = Buffer.from('{"url":"https://example.test/é","title":"a"}\n\n{"url":"https://example.test/b","title":"b"}');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      // the first chunk ends inside the two-byte "é" of the first line
      res.write(body.subarray(0, 30));
      setTimeout(() => res.end(body.subarray(30)), 20);
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pages.jsonl`;
      const lines: ResultLine[] = [];
      for await (const line of fetchJsonLines<ResultLine>(url)) lines.push(line);
      expect(lines).toEqual([
        { url: 'https://example.test/é', title: 'a' },
        { url: 'https://example.test/b', title: 'b' },
      ]);
    } finally {
      await new Promise<void>((closed) => server.close(() => closed()));
    }
  });
});
