// A navigation its host answered 429 or 503 (core/pushback.ts): not a result. The host is told
// first, for every job and environment (its shared rate cut, closed until its Retry-After:
// HostRateGate.pushback); then the page waits in the queue as a URL waiting for its host does
// (host-gate.ts waitForHost), no sooner than its Retry-After or the default backoff. Its first
// THROTTLES_FREE throttles give its attempt back; later ones use its attempts, and a page throttled
// on its last attempt (or told to come back later than RETRY_AFTER_MAX_MS) ends failed with
// `rate limited (429)` / `unavailable (503)` — in `errors`, so a redrive tries it again.
import { DEFAULT_HOST_RATE_CEILING, hostKeyOf } from '../core/host-rate.js';
import type { FrontierRecord, JobRecord } from '../core/job.js';
import { RETRY_AFTER_MAX_MS, throttleStep, type PushbackVerdict } from '../core/pushback.js';
import type { WorkerDeps } from './deps.js';
import { waitForHost } from './host-gate.js';
import { settleFailed } from './settle-page.js';

export async function throttledPage(
  job: JobRecord,
  record: FrontierRecord,
  verdict: Extract<PushbackVerdict, { kind: 'throttled' }>,
  deps: WorkerDeps,
): Promise<'delayed' | 'failed' | 'lease-lost'> {
  const host = hostKeyOf(record.url);
  const now = deps.clock.now();
  const ceiling = deps.limits.hostRateCeiling ?? DEFAULT_HOST_RATE_CEILING;
  const closeUntil = verdict.retryAfterMs !== undefined ? now + Math.min(verdict.retryAfterMs, RETRY_AFTER_MAX_MS) : undefined;
  // The host's slow-down is shared; losing it to a failing write must not lose the page's wait.
  const cut = await deps.hostRate
    ?.pushback?.({ host, ceiling, ...(closeUntil !== undefined ? { closeUntil } : {}) })
    .catch((error: unknown) => deps.log.warn('could not record the host pushback', { host, error: String(error) }));
  const step = throttleStep(verdict, record.throttles ?? 0, record.attempts, deps.limits.maxAttempts);
  deps.log.info('page throttled by its host', {
    jobId: job.jobId,
    url: record.url,
    status: verdict.status,
    throttles: (record.throttles ?? 0) + 1,
    attempt: record.attempts,
    ...(verdict.retryAfterMs !== undefined ? { retryAfterMs: verdict.retryAfterMs } : {}),
    ...(cut ? { rateNow: cut.rateNow } : {}),
    next: step.kind === 'wait' ? `wait ${step.waitMs} ms` : 'give up',
  });
  if (step.kind === 'give-up') return settleFailed(job, record, step.error, deps, 'throttled');
  return waitForHost(job, record, step.waitMs, deps, undefined, { keepAttempt: !step.freeAttempt });
}
