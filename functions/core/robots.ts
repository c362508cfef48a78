// robots.txt, the rules of RFC 9309 that are ours to decide: where the file is, how much of it is
// read, what a fetch that did not return a file means and for how long, and how paths are spelt
// before matching. Parsing and matching are robots-parser's.
import { normalisePercentEncoding } from './url.js';

/** RFC 9309 §2.5: crawlers must parse at least 500 KiB. */
export const ROBOTS_MAX_BYTES = 512 * 1024;
/** RFC 9309 §2.3.1.2: follow at least five redirect hops. */
export const ROBOTS_MAX_REDIRECTS = 5;

/** RFC 9309 §2.4: a fetched file may be kept up to 24 hours; an hour keeps rule changes visible. */
export const ROBOTS_CACHE_MS = 3_600_000;
/** A 5xx or no answer is asked again this soon: the server may be back in a moment. */
export const ROBOTS_TRANSIENT_CACHE_MS = 60_000;

/** The origin's file: no path, query or userinfo of the page (fetch() refuses URLs with userinfo). */
export function robotsUrlOf(pageUrl: string): string {
  return `${new URL(pageUrl).origin}/robots.txt`;
}

/** What a fetch of robots.txt means for the whole origin. */
export type RobotsFetchOutcome =
  | { kind: 'rules' }
  | { kind: 'allow-all'; why: string }
  | { kind: 'disallow-all'; why: string };

/**
 * 2xx: the file's rules. 4xx (404, 401, 403…): no restrictions (RFC 9309 §2.3.1.3). 5xx: the
 * server is in trouble, crawl nothing of it (§2.3.1.4). No answer at all (DNS, refused, timeout,
 * too many redirects): treated as no file, with a warning, as Scrapy does; the RFC would disallow,
 * but one slow robots.txt would then fail a whole job.
 */
export function robotsOutcomeFor(status: number | null, error?: string): RobotsFetchOutcome {
  if (status === null) return { kind: 'allow-all', why: `robots.txt unavailable (${error ?? 'no response'})` };
  if (status >= 200 && status < 300) return { kind: 'rules' };
  if (status >= 400 && status < 500) return { kind: 'allow-all', why: `robots.txt answered ${status}` };
  if (status >= 500) return { kind: 'disallow-all', why: `robots.txt answered ${status}` };
  return { kind: 'allow-all', why: `robots.txt answered ${status}` };
}

/**
 * How long an answer holds. 5xx (crawl nothing of the host, RFC 9309 §2.3.1.4) and no answer at
 * all are a server's passing trouble: kept briefly, so the host is asked again within the job
 * rather than judged by one bad minute for the whole hour. A file, or a 4xx (no restrictions),
 * is what the site says: kept for the full time.
 */
export function robotsCacheMsFor(status: number | null, times: { cacheMs: number; transientCacheMs: number }): number {
  return status === null || status >= 500 ? times.transientCacheMs : times.cacheMs;
}

const RULE_LINE = /^(\s*(?:allow|disallow)\s*:)(.*)$/i;

/**
 * RFC 9309 §2.2.2: escapes of unreserved characters in a path are decoded before matching, so
 * `Disallow: /%7Ejoe/` and `/~joe/` are one rule. robots-parser only uppercases the hex, so the
 * Allow/Disallow values are normalised here as the page URL is (core/url.ts); line numbers are
 * kept (one line out per line in), since a refusal names its line. Escapes of `*` and `$` stay
 * escapes: they are reserved characters, not wildcards.
 */
export function normaliseRobotsRules(contents: string): string {
  return contents
    .split(/\r\n|\r|\n/)
    .map((line) => {
      const rule = RULE_LINE.exec(line);
      if (!rule) return line;
      const hash = rule[2]!.indexOf('#');
      const value = hash === -1 ? rule[2]! : rule[2]!.slice(0, hash);
      const comment = hash === -1 ? '' : rule[2]!.slice(hash);
      return `${rule[1]}${normalisePercentEncoding(value)}${comment}`;
    })
    .join('\n');
}

