import { describe, expect, it } from 'vitest';
import { normaliseLink, normaliseUrl } from '../../functions/core/url.js';

describe('normaliseUrl', () => {
  it.each([
    ['HTTP://Example.COM/Path', 'http://example.com/Path'],
    ['https://example.com:443/a', 'https://example.com/a'],
    ['http://example.com:80/a', 'http://example.com/a'],
    ['http://example.com:8080/a', 'http://example.com:8080/a'],
    ['https://example.com', 'https://example.com/'],
    ['https://example.com/a#section', 'https://example.com/a'],
    ['https://example.com/a?', 'https://example.com/a'],
    ['https://example.com/a?b=2&a=1', 'https://example.com/a?b=2&a=1'],
    ['  https://example.com/a  ', 'https://example.com/a'],
    ['https://example.com/a/../b/./c', 'https://example.com/b/c'],
    ['https://EXAMPLE.com/%7Euser', 'https://example.com/%7Euser'],
    ['http://127.0.0.1:8123/x', 'http://127.0.0.1:8123/x'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseUrl(input)).toEqual({ ok: true, url: expected });
  });

  it.each([
    ['not a url', 'not a valid URL'],
    ['', 'not a valid URL'],
    ['/relative/only', 'not a valid URL'],
    ['ftp://example.com/file', 'unsupported scheme "ftp" (only http and https)'],
    ['mailto:someone@example.com', 'unsupported scheme "mailto" (only http and https)'],
    ['javascript:alert(1)', 'unsupported scheme "javascript" (only http and https)'],
    ['file:///etc/passwd', 'unsupported scheme "file" (only http and https)'],
    ['data:text/html,hi', 'unsupported scheme "data" (only http and https)'],
  ])('rejects %s', (input, reason) => {
    expect(normaliseUrl(input)).toEqual({ ok: false, reason });
  });

  it('rejects URLs over the length limit', () => {
    const long = `https://example.com/${'a'.repeat(100)}`;
    expect(normaliseUrl(long, undefined, 50)).toEqual({ ok: false, reason: 'URL longer than 50 characters' });
  });
});

describe('normaliseLink', () => {
  const base = 'https://example.com/docs/intro.html';
  it.each([
    ['next.html', 'https://example.com/docs/next.html'],
    ['../about', 'https://example.com/about'],
    ['/root#frag', 'https://example.com/root'],
    ['//other.org/x', 'https://other.org/x'],
    ['?q=1', 'https://example.com/docs/intro.html?q=1'],
    ['#only-fragment', 'https://example.com/docs/intro.html'],
    ['mailto:a@b.c', null],
    ['tel:+123', null],
    ['javascript:void(0)', null],
  ])('%s → %s', (href, expected) => {
    expect(normaliseLink(href, base)).toBe(expected);
  });
});
