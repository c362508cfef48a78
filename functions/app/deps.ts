// What the use cases are given: ports, limits and a clock. Handlers wire the real adapters in.
import type { Limits } from '../core/limits.js';
import type {
  ArchiveAssembler,
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
  /** absent where no archive can be assembled; jobs asking for `archive` then end without a WACZ */
  archives?: ArchiveAssembler;
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
