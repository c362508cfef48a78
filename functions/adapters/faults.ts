// Local fault injection. CRAWLER_FAULTS="after-claim@/a.html,before-settle@/b.html#2" kills this
// process (as a Lambda environment dies: no cleanup, no reply) when a worker reaches that point
// for a URL containing the text. Only the local runtime sets it. FINISHER_FAULTS does the same for
// the finisher (`finisher-mid-archive#N`: dies once N archive parts are written and checkpointed).
//
// Each rule fires once. Without `#N` it fires the first time any environment reaches the point for
// that URL, whatever the attempt: an attempt that died for another reason (another rule's crash in
// the same environment, an invocation timeout on a slow machine) must not make a test's fault
// silently never happen. That needs a record shared by the environments: CRAWLER_FAULTS_STATE names
// a directory where a rule that fired leaves a marker, created exclusively so only one environment
// fires it. With `#N` the rule fires on that attempt only (still once).
//
// `throttle:<point>@…` does not kill the process: the worker throws there what DynamoDB throws when
// it throttles (ProvisionedThroughputExceededException, HTTP 400, after the SDK's own retries), a
// failure of the stack's, not the page's (core/errors.ts isStackFault).
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { FAULT_POINTS, FINISHER_FAULT_POINTS, WAIT_FAULT_POINTS, noFaults, type FaultInjector, type FaultPoint, type Logger } from '../core/ports.js';

export interface FaultRule {
  /** `die`: the process is killed; `throttle`: an AWS throttling error is thrown */
  mode: 'die' | 'throttle';
  point: FaultPoint;
  urlContains: string;
  /** null: the first attempt that reaches the point */
  attempt: number | null;
}

export function parseFaults(spec: string): FaultRule[] {
  return spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^(?:(throttle):)?([a-z-]+)(?:@([^#]*))?(?:#(\d+))?$/.exec(part);
      const point = match?.[2] as FaultPoint | undefined;
      const points: readonly FaultPoint[] = [...FAULT_POINTS, ...WAIT_FAULT_POINTS, ...FINISHER_FAULT_POINTS];
      if (!match || !point || !points.includes(point)) {
        throw new Error(`bad CRAWLER_FAULTS entry "${part}"; points: ${points.join(', ')}`);
      }
      return { mode: match[1] === 'throttle' ? 'throttle' : 'die', point, urlContains: match[3] ?? '', attempt: match[4] === undefined ? null : Number(match[4]) };
    });
}

/** True for the one caller that creates the rule's marker; without a state directory, always true. */
function claimFiring(stateDir: string | undefined, rule: FaultRule, index: number): boolean {
  if (!stateDir) return true;
  const name = createHash('sha256').update(`${index}|${rule.point}|${rule.urlContains}|${rule.attempt}`).digest('hex').slice(0, 16);
  try {
    closeSync(openSync(join(stateDir, `${name}.fired`), 'wx'));
    return true;
  } catch {
    return false;
  }
}

const dieNow = (): void => {
  process.kill(process.pid, 'SIGKILL');
};

export function faultInjector(spec: string | undefined, log: Logger, stateDir?: string, die: () => void = dieNow): FaultInjector {
  if (!spec) return noFaults;
  const rules = parseFaults(spec);
  const fired = new Set<number>();
  return {
    hit(point, { url, attempt }) {
      // Without a shared record, "the first attempt that reaches it" can only mean attempt 1.
      const index = rules.findIndex(
        (r, i) => !fired.has(i) && r.point === point && url.includes(r.urlContains) && (r.attempt ?? (stateDir ? attempt : 1)) === attempt,
      );
      const rule = rules[index];
      if (!rule) return;
      fired.add(index);
      if (!claimFiring(stateDir, rule, index)) return;
      if (rule.mode === 'throttle') {
        log.warn('injected fault: throttled', { point, url, attempt });
        throw throttlingError();
      }
      log.warn('injected fault: worker process dies', { point, url, attempt });
      die();
    },
  };
}

/** What the SDK throws once DynamoDB has throttled a request past its own retries. */
function throttlingError(): Error {
  const error = new Error('The level of configured provisioned throughput for the table was exceeded (injected)');
  error.name = 'ProvisionedThroughputExceededException';
  return Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 3 } });
}
