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
    ['https://EXAMPLE.com/%7Euser', 'https://example.com/~user'],
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

  // Userinfo is never part of a crawl URL: it would make a second key for the same page, put
  // credentials in the manifest, and fetch() refuses URLs that carry it (robots.txt).
  it.each([
    ['http://user:pass@Example.com/a', 'http://example.com/a'],
    ['http://user@example.com/a', 'http://example.com/a'],
    ['http://:secret@example.com/a', 'http://example.com/a'],
    ['https://u%40x:p%3Aw@example.com:8443/a?b#c', 'https://example.com:8443/a?b'],
    ['http://@example.com/a', 'http://example.com/a'],
  ])('drops userinfo: %s → %s', (input, expected) => {
    expect(normaliseUrl(input)).toEqual({ ok: true, url: expected });
  });

  // RFC 3986 §6.2.2.2: escapes of unreserved characters decoded, other escapes in uppercase hex.
  it.each([
    ['https://example.com/%7euser', 'https://example.com/~user'],
    ['https://example.com/%7Euser', 'https://example.com/~user'],
    ['https://example.com/~user', 'https://example.com/~user'],
    ['https://example.com/%41%62%63%2D%2e%5f%7E%30', 'https://example.com/Abc-._~0'],
    ['https://example.com/a%2fb', 'https://example.com/a%2Fb'],
    ['https://example.com/a%2Fb', 'https://example.com/a%2Fb'],
    ['https://example.com/%e3%83%84', 'https://example.com/%E3%83%84'],
    ['https://example.com/ツ', 'https://example.com/%E3%83%84'],
    ['https://example.com/100%', 'https://example.com/100%'],
    ['https://example.com/%2525', 'https://example.com/%2525'],
    ['https://example.com/%25%37%45', 'https://example.com/%257E'],
    ['https://example.com/a%2e/b', 'https://example.com/a./b'],
    ['https://example.com/x?q=%7e&r=%2f&s=%41', 'https://example.com/x?q=~&r=%2F&s=A'],
    ['https://example.com/x?q=a%20b', 'https://example.com/x?q=a%20b'],
  ])('normalises percent-encoding: %s → %s', (input, expected) => {
    expect(normaliseUrl(input)).toEqual({ ok: true, url: expected });
  });

  it.each([
    'https://example.com/%7euser/%e3%83%84?q=%7e%2f',
    'http://u:p@example.com/a%2e%2E/%2e/b',
    'https://example.com/%25%37%45/%2525',
  ])('is idempotent on %s', (input) => {
    const once = normaliseUrl(input);
    expect(once.ok).toBe(true);
    if (once.ok) expect(normaliseUrl(once.url)).toEqual(once);
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
    ['//user:pass@example.com/x', 'https://example.com/x'],
    ['http://admin@example.com/%7eadmin/', 'http://example.com/~admin/'],
    ['%7Eme', 'https://example.com/docs/~me'],
    ['#only-fragment', 'https://example.com/docs/intro.html'],
    ['mailto:a@b.c', null],
    ['tel:+123', null],
    ['javascript:void(0)', null],
  ])('%s → %s', (href, expected) => {
    expect(normaliseLink(href, base)).toBe(expected);
  });
});
