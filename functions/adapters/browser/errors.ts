// Why a page could not be rendered, and whether trying again may help.
import { PageFailedError } from '../../core/errors.js';

export type RenderErrorKind = 'timeout' | 'network' | 'blocked' | 'browser';

export class RenderError extends PageFailedError {
  override name = 'RenderError';
  constructor(
    readonly kind: RenderErrorKind,
    message: string,
    retryable: boolean,
  ) {
    super(message, retryable);
  }
}
