/**
 * What the instrumentation's gate throws into the app when a pre-check fails: only
 * `PolicyViolationError` and its subclasses may reach the app, so the client's typed errors are
 * turned into an `UncheckedRequestError` that keeps their HTTP status and a reason, and none of
 * the agent's text. Failures are told apart by their `code`, so errors of the other copy of the
 * package (its other build) are classified the same.
 */
import {
  ErrorCode,
  errorCode,
  errorStatus,
  isAxonFlowError,
  type PolicyViolationError,
  type UnavailableError,
  type UncheckedReason,
  UncheckedRequestError,
} from './errors/index.js';

/** Codes of `PolicyViolationError` and its subclasses: errors that already block as they are. */
const VIOLATION_CODES: ReadonlySet<string> = new Set([
  ErrorCode.POLICY_VIOLATION,
  ErrorCode.UNCHECKED,
  ErrorCode.REDACTION_REQUIRED,
]);

/**
 * The error that blocks the call for a failed pre-check, or undefined when the call may go ahead
 * (production mode, a failure that is not a verdict the client refused to read: our own bug, which
 * must never break the app).
 */
export function gateError(
  err: unknown,
  mode: 'production' | 'sandbox',
): PolicyViolationError | undefined {
  if (isAxonFlowError(err) && VIOLATION_CODES.has(err.code)) return err as PolicyViolationError;
  const reason = uncheckedReason(err);
  if (reason === undefined && mode === 'production') return undefined;
  const status = errorStatus(err);
  return new UncheckedRequestError({
    reason: reason ?? unavailableReason(err),
    ...(status === undefined ? {} : { status }),
  });
}

/** The reason for a failure that blocks in every mode, or undefined. */
function uncheckedReason(err: unknown): UncheckedReason | undefined {
  switch (errorCode(err)) {
    case ErrorCode.AUTH:
      return 'auth';
    case ErrorCode.INVALID_RESPONSE: {
      const status = errorStatus(err);
      return status !== undefined && status >= 300 && status < 400
        ? 'http_4xx'
        : 'invalid_response';
    }
    case ErrorCode.REQUEST_REJECTED: {
      const status = errorStatus(err);
      if (status === 413) return 'too_large';
      if (status === 400 || status === 422) return 'rejected';
      return 'http_4xx';
    }
    default:
      return undefined;
  }
}

/** Sandbox mode: unavailability blocks too, loudly. */
function unavailableReason(err: unknown): UncheckedReason {
  switch (errorCode(err)) {
    case ErrorCode.UNAVAILABLE:
      return (err as Partial<UnavailableError>).reason ?? 'error';
    case ErrorCode.TIMEOUT:
      return 'timeout';
    default:
      return 'error';
  }
}
