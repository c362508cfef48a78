// URL normalisation: one spelling per document, so the dedupe table sees one key per page.

export type NormaliseResult = { ok: true; url: string } | { ok: false; reason: string };

const CRAWLABLE_PROTOCOLS = new Set(['http:', 'https:']);

/**
 * Resolves `href` against `base` and normalises it: lowercase scheme and host (WHATWG URL does
 * that), default port dropped, fragment dropped, empty query dropped. Query order is kept: some
 * servers give it meaning.
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
  parsed.hash = '';
  // `a?` and `a` are one document; setting an empty search drops the bare '?'.
  if (parsed.search === '') parsed.search = '';
  const url = parsed.href;
  if (url.length > maxLength) return { ok: false, reason: `URL longer than ${maxLength} characters` };
  return { ok: true, url };
}

/** Normalises or returns null: for links found on pages, where a bad one is simply skipped. */
export function normaliseLink(href: string, base: string, maxLength = 2048): string | null {
  const result = normaliseUrl(href, base, maxLength);
  return result.ok ? result.url : null;
}
