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

/**
 * A glob (`*` = any run of characters, everything else literal) as a matcher of the whole text.
 * Linear in the text, whatever the client sends: the literal parts between stars must occur in
 * order, the first at the start and the last at the end, and taking each middle part at its
 * earliest occurrence never loses a match (a later occurrence only leaves less room for the rest).
 * A backtracking regex (`.*` per star) is exponential in the number of stars on a text that fails.
 */
export function compileGlob(glob: string): (text: string) => boolean {
  const parts = glob.split('*');
  if (parts.length === 1) return (text) => text === glob;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  const minLength = first.length + last.length;
  return (text) => {
    // The first and last parts must not overlap: `ab*ba` does not match `aba`.
    if (text.length < minLength || !text.startsWith(first) || !text.endsWith(last)) return false;
    const end = text.length - last.length;
    let from = first.length;
    for (const part of middle) {
      const at = text.indexOf(part, from);
      if (at === -1 || at + part.length > end) return false;
      from = at + part.length;
    }
    return true;
  };
}

/** A crawl of several seeds (`urls`): a URL is in scope when it is in the scope of any seed. */
export function makeSeedsScope(rule: Omit<ScopeRule, 'seed'> & { seeds: readonly string[] }): (url: string) => boolean {
  const scopes = rule.seeds.map((seed) => makeScope({ ...rule, seed }));
  return (url) => scopes.some((inScope) => inScope(url));
}

export function makeScope(rule: ScopeRule): (url: string) => boolean {
  const seed = new URL(rule.seed);
  const include = rule.include.map(compileGlob);
  const exclude = rule.exclude.map(compileGlob);
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
    if (include.length > 0 && !include.some((matches) => matches(url))) return false;
    return !exclude.some((matches) => matches(url));
  };
}
