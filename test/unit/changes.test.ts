// The change report's pure parts (core/changes.ts, core/manifest.ts): how a page compares with the
// earlier job's, the bounded diff, and the streamed manifest's `changes` equal to the in-memory one.
import { describe, expect, it } from 'vitest';
import { changeOf, normaliseMainText, unifiedDiff } from '../../functions/core/changes.js';
import type { FrontierRecord } from '../../functions/core/job.js';
import { buildManifest, manifestEntryOf, manifestJsonChunks, manifestOrder, type ManifestEntry } from '../../functions/core/manifest.js';
import { emptyChangeCounts } from '../../functions/core/changes.js';
import { syntheticFrontier, syntheticJob } from '../support/synthetic-frontier.js';

const page = (status: number | null, contentHash?: string, sha256 = 'html') => ({ status, sha256, ...(contentHash ? { contentHash } : {}) });

describe('changeOf', () => {
  it('tells added, changed, unchanged and removed apart by the main-text hash', () => {
    expect(changeOf(null, page(200, 'a'))).toBe('added');
    expect(changeOf(page(404, 'x'), page(200, 'a'))).toBe('added');
    expect(changeOf(page(200, 'a', 'h1'), page(200, 'a', 'h2'))).toBe('unchanged');
    expect(changeOf(page(200, 'a'), page(200, 'b'))).toBe('changed');
    expect(changeOf(page(200, 'a'), page(404, 'a'))).toBe('removed');
    expect(changeOf(page(200, 'a'), page(410))).toBe('removed');
    // gone then and now: no change at all
    expect(changeOf(page(404), page(404))).toBeUndefined();
    expect(changeOf(null, page(410))).toBeUndefined();
    // a record from before the hash: the HTML's hash decides
    expect(changeOf(page(200, undefined, 'h1'), page(200, 'a', 'h1'))).toBe('unchanged');
    expect(changeOf(page(200, undefined, 'h1'), page(200, 'a', 'h2'))).toBe('changed');
  });

  it('normalises whitespace only', () => {
    expect(normaliseMainText('  A\n\n tin\tof  tea ')).toBe('A tin of tea');
  });
});

describe('unifiedDiff', () => {
  it('names the changed line and is cut at its bound with a marker', () => {
    const diff = unifiedDiff('http://x/', 'one\nA tin costs 10 euros.\nthree\n', 'one\nA tin costs 12 euros.\nthree\n');
    expect(diff).toContain('-A tin costs 10 euros.');
    expect(diff).toContain('+A tin costs 12 euros.');
    const long = unifiedDiff('http://x/', 'a\nb\n'.repeat(900), 'a\nc\n'.repeat(900), 2_000);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(2_000 + 40);
    expect(long).toMatch(/diff cut at 2000 bytes\n$/);
    // rewritten whole: a note, not minutes of diffing
    expect(unifiedDiff('http://x/', 'a\n'.repeat(5_000), 'b\n'.repeat(5_000))).toMatch(/more than 2000 lines changed/);
  });
});

describe('the manifest of a since crawl', () => {
  it('streams the four lists byte for byte as the in-memory builder, and counts them', async () => {
    const job = syntheticJob('j', { since: { jobId: 'earlier', conditional: true } });
    const kinds = ['added', 'changed', 'unchanged', 'removed'] as const;
    const records: FrontierRecord[] = syntheticFrontier('j', 600, 3).map((r, i) => (r.state === 'done' && r.summary ? { ...r, summary: { ...r.summary, change: kinds[i % 3]! } } : r));
    const removed: ManifestEntry[] = Array.from({ length: 25 }, (_, i) => ({ depth: i % 3, url: `http://site.test/gone${i}`, seq: 0, levelled: false, removed: true as const }));
    const entries = [...records.flatMap((r, seq) => manifestEntryOf(job, r, seq) ?? []), ...removed.map((e, i) => ({ ...e, seq: 10_000 + i }))].sort(manifestOrder);
    async function* pass() {
      yield* entries;
    }
    const counts = emptyChangeCounts();
    let streamed = '';
    for await (const chunk of manifestJsonChunks(job, 'partial', 1_700_000_100_000, pass, undefined, counts)) streamed += chunk;
    const built = buildManifest(job, records, 'partial', 1_700_000_100_000, undefined, removed.map((e, i) => ({ ...e, seq: 10_000 + i })));
    expect(streamed).toBe(JSON.stringify(built));
    const parsed = JSON.parse(streamed) as { changes: Record<string, string[]>; errors: { url: string }[]; pages: unknown[] };
    expect(parsed.changes.removed).toHaveLength(25);
    expect(counts).toEqual(Object.fromEntries(kinds.map((k) => [k, parsed.changes[k]!.length])));
    expect(counts.added + counts.changed + counts.unchanged).toBe(parsed.pages.length);
    // the earlier job's unreached pages are neither pages nor errors
    expect(parsed.errors.some((e) => e.url.includes('/gone'))).toBe(false);
  });
});
