// Why a page could not be rendered, and whether trying again may help.
import { PageFailedError, type FailureOrigin } from '../../core/errors.js';

export type RenderErrorKind = 'timeout' | 'network' | 'blocked' | 'browser';

export class RenderError extends PageFailedError {
  override name = 'RenderError';
  constructor(
    readonly kind: RenderErrorKind,
    message: string,
    retryable: boolean,
    origin: FailureOrigin = 'page',
  ) {
    super(message, retryable, origin);
  }
}
