import { AxonFlowError, CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';

/** The call's overall deadline passed before a complete reply arrived. */
export class TimeoutError extends AxonFlowError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([ErrorCode.TIMEOUT]);

  override readonly name = 'TimeoutError' as const;
  readonly timeoutMs: number;

  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(ErrorCode.TIMEOUT, `AxonFlow agent did not answer within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}
