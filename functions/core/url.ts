// URL normalisation: one spelling per document, so the dedupe table sees one key per page.

export type NormaliseResult = { ok: true; url: string } | { ok: false; reason: string };

const CRAWLABLE_PROTOCOLS = new Set(['http:', 'https:']);

/** RFC 3986 §2.3: ALPHA DIGIT - . _ ~, the characters whose escapes mean the character itself. */
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * RFC 3986 §6.2.2.2 (also what RFC 9309 §2.2.2 asks before robots.txt matching): escapes of
 * unreserved characters decoded (`%7E` → `~`), every other escape in uppercase hex (`%2f` → `%2F`).
 * A `%` not followed by two hex digits is left as it is.
 */
export function normalisePercentEncoding(text: string): string {
  return text.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const char = String.fromCharCode(Number.parseInt(escape.slice(1), 16));
    return UNRESERVED.test(char) ? char : escape.toUpperCase();
  });
}

/**
 * Resolves `href` against `base` and normalises it: lowercase scheme and host (WHATWG URL does
 * that), default port dropped, userinfo dropped, fragment dropped, empty query dropped,
 * percent-encoding normalised. Query order is kept: some servers give it meaning.
 */
export function normaliseUrl(href: string, base?: string, maxLength = 2048): NormaliseResult {
  let parsed: URL;
  try {
    parsed = base === undefined ? new URL(href.trim()) : new URL(href.trim(), base);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (!CRAWLABLE_PROTOCOLS.has(parsed.protocol)) {
    return { ok: false, reason: `unsupported scheme "${parsed.protocol.replace(/:$/, '')}" (only http and https)` };
  }
  if (parsed.hostname === '') return { ok: false, reason: 'URL has no host' };
  // `user:pass@` names no other document, would leak credentials into the manifest, and fetch()
  // refuses URLs that carry it: a crawl URL never has it.
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  // `a?` and `a` are one document; setting an empty search drops the bare '?'.
  if (parsed.search === '') parsed.search = '';
  // `%7E`, `%7e` and `~` are one page. Dot segments (also `%2E`) are already resolved by the
  // parser, so decoding cannot create one; the setters keep the other escapes as they are.
  parsed.pathname = normalisePercentEncoding(parsed.pathname);
  if (parsed.search !== '') parsed.search = normalisePercentEncoding(parsed.search);
  const url = parsed.href;
  if (url.length > maxLength) return { ok: false, reason: `URL longer than ${maxLength} characters` };
  return { ok: true, url };
}

/** Normalises or returns null: for links found on pages, where a bad one is simply skipped. */
export function normaliseLink(href: string, base: string, maxLength = 2048): string | null {
  const result = normaliseUrl(href, base, maxLength);
  return result.ok ? result.url : null;
}
