// `fanout-crawler/client`: the typed client of the crawler's WebSocket protocol (docs/clients.md).
export { CrawlerClient, type ConnectOptions, type CrawlOptions } from './crawler-client.js';
export { CrawlJob, type JobEvent, type JobResult } from './crawl-job.js';
export { ConnectionLostError, CrawlerRequestError } from './errors.js';
export { ConnectError, type SocketConstructor } from './socket.js';
export type {
  AcceptedMessage,
  CompletedMessage,
  ErrorMessage,
  EstimateMessage,
  ProgressMessage,
  StatusMessage,
} from '../functions/core/server-messages.js';
export type { Manifest } from '../functions/core/manifest.js';
export type { PageSummary } from '../functions/core/job.js';
