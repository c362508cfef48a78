import { describe, expect, it } from 'vitest';
import type { PageSummary } from '../../functions/core/job.js';
import { STORED_TEXT_BYTES, TRUNCATION_MARKER } from '../../functions/core/limits.js';
import { boundFailure, boundSummary, boundText } from '../../functions/core/stored-text.js';

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
