import { AxonFlowError, CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';

/** The agent rejected our credentials (401, or a 403 without a policy block). */
export class AuthenticationError extends AxonFlowError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([ErrorCode.AUTH]);

  override readonly name = 'AuthenticationError' as const;

  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(ErrorCode.AUTH, message, options);
  }
}
