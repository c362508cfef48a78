// Sitemaps (sitemaps.org): where a host's are, how much of them is read, and what a file says.
// Parsing is fast-xml-parser's; the bounds are ours, so a hostile sitemap cannot make a job huge.
import { XMLParser } from 'fast-xml-parser';

/** sitemap files read per seed host, indexes included */
export const SITEMAP_MAX_FILES = 20;
/** bytes of one sitemap file, after decompression (the protocol's own limit is 50 MB) */
export const SITEMAP_MAX_BYTES = 10 * 1024 * 1024;
/** redirect hops followed per file */
export const SITEMAP_MAX_REDIRECTS = 5;
/**
 * Longer sitemap URLs (robots.txt `Sitemap:` lines, index entries: the site's choice) are not
 * fetched, only warned about: the stack's default longest URL.
 */
export const SITEMAP_MAX_URL_LENGTH = 2_048;

/** Where to look: the robots.txt `Sitemap:` lines of the host, else `/sitemap.xml`. */
export function sitemapStartsFor(seedUrl: string, fromRobots: readonly string[]): string[] {
  if (fromRobots.length > 0) return [...new Set(fromRobots)];
  return [`${new URL(seedUrl).origin}/sitemap.xml`];
}

export type SitemapContent =
  | { kind: 'urlset'; urls: string[] }
  | { kind: 'index'; sitemaps: string[] }
  | { kind: 'invalid'; why: string };

const parser = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, isArray: (name) => name === 'url' || name === 'sitemap', processEntities: true });

/** What one sitemap file lists: page URLs (a urlset), other sitemaps (an index), or why it is not one. */
export function parseSitemap(xml: string): SitemapContent {
  let document: Record<string, unknown>;
  try {
    document = parser.parse(xml, true) as Record<string, unknown>;
  } catch (error) {
    return { kind: 'invalid', why: `not XML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})` };
  }
  const locs = (entries: unknown): string[] =>
    (Array.isArray(entries) ? entries : [])
      .map((entry) => (entry && typeof entry === 'object' ? (entry as Record<string, unknown>)['loc'] : undefined))
      .filter((loc): loc is string => typeof loc === 'string')
      .map((loc) => loc.trim())
      .filter((loc) => loc !== '');
  const urlset = document['urlset'] as Record<string, unknown> | undefined;
  if (urlset !== undefined) return { kind: 'urlset', urls: locs(urlset?.['url']) };
  const index = document['sitemapindex'] as Record<string, unknown> | undefined;
  if (index !== undefined) return { kind: 'index', sitemaps: locs(index?.['sitemap']) };
  return { kind: 'invalid', why: 'neither a urlset nor a sitemapindex' };
}
