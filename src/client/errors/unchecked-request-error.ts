import { CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';
import { PolicyViolationError } from './policy-violation-error.js';

/**
 * Why a call could not be checked:
 * - `too_large`: the pre-check body is over `maxCheckBytes`, or the agent answered 413;
 * - `rejected`: the agent refused to read the request (400, 422);
 * - `auth`: the agent refused our credentials (401, or 403 without a deny);
 * - `http_4xx`: any other 4xx (404, 405, 409, …) or a redirect;
 * - `invalid_response`: a reply with no readable boolean verdict, or over the reply size cap;
 * - `network`, `timeout`, `http_5xx`, `rate_limited`, `circuit_open`: the agent was unavailable
 *   (these block only in `sandbox` mode; `production` fails open on them);
 * - `error`: anything else.
 */
export type UncheckedReason =
  | 'too_large'
  | 'rejected'
  | 'auth'
  | 'http_4xx'
  | 'invalid_response'
  | 'network'
  | 'timeout'
  | 'http_5xx'
  | 'rate_limited'
  | 'circuit_open'
  | 'queue_timeout'
  | 'error';

const UNCHECKED_TEXT: Record<UncheckedReason, string> = {
  too_large: 'the request is too large to be checked',
  rejected: 'the AxonFlow agent refused to read the request',
  auth: 'the AxonFlow agent did not accept our credentials',
  http_4xx: 'the AxonFlow agent refused the request',
  invalid_response: "the AxonFlow agent's verdict could not be read",
  network: 'the AxonFlow agent could not be reached',
  timeout: 'the AxonFlow agent did not answer in time',
  http_5xx: 'the AxonFlow agent failed',
  rate_limited: 'the AxonFlow agent is rate limiting',
  circuit_open: 'the AxonFlow agent failed repeatedly (circuit open)',
  queue_timeout: 'no connection to the AxonFlow agent was free in time',
  error: 'the AxonFlow pre-check failed',
};

/**
 * The gate kept a call from the model because it could not be checked: an uncheckable call is not
 * an allow. Carries `reason` and the agent's HTTP `status` (when there was one), never the agent's
 * text: `blockReason` is ours.
 */
export class UncheckedRequestError extends PolicyViolationError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([ErrorCode.UNCHECKED]);

  override readonly name = 'UncheckedRequestError' as const;
  readonly reason: UncheckedReason;

  constructor(init: { reason: UncheckedReason; status?: number; contextId?: string }) {
    const status = init.status === undefined ? '' : ` (HTTP ${init.status})`;
    super(
      {
        blockReason: `${UNCHECKED_TEXT[init.reason] ?? UNCHECKED_TEXT.error}${status}`,
        ...(init.status === undefined ? {} : { status: init.status }),
        ...(init.contextId === undefined ? {} : { contextId: init.contextId }),
      },
      { code: ErrorCode.UNCHECKED, prefix: 'Request blocked by AxonFlow, not checked' },
    );
    this.reason = init.reason;
  }
}
