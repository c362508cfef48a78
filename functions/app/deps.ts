// What the use cases are given: ports, limits and a clock. Handlers wire the real adapters in.
import type { Limits } from '../core/limits.js';
import type {
  ArchiveAssembler,
  ClientNotifier,
  Clock,
  ConditionalFetcher,
  ConnectionStore,
  CrawlQueue,
  FaultInjector,
  FinishRequests,
  FrontierStore,
  HeartbeatQueue,
  HostRateGate,
  HttpRendering,
  RenderLearning,
  JobStore,
  SitemapSource,
  JobMetrics,
  Logger,
  PageRenderer,
  ResultStore,
  RobotsPolicy,
} from '../core/ports.js';
import type { DisposableRunStore } from '../core/sorted-runs.js';
import type { Webhooks } from '../core/webhook.js';

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
  /**
   * the finisher's queue: a job's end is asked of it, not done inline; absent (unit tests, a stack
   * without a finisher) the winner of the transition finishes the job itself
   */
  finishRequests?: FinishRequests;
  /** absent where no archive can be assembled; jobs asking for `archive` then end without a WACZ */
  archives?: ArchiveAssembler;
  /**
   * Where the finisher's sort of a job's frontier spills its runs (temporary files); absent: in
   * memory, which holds the whole job (tests of small jobs).
   */
  sortRuns?: () => Promise<DisposableRunStore>;
  /** a running job's heartbeat (app/heartbeat.ts); absent: its client hears only of settles */
  heartbeats?: HeartbeatQueue;
  /** a seed host's sitemaps: for jobs with `sitemap: true` (workers), and estimates with it (the crawl route); absent: none are read */
  sitemaps?: SitemapSource;
  /**
   * the per-host navigation rate shared by the stack: workers take slots and report throttles; the
   * finisher reads each host's rate now for the manifest's `hosts`. Absent: no spacing (unit tests)
   */
  hostRate?: HostRateGate;
  /** webhook deliveries (app/webhook-delivery.ts); absent: the stack delivers none, and `crawl` refuses `webhook` */
  webhooks?: Webhooks;
}

export interface WorkerDeps extends AppDeps {
  renderer: PageRenderer;
  robots: RobotsPolicy;
  faults: FaultInjector;
  /** a `since` crawl's conditional requests (app/conditional-fetch.ts); absent: every page is rendered */
  conditional?: ConditionalFetcher;
  /** identifies this execution environment in leases */
  workerId: string;
  /** pages without a browser (`render: "http"`, and `auto`'s HTTP pages); absent: every page in the browser */
  httpRenderer?: HttpRendering;
  /** where `auto` counts what each page type needs (the job item); absent: nothing is learned */
  renderLearning?: RenderLearning;
}

export function expiresAt(clock: Clock, limits: Limits): number {
  return Math.floor(clock.now() / 1000) + limits.recordTtlDays * 24 * 3600;
}
