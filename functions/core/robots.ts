// robots.txt, the rules of RFC 9309 that are ours to decide: where the file is, how much of it is
// read, and what a fetch that did not return a file means. Parsing and matching are robots-parser's.

/** RFC 9309 §2.5: crawlers must parse at least 500 KiB. */
export const ROBOTS_MAX_BYTES = 512 * 1024;
/** RFC 9309 §2.3.1.2: follow at least five redirect hops. */
export const ROBOTS_MAX_REDIRECTS = 5;

export function robotsUrlOf(pageUrl: string): string {
  return new URL('/robots.txt', pageUrl).href;
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
