// The streamed manifest: an external sort in bounded memory, and manifest.json written from its
// passes byte for byte as the in-memory builder writes it.
import { describe, expect, it } from 'vitest';
import type { FrontierRecord } from '../../functions/core/job.js';
import { buildManifest, manifestEntryOf, manifestJsonChunks, manifestLines, manifestLinesObjectKey, manifestOrder, type ManifestEntry } from '../../functions/core/manifest.js';
import { MemoryRunStore, sortIntoRuns } from '../../functions/core/sorted-runs.js';
import { syntheticFrontier, syntheticJob } from '../support/synthetic-frontier.js';

const numbers = { encode: (n: number) => String(n), decode: (line: string) => Number(line) };

async function* batchesOf<T>(items: readonly T[], size: number): AsyncGenerator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function text(chunks: AsyncIterable<string>): Promise<string> {
  return (await collect(chunks)).join('');
}

/** What the finisher does, with the store in memory: entries of the frontier, sorted in runs. */
async function sortedEntries(records: FrontierRecord[], options = { runSize: 100, fanIn: 3 }, pageSize = 37) {
  const job = syntheticJob('j');
  let seq = 0;
  async function* entries() {
    for await (const page of batchesOf(records, pageSize)) yield page.flatMap((r) => manifestEntryOf(job, r, seq++) ?? []);
  }
  const store = new MemoryRunStore();
  const codec = { encode: (e: ManifestEntry) => JSON.stringify(e), decode: (l: string) => JSON.parse(l) as ManifestEntry };
  return { store, sorted: await sortIntoRuns(entries(), manifestOrder, store, codec, options) };
}

describe('external sort in runs', () => {
  it('yields every item in order, pass after pass, holding at most a run and a batch', async () => {
    const items = Array.from({ length: 1_000 }, (_, i) => (i * 7919) % 1_009);
    const store = new MemoryRunStore();
    const sorted = await sortIntoRuns(batchesOf(items, 30), (a, b) => a - b, store, numbers, { runSize: 64, fanIn: 4 });
    const expected = [...items].sort((a, b) => a - b);
    expect(await collect(sorted.pass())).toEqual(expected);
    expect(await collect(sorted.pass())).toEqual(expected);
    // 16 runs of 64, merged 4 at a time into 4, which the passes merge: 16 + 4 runs written.
    expect(sorted.stats.runs).toBe(20);
    expect(store.size).toBe(4);
    expect(sorted.stats.maxHeld).toBeLessThanOrEqual(64 + 30);
    await sorted.dispose();
    expect(store.size).toBe(0);
  });

  it('holds the same at most whatever the number of items', async () => {
    const held = [];
    for (const count of [2_000, 20_000]) {
      const items = Array.from({ length: count }, (_, i) => (i * 104_729) % 100_003);
      const sorted = await sortIntoRuns(batchesOf(items, 50), (a, b) => a - b, new MemoryRunStore(), numbers, { runSize: 200, fanIn: 8 });
      let previous = -1;
      for await (const n of sorted.pass()) {
        expect(n).toBeGreaterThanOrEqual(previous);
        previous = n;
      }
      held.push(sorted.stats.maxHeld);
    }
    expect(held[0]).toBe(held[1]);
    expect(held[1]).toBeLessThanOrEqual(250);
  });

  it('sorts nothing into nothing, and refuses a fan-in below two', async () => {
    const sorted = await sortIntoRuns(batchesOf<number>([], 10), (a, b) => a - b, new MemoryRunStore(), numbers, { runSize: 10, fanIn: 2 });
    expect(await collect(sorted.pass())).toEqual([]);
    await expect(sortIntoRuns(batchesOf([1], 1), (a, b) => a - b, new MemoryRunStore(), numbers, { runSize: 10, fanIn: 1 })).rejects.toThrow();
  });
});

describe('streamed manifest.json', () => {
  it.each([
    ['a small job', 60, { runSize: 100, fanIn: 3 }],
    ['many runs merged in two levels', 3_000, { runSize: 100, fanIn: 3 }],
    ['one run', 500, { runSize: 10_000, fanIn: 32 }],
  ] as const)('is byte for byte the in-memory manifest: %s', async (_, count, options) => {
    const records = syntheticFrontier('j', count);
    const extras = [{}, { seeds: ['http://site.test/', 'http://other.test/'], delayed: 2, hostWaits: 9 }];
    for (const extra of extras) {
      const job = syntheticJob('j', extra);
      const { sorted } = await sortedEntries(records, options);
      const streamed = await text(manifestJsonChunks(job, 'partial', 1_700_000_100_000, () => sorted.pass()));
      expect(streamed).toBe(JSON.stringify(buildManifest(job, records, 'partial', 1_700_000_100_000)));
    }
  });

  it('keeps an empty level for a depth with no URL, and writes an empty frontier', async () => {
    const job = syntheticJob('j');
    const records = syntheticFrontier('j', 200);
    const { sorted } = await sortedEntries(records);
    const manifest = JSON.parse(await text(manifestJsonChunks(job, 'succeeded', 0, () => sorted.pass())));
    expect(manifest.levels[3]).toEqual([]);
    expect(manifest.levels).toHaveLength(6);
    const empty = await sortedEntries([]);
    const none = await text(manifestJsonChunks(job, 'failed', 0, () => empty.sorted.pass()));
    expect(none).toBe(JSON.stringify(buildManifest(job, [], 'failed', 0)));
    expect(JSON.parse(none)).toMatchObject({ pages: [], levels: [], errors: [], skipped: [], capped: 7 });
  });
});

describe('manifest.jsonl', () => {
  it('holds the job line, then one line per listed URL in manifest order, from which manifest.json follows', async () => {
    const job = syntheticJob('j', { seeds: ['http://site.test/'] });
    const records = syntheticFrontier('j', 400);
    const { sorted } = await sortedEntries(records);
    const lines = (await collect(manifestLines(job, 'partial', 5, sorted.pass()))).map((l) => JSON.parse(l));
    const manifest = buildManifest(job, records, 'partial', 5);
    const { pages, levels, errors, skipped, ...rest } = manifest;
    expect(lines[0]).toEqual({ type: 'job', ...rest });
    const body = lines.slice(1);
    expect(body.filter((l) => l.type === 'page').map(({ type, ...page }) => page)).toEqual(pages);
    expect(body.filter((l) => l.type === 'error' || l.type === 'warning').map((l) => ({ url: l.url, error: l.error }))).toEqual(errors);
    // URLs robots.txt disallows are skipped, not errors, and still in their level
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((s) => /^disallowed by robots\.txt/.test(s.reason))).toBe(true);
    expect(body.filter((l) => l.type === 'skipped').map((l) => ({ url: l.url, reason: l.reason }))).toEqual(skipped);
    const rebuilt: string[][] = [];
    for (const l of body) if (l.type !== 'warning') (rebuilt[l.depth] ??= []).push(l.url);
    expect(Array.from(rebuilt, (level) => level ?? [])).toEqual(levels);
    expect(manifestLinesObjectKey('jobs/j/manifest.json')).toBe('jobs/j/manifest.jsonl');
  });
});
