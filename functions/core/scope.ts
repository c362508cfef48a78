// Which discovered URLs belong to a job.
import type { Scope } from './job.js';

export interface ScopeRule {
  seed: string;
  scope: Scope;
  include: string[];
  exclude: string[];
}

function stripWww(hostname: string): string {
  return hostname.startsWith('www.') ? hostname.slice(4) : hostname;
}

/** The seed's directory: `/docs/intro.html` → `/docs/`. */
function directoryOf(pathname: string): string {
  return pathname.slice(0, pathname.lastIndexOf('/') + 1);
}

/** Globs (`*` = any run of characters) compiled to anchored regexes; no user regex, so no ReDoS. */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*+/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export function makeScope(rule: ScopeRule): (url: string) => boolean {
  const seed = new URL(rule.seed);
  const include = rule.include.map(globToRegExp);
  const exclude = rule.exclude.map(globToRegExp);
  const seedDomain = stripWww(seed.hostname);
  const seedDir = directoryOf(seed.pathname);
  return (url: string) => {
    let candidate: URL;
    try {
      candidate = new URL(url);
    } catch {
      return false;
    }
    let inScope: boolean;
    switch (rule.scope) {
      case 'host':
        inScope = candidate.host === seed.host;
        break;
      case 'domain': {
        const host = candidate.hostname;
        inScope = host === seedDomain || host.endsWith(`.${seedDomain}`);
        break;
      }
      case 'prefix':
        inScope = candidate.host === seed.host && candidate.pathname.startsWith(seedDir);
        break;
    }
    if (!inScope) return false;
    if (include.length > 0 && !include.some((re) => re.test(url))) return false;
    return !exclude.some((re) => re.test(url));
  };
}
