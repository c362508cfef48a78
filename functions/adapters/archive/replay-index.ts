// Which archived capture answers a request: the CDXJ index in memory, looked up by exact URL, then
// by the fuzzy rules replay tools use for URLs a script makes different on every visit (pywb's
// default rules in spirit): cache-busting query parameters ignored, then the same path with the
// closest query, then the other scheme. Pure: no I/O.

export interface Capture {
  url: string;
  /** 14 digits, YYYYMMDDhhmmss */
  timestamp: string;
  mime: string;
  status: number;
  /** payload digest without its algorithm prefix */
  digest: string;
  offset: number;
  length: number;
  filename: string;
  method: string;
}

export type MatchRule = 'exact' | 'cache-buster' | 'closest-query' | 'other-scheme';

export interface Match {
  capture: Capture;
  rule: MatchRule;
}

/** Parameters whose only purpose is to defeat caches. */
const BUSTER_NAMES = new Set(['_', '__', 'cb', 'cachebust', 'cachebuster', 'cache_bust', 'nocache', 'no_cache', 'rnd', 'rand', 'random', 'ts', 't', 'timestamp', 'time', '_t', '_ts']);
/** Values that are a clock or a random number whatever the name: epoch seconds/ms, Math.random(). */
const BUSTER_VALUE = /^(\d{10}|\d{13}|0?\.\d{6,}|\d{10}\.\d+)$/;

export function parseCdxj(text: string): Capture[] {
  const captures: Capture[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    if (first < 0 || second < 0) continue;
    const fields = JSON.parse(line.slice(second + 1)) as Record<string, string>;
    captures.push({
      url: fields['url'] ?? '',
      timestamp: line.slice(first + 1, second),
      mime: fields['mime'] ?? '',
      status: Number(fields['status'] ?? 0),
      digest: fields['digest'] ?? '',
      offset: Number(fields['offset']),
      length: Number(fields['length']),
      filename: fields['filename'] ?? '',
      method: (fields['method'] ?? 'GET').toUpperCase(),
    });
  }
  return captures;
}

function parse(url: string): URL | undefined {
  try {
    const parsed = new URL(url);
    parsed.hash = '';
    return parsed;
  } catch {
    return undefined;
  }
}

/** The URL with cache-busting parameters dropped and the rest in a stable order. */
export function withoutBusters(url: string): string {
  const parsed = parse(url);
  if (!parsed) return url;
  const kept = [...parsed.searchParams].filter(([name, value]) => !BUSTER_NAMES.has(name.toLowerCase()) && !BUSTER_VALUE.test(value));
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  parsed.search = new URLSearchParams(kept).toString();
  return parsed.href;
}

const pathOf = (url: URL) => `${url.host}${url.pathname}`;

/** Better answers first: a success or redirect over an error, then the earliest capture. */
function rank(a: Capture, b: Capture): number {
  const good = (c: Capture) => (c.status >= 200 && c.status < 400 ? 0 : 1);
  return good(a) - good(b) || (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0);
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export class ReplayIndex {
  private readonly exact = new Map<string, Capture[]>();
  private readonly reduced = new Map<string, Capture[]>();
  private readonly byPath = new Map<string, Capture[]>();

  constructor(readonly captures: readonly Capture[]) {
    for (const capture of captures) {
      const url = parse(capture.url);
      if (!url) continue;
      push(this.exact, url.href, capture);
      push(this.reduced, withoutBusters(url.href), capture);
      push(this.byPath, pathOf(url), capture);
    }
    for (const list of [...this.exact.values(), ...this.reduced.values(), ...this.byPath.values()]) list.sort(rank);
  }

  find(url: string, method = 'GET'): Match | undefined {
    const wanted = method === 'HEAD' ? 'GET' : method.toUpperCase();
    const parsed = parse(url);
    if (!parsed) return undefined;
    const pick = (list: Capture[] | undefined) => list?.find((c) => c.method === wanted) ?? list?.[0];
    for (const candidate of [parsed, this.otherScheme(parsed)]) {
      if (!candidate) continue;
      const scheme: MatchRule | undefined = candidate === parsed ? undefined : 'other-scheme';
      const exact = pick(this.exact.get(candidate.href));
      if (exact) return { capture: exact, rule: scheme ?? 'exact' };
      const reduced = pick(this.reduced.get(withoutBusters(candidate.href)));
      if (reduced) return { capture: reduced, rule: scheme ?? 'cache-buster' };
      const closest = this.closestQuery(candidate, wanted);
      if (closest) return { capture: closest, rule: scheme ?? 'closest-query' };
    }
    return undefined;
  }

  /** The capture a revisit record refers to: same URL and date, else any capture of that payload. */
  original(refersToUrl: string, refersToDate: string, digest: string): Capture | undefined {
    const timestamp = refersToDate.replace(/[-:T]/g, '').slice(0, 14);
    const isFull = (c: Capture) => c.mime !== 'warc/revisit';
    const sameUrl = this.exact.get(parse(refersToUrl)?.href ?? refersToUrl) ?? [];
    return (
      sameUrl.find((c) => isFull(c) && c.timestamp === timestamp && (!digest || c.digest === digest)) ??
      sameUrl.find((c) => isFull(c) && (!digest || c.digest === digest)) ??
      (digest ? this.captures.find((c) => isFull(c) && c.digest === digest) : undefined)
    );
  }

  /** Same host and path, asked with a query: the capture sharing most parameters with it. */
  private closestQuery(url: URL, method: string): Capture | undefined {
    if (!url.search) return undefined;
    const candidates = (this.byPath.get(pathOf(url)) ?? []).filter((c) => c.method === method);
    const wanted = new Set([...url.searchParams].map(([k, v]) => `${k}=${v}`));
    const names = new Set([...url.searchParams.keys()]);
    let best: Capture | undefined;
    let bestScore = -1;
    for (const capture of candidates) {
      const params = [...(parse(capture.url)?.searchParams ?? [])];
      // parameters of the same names, so that /search?q=a never answers /search?page=2
      if (params.length === 0 || !params.every(([name]) => names.has(name))) continue;
      const score = params.filter(([k, v]) => wanted.has(`${k}=${v}`)).length;
      if (score > bestScore) {
        best = capture;
        bestScore = score;
      }
    }
    return best;
  }

  private otherScheme(url: URL): URL | undefined {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    const other = new URL(url.href);
    other.protocol = url.protocol === 'http:' ? 'https:' : 'http:';
    return other;
  }
}
