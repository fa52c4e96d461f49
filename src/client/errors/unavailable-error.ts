import { AxonFlowError, CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';

/**
 * The agent could not be reached or answered 5xx/429 after retries, or the circuit breaker is
 * open, or no connection to it was free in time. `reason` tells which: `network`, `http_5xx`,
 * `rate_limited`, `circuit_open`, `queue_timeout`.
 */
export class UnavailableError extends AxonFlowError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([ErrorCode.UNAVAILABLE]);

  override readonly name = 'UnavailableError' as const;
  readonly reason: 'network' | 'http_5xx' | 'rate_limited' | 'circuit_open' | 'queue_timeout';

  constructor(
    reason: UnavailableError['reason'],
    message: string,
    options?: { status?: number; cause?: unknown },
  ) {
    super(ErrorCode.UNAVAILABLE, message, options);
    this.reason = reason;
  }
}
