/**
 * What the instrumentation's gate throws into the app when a pre-check fails: only
 * `PolicyViolationError` and its subclasses may reach the app, so the client's typed errors are
 * turned into an `UncheckedRequestError` that keeps their HTTP status and a reason, and none of
 * the agent's text.
 */
import {
  AuthenticationError,
  InvalidResponseError,
  PolicyViolationError,
  RequestRejectedError,
  TimeoutError,
  UnavailableError,
  type UncheckedReason,
  UncheckedRequestError,
} from './errors.js';

/**
 * The error that blocks the call for a failed pre-check, or undefined when the call may go ahead
 * (production mode, a failure that is not a verdict the client refused to read: our own bug, which
 * must never break the app).
 */
export function gateError(
  err: unknown,
  mode: 'production' | 'sandbox',
): PolicyViolationError | undefined {
  if (err instanceof PolicyViolationError) return err;
  const reason = uncheckedReason(err);
  if (reason === undefined && mode === 'production') return undefined;
  const status = (err as { status?: unknown } | null)?.status;
  return new UncheckedRequestError({
    reason: reason ?? unavailableReason(err),
    ...(typeof status === 'number' ? { status } : {}),
  });
}

/** The reason for a failure that blocks in every mode, or undefined. */
function uncheckedReason(err: unknown): UncheckedReason | undefined {
  if (err instanceof AuthenticationError) return 'auth';
  if (err instanceof InvalidResponseError) {
    const status = err.status;
    return status !== undefined && status >= 300 && status < 400 ? 'http_4xx' : 'invalid_response';
  }
  if (err instanceof RequestRejectedError) {
    if (err.status === 413) return 'too_large';
    if (err.status === 400 || err.status === 422) return 'rejected';
    return 'http_4xx';
  }
  return undefined;
}

/** Sandbox mode: unavailability blocks too, loudly. */
function unavailableReason(err: unknown): UncheckedReason {
  if (err instanceof UnavailableError) return err.reason;
  if (err instanceof TimeoutError) return 'timeout';
  return 'error';
}
