// What the use cases are given: ports, limits and a clock. Handlers wire the real adapters in.
import type { Limits } from '../core/limits.js';
import type {
  ClientNotifier,
  Clock,
  ConnectionStore,
  CrawlQueue,
  FaultInjector,
  FrontierStore,
  JobStore,
  JobMetrics,
  Logger,
  PageRenderer,
  ResultStore,
  RobotsPolicy,
} from '../core/ports.js';

export interface AppDeps {
  jobs: JobStore;
  frontier: FrontierStore;
  connections: ConnectionStore;
  queue: CrawlQueue;
  results: ResultStore;
  notifier: ClientNotifier;
  clock: Clock;
  limits: Limits;
  log: Logger;
  metrics: JobMetrics;
}

export interface WorkerDeps extends AppDeps {
  renderer: PageRenderer;
  robots: RobotsPolicy;
  faults: FaultInjector;
  /** identifies this execution environment in leases */
  workerId: string;
}

export function expiresAt(clock: Clock, limits: Limits): number {
  return Math.floor(clock.now() / 1000) + limits.recordTtlDays * 24 * 3600;
}
