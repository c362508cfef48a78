// The shape of the source tree (project issue #26): no import circle among the modules under
// functions/, and no file so long that it holds more than one concern. An import circle makes a
// module's values undefined while the circle loads, and ties modules that should change apart;
// type-only imports count too, since they tie the modules as tightly for a reader. Imports are read
// with the TypeScript compiler's pre-processor (import, import type, export … from, import()),
// relative specifiers only: a package never imports our code.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The longest a file may be: past this, it is split along its seams, not by line count. */
const MAX_LINES = 400;
/** crawl-page.ts is the worker's use case: what a page goes through, with the steps elsewhere. */
const MAX_CRAWL_PAGE_LINES = 300;
/** Where the line limit applies. */
const CHECKED_FOLDERS = ['functions', 'client', 'mcp', 'local', 'infra', 'bench', 'test'];
/** What tests, benchmarks and tools write there (ignored by git): output, not source. */
const OUTPUT_FOLDERS = new Set(['node_modules', 'cdk.out', '.cache', '.local-data', 'crawl-output', '.cdk', 'bench/results', 'test/artifacts']);
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs|css|html)$/;

/** Every source file under `folder` (relative to the repository), output folders left out. */
function sourceFiles(folder: string): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(join(ROOT, path))) {
      const child = `${path}/${name}`;
      if (OUTPUT_FOLDERS.has(name) || OUTPUT_FOLDERS.has(child)) continue;
      if (statSync(join(ROOT, child)).isDirectory()) walk(child);
      else if (SOURCE_FILE.test(name)) files.push(child);
    }
  };
  walk(folder);
  return files.sort();
}

/** Lines as `wc -l` counts them. */
function lineCount(path: string): number {
  const text = readFileSync(join(ROOT, path), 'utf8');
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The file a relative specifier names: `./x.js` is x.ts on disk (NodeNext resolution). */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  const target = resolve(dirname(join(ROOT, from)), specifier);
  const candidates = [target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts'), `${target}.ts`, join(target, 'index.ts'), target];
  const found = candidates.find((path) => existsSync(path) && statSync(path).isFile());
  return found === undefined ? undefined : relative(ROOT, found).split('\\').join('/');
}

/** Each module under `folder` and the modules it imports; `unresolved`: relative specifiers that name no file. */
function importGraph(folder: string): { graph: Map<string, string[]>; unresolved: string[] } {
  const graph = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of sourceFiles(folder).filter((path) => /\.(ts|mts)$/.test(path))) {
    const specifiers = ts
      .preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true)
      .importedFiles.map((imported) => imported.fileName)
      .filter((specifier) => specifier.startsWith('.'));
    const targets: string[] = [];
    for (const specifier of specifiers) {
      const target = resolveSpecifier(file, specifier);
      if (target === undefined) unresolved.push(`${file}: ${specifier}`);
      else if (!targets.includes(target)) targets.push(target);
    }
    graph.set(file, targets);
  }
  return { graph, unresolved };
}

/**
 * The import circles of a graph, each as the path that closes it (a → b → a): a depth-first walk
 * that meets a module still on its own path has found one. Every circle shows at least once.
 */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (module: string) => {
    path.push(module);
    for (const next of graph.get(module) ?? []) {
      const at = path.indexOf(next);
      if (at >= 0) cycles.push([...path.slice(at), next]);
      else if (!done.has(next) && graph.has(next)) visit(next);
    }
    path.pop();
    done.add(module);
  };
  for (const module of [...graph.keys()].sort()) if (!done.has(module)) visit(module);
  return cycles;
}

describe('the import graph of functions/', () => {
  it('finds a circle where there is one, type-only or through several modules', () => {
    expect(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']]]))).toEqual([['a', 'b', 'c', 'a']]);
    expect(findCycles(new Map([['a', ['a']]]))).toEqual([['a', 'a']]);
    expect(findCycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toEqual([]);
  });

  it('reads every relative import, type-only and re-exports included', () => {
    const { graph, unresolved } = importGraph('functions');
    expect(unresolved).toEqual([]);
    // store-ports.ts imports job.ts for types only; ports.ts re-exports store-ports.ts.
    expect(graph.get('functions/core/store-ports.ts')).toContain('functions/core/job.ts');
    expect(graph.get('functions/core/ports.ts')).toContain('functions/core/store-ports.ts');
  });

  it('has no import circle', () => {
    const cycles = findCycles(importGraph('functions').graph);
    expect(cycles.map((cycle) => cycle.join(' → '))).toEqual([]);
  });
});

describe('file length', () => {
  it(`keeps every source file under ${CHECKED_FOLDERS.join('/, ')}/ within ${MAX_LINES} lines`, () => {
    const files = CHECKED_FOLDERS.flatMap(sourceFiles);
    expect(files.length).toBeGreaterThan(200);
    const tooLong = files.map((path) => ({ path, lines: lineCount(path) })).filter(({ lines }) => lines > MAX_LINES);
    expect(tooLong.map(({ path, lines }) => `${path}: ${lines} lines`)).toEqual([]);
  });

  it(`keeps the worker's use case (functions/app/crawl-page.ts) within ${MAX_CRAWL_PAGE_LINES} lines`, () => {
    expect(lineCount('functions/app/crawl-page.ts')).toBeLessThanOrEqual(MAX_CRAWL_PAGE_LINES);
  });
});
