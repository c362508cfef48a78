// What a client call can fail with, beyond a connection that cannot be opened (socket.ts).
import type { ErrorMessage } from '../functions/core/server-messages.js';

/** The server refused the request: `code` is its stable error code (docs/protocol.md), e.g. invalid_request. */
export class CrawlerRequestError extends Error {
  override name = 'CrawlerRequestError';
  readonly code: string;
  readonly jobId: string | undefined;
  constructor(readonly answer: ErrorMessage) {
    super(`${answer.code}: ${answer.message}`);
    this.code = answer.code;
    this.jobId = answer.jobId;
  }
}

/** The connection went away and could not be reopened, or the client was closed. A job's results stay in S3. */
export class ConnectionLostError extends Error {
  override name = 'ConnectionLostError';
}
