// The manifest's `hosts`: per host, what this job asked of it and how it pushed back. Counted from
// the frontier records when the job finishes (no write per page): a page crawled or blocked is a
// navigation, each throttle (429/503, kept on the URL as `throttles`) one more; a URL robots.txt
// refused or never crawled asked nothing of its host. `rateNow` is the host's shared rate (every
// job, every environment: core/host-pushback.ts), read from the host's gate item at the end.
import { hostKeyOf } from './host-rate.js';
import type { FrontierRecord } from './job.js';

export interface HostStats {
  host: string;
  navigations: number;
  throttled: number;
  blocked: number;
  /** navigations per second the host is allowed now, from all jobs together */
  rateNow: number;
}

/** the manifest lists at most this many hosts, those the job navigated to most */
export const MAX_MANIFEST_HOSTS = 1_000;

type Counts = Omit<HostStats, 'host' | 'rateNow'>;

export class HostTally {
  private readonly byHost = new Map<string, Counts>();

  add(record: Pick<FrontierRecord, 'url' | 'state' | 'throttles' | 'failure' | 'summary'>): void {
    const counted = countsOf(record);
    if (!counted) return;
    let host: string;
    try {
      host = hostKeyOf(record.url);
    } catch {
      return;
    }
    const into = this.byHost.get(host) ?? { navigations: 0, throttled: 0, blocked: 0 };
    into.navigations += counted.navigations;
    into.throttled += counted.throttled;
    into.blocked += counted.blocked;
    this.byHost.set(host, into);
  }

  /** The hosts to list (most navigations first, then by name), before their rates are known. */
  hosts(): string[] {
    return [...this.byHost.entries()]
      .sort(([a, x], [b, y]) => y.navigations - x.navigations || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, MAX_MANIFEST_HOSTS)
      .map(([host]) => host);
  }

  /** The manifest's list, with each host's rate now (the ceiling for a host no rate was read for). */
  list(rates: Record<string, number>, ceiling: number): HostStats[] {
    return this.hosts().map((host) => ({ host, ...this.byHost.get(host)!, rateNow: rates[host] ?? ceiling }));
  }
}

function countsOf(record: Pick<FrontierRecord, 'state' | 'throttles' | 'failure' | 'summary'>): Counts | null {
  const throttles = record.throttles ?? 0;
  switch (record.state) {
    case 'done':
      return { navigations: 1 + throttles, throttled: throttles, blocked: 0 };
    case 'blocked':
      return { navigations: 1 + throttles, throttled: throttles, blocked: 1 };
    case 'failed': {
      if (record.failure?.kind === 'robots') return null;
      // the last throttle ended it: that answer is counted here, not on the URL
      const last = record.failure?.kind === 'throttled' ? 1 : 0;
      return { navigations: 1 + throttles, throttled: throttles + last, blocked: 0 };
    }
    case 'queued':
    case 'claimed':
      // a page reopened for its links was crawled; one never crawled asked only what throttled it
      return { navigations: (record.summary ? 1 : 0) + throttles, throttled: throttles, blocked: 0 };
    default:
      return null;
  }
}
