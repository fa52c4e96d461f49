import { AxonFlowError, CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';

/** The agent answered with a 4xx that is neither auth nor a policy decision (e.g. 400). */
export class RequestRejectedError extends AxonFlowError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([ErrorCode.REQUEST_REJECTED]);

  override readonly name = 'RequestRejectedError' as const;

  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(ErrorCode.REQUEST_REJECTED, message, options);
  }
}
