import { describe, expect, it } from 'vitest';
import type { PageSummary } from '../../functions/core/job.js';
import { STORED_TEXT_BYTES, TRUNCATION_MARKER } from '../../functions/core/limits.js';
import { boundFailure, boundFrontierItem, boundSummary, boundText, fitsStored } from '../../functions/core/stored-text.js';

const bytes = (text: string) => new TextEncoder().encode(text).length;

describe('boundText', () => {
  it('keeps a string that fits, to the byte', () => {
    expect(boundText('hello', 5)).toBe('hello');
    expect(boundText('é'.repeat(50), 100)).toBe('é'.repeat(50));
    expect(boundText('', 0)).toBe('');
  });

  it('cuts a longer one to the bound, marker included', () => {
    const cut = boundText('x'.repeat(1000), 100);
    expect(bytes(cut)).toBe(100);
    expect(cut.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(cut.startsWith('x'.repeat(100 - bytes(TRUNCATION_MARKER)))).toBe(true);
  });

  it.each([
    ['two-byte', 'é'],
    ['three-byte', '€'],
    ['four-byte (a surrogate pair)', '😀'],
  ])('never splits a %s character', (_name, char) => {
    for (let max = 20; max < 40; max++) {
      const cut = boundText(char.repeat(100), max);
      expect(bytes(cut)).toBeLessThanOrEqual(max);
      expect(bytes(cut)).toBeGreaterThan(max - 4 - 1);
      expect(cut.replace(TRUNCATION_MARKER, '')).toBe(char.repeat(cut.replace(TRUNCATION_MARKER, '').length / char.length));
      expect(cut).not.toContain('\uFFFD');
    }
  });

  it('leaves the marker out when the bound is smaller than the marker', () => {
    expect(boundText('abcdefghijklmnopqrstuvwxyz', 4)).toBe('abcd');
  });

  it('bounds a megabyte string quickly enough to run on every settle', () => {
    const huge = `http://s/p?${'a'.repeat(2_000_000)}`;
    const cut = boundText(huge, STORED_TEXT_BYTES.url);
    expect(bytes(cut)).toBe(STORED_TEXT_BYTES.url);
    expect(cut.startsWith('http://s/p?aaa')).toBe(true);
  });
});

describe('stored summaries and failures', () => {
  const summary: PageSummary = {
    url: 'http://s/',
    finalUrl: `http://s/${'p'.repeat(3_000_000)}`,
    depth: 0,
    parent: null,
    status: 200,
    title: 'T'.repeat(400_000),
    sha256: 'f'.repeat(64),
    links: 3,
    key: 'jobs/j/pages/k.json',
  };

  it('bounds every string a page controls and keeps the rest', () => {
    const bounded = boundSummary(summary);
    expect(bytes(bounded.title)).toBe(STORED_TEXT_BYTES.title);
    expect(bytes(bounded.finalUrl)).toBe(STORED_TEXT_BYTES.url);
    expect(bounded.title.endsWith(TRUNCATION_MARKER) && bounded.finalUrl.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(bounded).toMatchObject({ url: 'http://s/', parent: null, status: 200, sha256: summary.sha256, links: 3, key: summary.key });
    expect(bytes(JSON.stringify(bounded))).toBeLessThan(20_000);
  });

  it('leaves an ordinary summary as it is', () => {
    const ordinary = { ...summary, finalUrl: 'http://s/a', title: 'A page', parent: 'http://s/' };
    expect(boundSummary(ordinary)).toEqual(ordinary);
  });

  it('bounds a failure text', () => {
    const failure = boundFailure({ url: 'http://s/x', error: `navigation failed: ${'e'.repeat(500_000)}` });
    expect(bytes(failure.error)).toBe(STORED_TEXT_BYTES.error);
    expect(failure.error.startsWith('navigation failed: eee')).toBe(true);
    expect(failure.url).toBe('http://s/x');
  });
});

describe('boundFrontierItem (aliases and sitemap warnings, written whole)', () => {
  it("bounds every string a site chose and keeps the key, the numbers and what is already short", () => {
    const long = `http://site.test/sitemap.xml?${'s'.repeat(450_000)}`;
    const item = boundFrontierItem({
      jobId: 'j',
      urlKey: 'k',
      url: long,
      depth: 0,
      parent: long,
      discoveredBy: 'p',
      state: 'warning',
      failure: { url: long, error: `sitemap unavailable (${long})` },
      aliasOf: long,
      attempts: 0,
      expiresAt: 5,
    });
    for (const text of [item.url, item.parent!, item.aliasOf!, item.failure!.url, item.failure!.error]) {
      expect(text.endsWith(TRUNCATION_MARKER)).toBe(true);
    }
    expect(bytes(item.url)).toBeLessThanOrEqual(STORED_TEXT_BYTES.url);
    expect(bytes(item.failure!.error)).toBeLessThanOrEqual(STORED_TEXT_BYTES.error);
    expect(bytes(JSON.stringify(item))).toBeLessThan(64 * 1024);
    expect(item).toMatchObject({ jobId: 'j', urlKey: 'k', depth: 0, discoveredBy: 'p', state: 'warning', attempts: 0, expiresAt: 5 });
    const short = { jobId: 'j', urlKey: 'k', url: 'http://a.test/', depth: 1, parent: null, discoveredBy: null, state: 'alias' as const, aliasOf: 'http://a.test/x', attempts: 0, expiresAt: 5 };
    expect(boundFrontierItem(short)).toEqual(short);
  });

  it('fitsStored says whether a string is stored uncut', () => {
    expect(fitsStored('abc', 3)).toBe(true);
    expect(fitsStored('abcd', 3)).toBe(false);
    expect(fitsStored('€', 2)).toBe(false);
  });
});
