import { MAX_AGENT_POLICIES, MAX_AGENT_STRING, sanitizeAgentText } from './agent-text.js';
import { AxonFlowError, CODES } from './axonflow-error.js';
import { ErrorCode } from './code.js';

/** LangChain's cross-copy mark of an error's retryability (`stampRetryable` in `@langchain/core`). */
const LANGCHAIN_RETRYABLE = Symbol.for('langchain.errors.retryable');

/**
 * A policy denied the request. The only error the instrumentation throws into the app on purpose,
 * itself or as one of its subclasses (`UncheckedRequestError`, `RedactionRequiredError`), so that
 * `instanceof PolicyViolationError` catches every call the gate kept from the model; `code` tells
 * them apart.
 *
 * A denial is final: the same request would be denied again. So that the retry logic of SDKs and
 * frameworks does not retry it, it carries the shape they read as "do not retry": `status` 403
 * (a 4xx API error; the agent's own status when it replied with another one) and LangChain's
 * retryable mark set to false.
 */
export class PolicyViolationError extends AxonFlowError {
  static override readonly [CODES]: ReadonlySet<string> = new Set([
    ErrorCode.POLICY_VIOLATION,
    ErrorCode.UNCHECKED,
    ErrorCode.REDACTION_REQUIRED,
  ]);

  override readonly name: string = 'PolicyViolationError';
  readonly blockReason: string;
  readonly policies: readonly string[];
  readonly contextId: string | undefined;

  constructor(
    init: {
      blockReason?: string;
      policies?: readonly string[];
      contextId?: string;
      status?: number;
    },
    /** @internal How a subclass names itself: its code and the start of its message. */
    as: { code: ErrorCode; prefix: string } = {
      code: ErrorCode.POLICY_VIOLATION,
      prefix: 'Request blocked by AxonFlow policy',
    },
  ) {
    const reason = sanitizeAgentText(init.blockReason, MAX_AGENT_STRING) || 'Blocked by policy';
    super(as.code, `${as.prefix}: ${reason}`, { status: init.status ?? 403 });
    Object.defineProperty(this, LANGCHAIN_RETRYABLE, { value: false, configurable: true });
    this.blockReason = reason;
    this.policies = (init.policies ?? [])
      .slice(0, MAX_AGENT_POLICIES)
      .map(p => sanitizeAgentText(p, 128));
    this.contextId =
      init.contextId === undefined || init.contextId === ''
        ? undefined
        : sanitizeAgentText(init.contextId, MAX_AGENT_STRING);
  }
}
