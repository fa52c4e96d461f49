import { AxonFlowError, CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';

/** The agent's reply was not valid JSON of the expected shape, or was larger than the cap. */
export class InvalidResponseError extends AxonFlowError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([ErrorCode.INVALID_RESPONSE]);

  override readonly name = 'InvalidResponseError' as const;

  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(ErrorCode.INVALID_RESPONSE, message, options);
  }
}
