// What all three crawlers share, so the bench compares machinery and not rules: the same
// Chromium, tabs, settle rule, link extraction, normalisation and scope.
import chromium from '@sparticuz/chromium';
import { makeScope } from '../functions/core/scope.js';
import { normaliseLink } from '../functions/core/url.js';

export interface BenchOptions {
  url: string;
  depth: number;
  maxPages: number;
  /** pages rendered at once (tabs), in total */
  tabs: number;
  /** subresource types not loaded (puppeteer resource types) */
  block?: string[];
  /** page formats the project's crawl asks for (the `project-formats` variant only) */
  formats?: string[];
  /** false: the project's crawls and the bare loop turn their default auto-scroll off (`--no-autoscroll`; Crawlee never scrolls) */
  autoscroll?: boolean;
  /** the project's crawl option `render` (the `project-http` and `project-auto` variants) */
  render?: 'http' | 'auto';
}

export const SETTLE = { navigationTimeoutMs: 30_000, settleIdleMs: 300, settleMaxMs: 3_000 };

/** The environment of the project's local stack in the bench (variant-project, bench:profile). */
export const BENCH_STACK_ENV: Record<string, string> = {
  NAV_TIMEOUT_MS: String(SETTLE.navigationTimeoutMs),
  SETTLE_IDLE_MS: String(SETTLE.settleIdleMs),
  SETTLE_MAX_MS: String(SETTLE.settleMaxMs),
  POWERTOOLS_LOG_LEVEL: 'WARN',
  // The bench measures throughput against its own site on 127.0.0.1, not politeness.
  HOST_RATE_CEILING: '1000',
};

export async function chromiumLaunch(): Promise<{ executablePath: string; args: string[] }> {
  chromium.setGraphicsMode = false;
  const executablePath = process.env.CHROME_PATH ?? (await chromium.executablePath());
  const args = chromium.args.filter((a) => a !== '--disable-web-security' && a !== '--allow-running-insecure-content');
  return {
    executablePath,
    args: [...args, '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage', '--mute-audio'],
  };
}

/** In-scope, normalised, deduplicated children of a page, as the project computes them. */
export function childrenOf(seed: string, finalUrl: string, links: string[]): string[] {
  const inScope = makeScope({ seed, scope: 'host', include: [], exclude: [] });
  const out = new Set<string>();
  for (const href of links) {
    const url = normaliseLink(href, finalUrl);
    if (url && inScope(url)) out.add(url);
  }
  return [...out];
}

export interface VariantResult {
  /** what the formats made, per page (project-formats): archive bytes, export bytes */
  formatBytesPerPage?: Record<string, number>;
  variant: string;
  pages: string[];
  wallSeconds: number;
  /** per-page breakdown, when the variant reports one */
  breakdown?: Record<string, number>;
}
