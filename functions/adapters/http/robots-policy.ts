// robots.txt over HTTP: fetched once per origin per execution environment (and again after
// `cacheMs`, or `transientCacheMs` after a 5xx or no answer), parsed and matched by robots-parser,
// with paths spelt alike on both sides (RFC 9309 §2.2.2). The fetch passes the same address guard as the
// browser's requests, at every redirect hop, so robots.txt cannot be used to reach private hosts.
import robotsParserExport from 'robots-parser';
import {
  ROBOTS_CACHE_MS,
  ROBOTS_MAX_BYTES,
  ROBOTS_MAX_REDIRECTS,
  ROBOTS_TRANSIENT_CACHE_MS,
  normaliseRobotsRules,
  robotsCacheMsFor,
  robotsOutcomeFor,
  robotsUrlOf,
  type RobotsFetchOutcome,
} from '../../core/robots.js';
import { normaliseLink } from '../../core/url.js';
import type { Logger, RobotsPolicy } from '../../core/ports.js';
import type { RequestGuard } from '../browser/request-guard.js';
import { guardedGet } from './guarded-fetch.js';
import type { UpstreamProxy } from '../../core/upstream-proxy.js';

interface ParsedRobots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getMatchingLineNumber(url: string, ua?: string): number;
  getCrawlDelay(ua?: string): number | undefined;
  getSitemaps(): string[];
}
// The package is CommonJS (`module.exports = function`) and its typings declare an ES default
// export, which TypeScript's NodeNext resolution reads as the module object; at run time (Node ESM
// and the esbuild bundle alike) the default import is the function.
const robotsParser = robotsParserExport as unknown as (url: string, contents: string) => ParsedRobots;

export interface RobotsPolicyOptions {
  /** the product token robots.txt groups are matched against (`User-agent: fanout-crawler`) */
  userAgent: string;
  /** the User-Agent header of the fetch, the browser's (contains the token); default: the token */
  header?: string;
  log: Logger;
  /** checks every hop of the fetch; none = allow all (local mode) */
  guard?: RequestGuard;
  timeoutMs?: number;
  /** how long a fetched robots.txt, or a 4xx, is used (RFC 9309 §2.4: at most 24 hours) */
  cacheMs?: number;
  /** how long a 5xx or no answer is used before robots.txt is asked again */
  transientCacheMs?: number;
  fetch?: typeof fetch;
  now?: () => number;  /** the stack's upstream proxies: the fetches go through them as the browser's pages do */
  upstreams?: () => Promise<readonly UpstreamProxy[]>;
}

interface OriginRules {
  outcome: RobotsFetchOutcome;
  robots?: ParsedRobots;
  until: number;
}

export class HttpRobotsPolicy implements RobotsPolicy {
  private readonly cache = new Map<string, Promise<OriginRules>>();
  private readonly now: () => number;

  constructor(private readonly options: RobotsPolicyOptions) {
    this.now = options.now ?? Date.now;
  }

  async check(url: string): Promise<{ allowed: true; crawlDelaySeconds?: number } | { allowed: false; reason: string; retryable?: boolean }> {
    // The spelling crawl URLs have (core/url.ts): no userinfo, `%7E` as `~`, uppercase escapes;
    // the rules are spelt the same way when the file is parsed.
    const normalised = normaliseLink(url, url, Number.MAX_SAFE_INTEGER);
    if (normalised === null) return { allowed: true };
    const origin = new URL(normalised).origin;
    const rules = await this.rulesFor(origin, normalised);
    if (rules.outcome.kind === 'allow-all') return { allowed: true };
    // A 5xx is the server's passing trouble (kept a minute): the page waits, it is not refused for good.
    if (rules.outcome.kind === 'disallow-all') return { allowed: false, reason: `disallowed: ${rules.outcome.why}`, retryable: true };
    // robots-parser answers undefined for a URL of another origin: not ours to judge.
    const allowed = rules.robots?.isAllowed(normalised, this.options.userAgent) ?? true;
    if (allowed) {
      // The group's Crawl-delay (seconds) spaces this host's navigations (core/host-rate.ts).
      const delay = rules.robots?.getCrawlDelay(this.options.userAgent);
      return typeof delay === 'number' && Number.isFinite(delay) && delay > 0 ? { allowed: true, crawlDelaySeconds: delay } : { allowed: true };
    }
    return { allowed: false, reason: `disallowed by robots.txt (line ${rules.robots?.getMatchingLineNumber(normalised, this.options.userAgent)})` };
  }

  private rulesFor(origin: string, url: string): Promise<OriginRules> {
    const cached = this.cache.get(origin);
    if (cached) {
      // A fetch in flight is shared by the tabs that ask at once; an expired answer is fetched again.
      return cached.then((rules) => (rules.until > this.now() ? rules : this.refresh(origin, url)));
    }
    return this.refresh(origin, url);
  }

  private refresh(origin: string, url: string): Promise<OriginRules> {
    const pending = this.fetchRules(robotsUrlOf(url));
    this.cache.set(origin, pending);
    return pending;
  }

  private async fetchRules(robotsUrl: string): Promise<OriginRules> {
    const { status, text, error } = await this.download(robotsUrl);
    // Counted from the answer: a slow fetch should not eat into the time it is kept.
    const until = this.now() + robotsCacheMsFor(status, {
      cacheMs: this.options.cacheMs ?? ROBOTS_CACHE_MS,
      transientCacheMs: this.options.transientCacheMs ?? ROBOTS_TRANSIENT_CACHE_MS,
    });
    const outcome = robotsOutcomeFor(status, error);
    if (outcome.kind === 'rules') return { outcome, robots: robotsParser(robotsUrl, normaliseRobotsRules(text ?? '')), until };
    if (outcome.kind === 'disallow-all' || status === null) this.options.log.warn('robots.txt not usable', { robotsUrl, outcome: outcome.kind, why: outcome.why });
    return { outcome, until };
  }

  private async download(start: string): Promise<{ status: number | null; text?: string; error?: string }> {
    const answer = await guardedGet(start, {
      guard: this.options.guard,
      userAgent: this.options.header ?? this.options.userAgent,
      accept: 'text/plain, */*',
      maxBytes: ROBOTS_MAX_BYTES,
      maxRedirects: ROBOTS_MAX_REDIRECTS,
      timeoutMs: this.options.timeoutMs ?? 5_000,
      fetch: this.options.fetch,
      upstreams: this.options.upstreams,
    });
    return { status: answer.status, ...(answer.body ? { text: new TextDecoder().decode(answer.body) } : {}), ...(answer.error ? { error: answer.error } : {}) };
  }

  /** The `Sitemap:` lines of the URL's origin's robots.txt (none when it has no usable file). */
  async sitemaps(url: string): Promise<string[]> {
    const normalised = normaliseLink(url, url, Number.MAX_SAFE_INTEGER);
    if (normalised === null) return [];
    const rules = await this.rulesFor(new URL(normalised).origin, normalised);
    return rules.robots?.getSitemaps() ?? [];
  }
}
