// A made-up frontier of any size for the manifest tests: every kind of item the manifest treats
// differently (pages, failures, URLs left open, warnings, aliases, capped markers), depths with a
// gap, and URLs repeated across depths and kinds so ties in the sort order are exercised.
import type { FrontierRecord, JobRecord, UrlState } from '../../functions/core/job.js';

/** A deterministic pseudo-random sequence (mulberry32): the same frontier on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticJob(jobId: string, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    jobId,
    url: 'http://site.test/',
    depth: 5,
    maxPages: 1_000_000,
    startedAt: 1_700_000_000_000,
    capped: 7,
    admitted: 0,
    settled: 0,
    done: 0,
    failed: 0,
    endReason: 'job cancelled',
    ...extra,
  } as JobRecord;
}

/** `count` items; depths 0..5 except 3 (an empty level), kinds in fixed proportions. */
export function syntheticFrontier(jobId: string, count: number, seed = 1): FrontierRecord[] {
  const next = random(seed);
  const records: FrontierRecord[] = [];
  for (let i = 0; i < count; i++) {
    const depth = [0, 1, 2, 4, 5][Math.floor(next() * 5)]!;
    // Every 50th URL repeats an earlier path: equal URLs at one depth must keep frontier order.
    const path = i % 50 === 49 ? `p${Math.floor(next() * i)}` : `p${i}`;
    const url = `http://site.test/${path}?q=${'x'.repeat(Math.floor(next() * 40))}`;
    const roll = next();
    const state: UrlState = roll < 0.7 ? 'done' : roll < 0.8 ? 'failed' : roll < 0.85 ? 'queued' : roll < 0.88 ? 'warning' : roll < 0.94 ? 'alias' : 'capped';
    const base = { jobId, urlKey: `k${String(i).padStart(8, '0')}-${Math.floor(next() * 1e9).toString(36)}`, url, depth, parent: null, discoveredBy: null, state, attempts: 1, expiresAt: 0 };
    if (state === 'done') {
      records.push({
        ...base,
        summary: {
          url,
          finalUrl: url,
          depth,
          parent: depth === 0 ? null : 'http://site.test/',
          status: 200,
          title: `Page ${i} “quoted” \n line`,
          sha256: 'a'.repeat(64),
          links: Math.floor(next() * 100),
          key: `jobs/${jobId}/pages/${base.urlKey}.json`,
          ...(i % 7 === 0 ? { timings: { queueWaitMs: null, navigationMs: 12.5, settleMs: 300, extractMs: 4, dynamodbMs: 20, sqsMs: 1, s3Ms: 3, totalMs: 340 } } : {}),
        },
      });
    } else if (state === 'failed' && i % 3 === 0) {
      // A URL robots.txt disallows: skipped, not an error (core/job.ts isSkipped)
      records.push({ ...base, failure: { url, error: `disallowed by robots.txt (line ${i})`, kind: 'robots' } });
    } else if (state === 'failed' || state === 'warning') {
      records.push({ ...base, failure: { url, error: `${state} ${i}` } } as FrontierRecord);
    } else {
      records.push(base);
    }
  }
  return records;
}
