// Local fault injection. CRAWLER_FAULTS="after-claim@/a.html,before-settle@/b.html#2" kills this
// process (as a Lambda environment dies: no cleanup, no reply) when a worker reaches that point
// for a URL containing the text, on that attempt (default: the first). Only the local runtime sets it.
import { FAULT_POINTS, noFaults, type FaultInjector, type FaultPoint, type Logger } from '../core/ports.js';

interface FaultRule {
  point: FaultPoint;
  urlContains: string;
  attempt: number;
}

export function parseFaults(spec: string): FaultRule[] {
  return spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^([a-z-]+)(?:@([^#]*))?(?:#(\d+))?$/.exec(part);
      const point = match?.[1] as FaultPoint | undefined;
      if (!match || !point || !FAULT_POINTS.includes(point)) {
        throw new Error(`bad CRAWLER_FAULTS entry "${part}"; points: ${FAULT_POINTS.join(', ')}`);
      }
      return { point, urlContains: match[2] ?? '', attempt: Number(match[3] ?? 1) };
    });
}

export function faultInjector(spec: string | undefined, log: Logger): FaultInjector {
  if (!spec) return noFaults;
  const rules = parseFaults(spec);
  return {
    hit(point, { url, attempt }) {
      const rule = rules.find((r) => r.point === point && url.includes(r.urlContains) && r.attempt === attempt);
      if (!rule) return;
      log.warn('injected fault: worker process dies', { point, url, attempt });
      process.kill(process.pid, 'SIGKILL');
    },
  };
}
