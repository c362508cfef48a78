// Exact depth whatever the order (core/depth.ts): what a known URL's record needs when a shorter
// path finds it, and how the manifest lists a page reopened for its links when the job ends.
import { describe, expect, it } from 'vitest';
import { depthRepairOf, isReopenedPage } from '../../functions/core/depth.js';
import type { FrontierRecord, PageSummary } from '../../functions/core/job.js';
import { manifestEntryOf } from '../../functions/core/manifest.js';

const summary = (links: number, depth = 3): PageSummary => ({
  url: 'http://s/x', finalUrl: 'http://s/x', depth, parent: 'http://s/b', status: 200, title: 'x', sha256: 'h', links, key: 'k',
});
const record = (state: FrontierRecord['state'], depth: number, extra: Partial<FrontierRecord> = {}): FrontierRecord => ({
  jobId: 'j', urlKey: 'x', url: 'http://s/x', depth, parent: 'http://s/b', discoveredBy: 'b', state, attempts: 1, expiresAt: 0, ...extra,
});

describe('depthRepairOf', () => {
  it('leaves a record alone when the new path is not shorter', () => {
    for (const state of ['queued', 'claimed', 'done', 'failed'] as const) {
      expect(depthRepairOf(record(state, 2, { summary: summary(4, 2) }), 2)).toEqual({ kind: 'none' });
      expect(depthRepairOf(record(state, 2, { summary: summary(4, 2) }), 3)).toEqual({ kind: 'none' });
    }
  });

  it('lowers a queued URL and sends it; lowers a claimed or failed one in place', () => {
    expect(depthRepairOf(record('queued', 3), 2)).toEqual({ kind: 'lower', send: true });
    expect(depthRepairOf(record('claimed', 3), 1)).toEqual({ kind: 'lower', send: false });
    expect(depthRepairOf(record('failed', 4), 2)).toEqual({ kind: 'lower', send: false });
  });

  it('reopens a done page with links (they were admitted too deep, or cut), lowers one without', () => {
    expect(depthRepairOf(record('done', 3, { summary: summary(5) }), 2)).toEqual({ kind: 'reopen' });
    expect(depthRepairOf(record('done', 3, { summary: summary(0) }), 2)).toEqual({ kind: 'lower', send: false });
  });

  it('never touches what is no page of the crawl', () => {
    for (const state of ['alias', 'capped', 'warning'] as const) expect(depthRepairOf(record(state, 4), 1)).toEqual({ kind: 'none' });
  });
});

describe('a reopened page', () => {
  it('is a queued or claimed record that keeps its summary', () => {
    expect(isReopenedPage(record('queued', 2, { summary: summary(3) }))).toBe(true);
    expect(isReopenedPage(record('claimed', 2, { summary: summary(3) }))).toBe(true);
    expect(isReopenedPage(record('claimed', 2))).toBe(false);
    expect(isReopenedPage(record('done', 2, { summary: summary(3) }))).toBe(false);
  });

  it('is listed as a page at its new depth when the job ends before its links are admitted again', () => {
    const reopened = record('queued', 2, { parent: 'http://s/slow', summary: summary(3, 3) });
    const entry = manifestEntryOf({ endReason: 'cancelled' }, reopened, 0);
    expect(entry).toMatchObject({ depth: 2, levelled: true, page: { url: 'http://s/x', depth: 2, parent: 'http://s/slow' } });
    expect(entry?.error).toBeUndefined();
    // An unopened queued URL is still "not crawled".
    expect(manifestEntryOf({ endReason: 'cancelled' }, record('queued', 2), 0)).toMatchObject({ error: 'not crawled: cancelled' });
  });
});
