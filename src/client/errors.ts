/**
 * Errors of axonflow-otel. Every error has a stable `code`: match on `code`, not on `instanceof`,
 * because an app can load this package twice (its ESM and its CommonJS build), and two copies of
 * a class are two classes. `instanceof` still works across copies through a `Symbol.for` brand.
 *
 * Messages are built only from values we control or have capped and sanitised; no message ever
 * contains a client secret, license key, user token or an `Authorization` value.
 */

const BRAND = Symbol.for('axonflow-otel.error');
const MAX_AGENT_TEXT = 512;
/** Longest agent string (context id, block reason, policy name) kept on a result or an error. */
export const MAX_AGENT_STRING = 256;
/** Most policy names kept from one reply. */
export const MAX_AGENT_POLICIES = 64;

/** Error codes, stable across releases. */
export const ErrorCode = {
  POLICY_VIOLATION: 'AXONFLOW_POLICY_VIOLATION',
  AUTH: 'AXONFLOW_AUTH',
  UNAVAILABLE: 'AXONFLOW_UNAVAILABLE',
  TIMEOUT: 'AXONFLOW_TIMEOUT',
  INVALID_RESPONSE: 'AXONFLOW_INVALID_RESPONSE',
  CONFIG: 'AXONFLOW_CONFIG',
  REQUEST_REJECTED: 'AXONFLOW_REQUEST_REJECTED',
  STREAM_PROTOCOL: 'AXONFLOW_STREAM_PROTOCOL',
  /** The gate blocked a call it could not check (agent 4xx, unreadable verdict, prompt too large). */
  UNCHECKED: 'AXONFLOW_UNCHECKED',
  /** The agent approved the call only with redaction, which a pre-checked call cannot apply. */
  REDACTION_REQUIRED: 'AXONFLOW_REDACTION_REQUIRED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Caps text that came from the agent (or the network) before it goes into a message or a span:
 * control characters are replaced and the length is bounded, so a hostile agent cannot forge log
 * lines or blow up an attribute.
 */
export function sanitizeAgentText(value: unknown, max = MAX_AGENT_TEXT): string {
  if (typeof value !== 'string') return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

export class AxonFlowError extends Error {
  readonly code: ErrorCode;
  /** HTTP status of the agent reply, when there was one. */
  readonly status: number | undefined;

  constructor(code: ErrorCode, message: string, options?: { status?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options?.status;
  }

  override get name(): string {
    return this.constructor.name;
  }

  get [BRAND](): true {
    return true;
  }

  /**
   * `instanceof` that also recognises errors from another copy of this package (its other build):
   * same brand and a class of the same name in the prototype chain.
   */
  static override [Symbol.hasInstance](this: Function, value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null) return false;
    if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
    for (let proto = Object.getPrototypeOf(value); proto; proto = Object.getPrototypeOf(proto)) {
      if ((proto as { constructor?: { name?: string } }).constructor?.name === this.name)
        return true;
    }
    return false;
  }
}

/**
 * A policy denied the request. The only error the instrumentation throws into the app on purpose,
 * itself or as one of its subclasses (`UncheckedRequestError`, `RedactionRequiredError`), so that
 * `instanceof PolicyViolationError` catches every call the gate kept from the model; `code` tells
 * them apart.
 */
export class PolicyViolationError extends AxonFlowError {
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
    super(as.code, `${as.prefix}: ${reason}`, {
      ...(init.status === undefined ? {} : { status: init.status }),
    });
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

  override get name(): string {
    return 'UncheckedRequestError';
  }
}

/**
 * The agent approved the call on condition that the prompt be redacted (`requires_redaction`).
 * The call is kept from the model unless `onRedaction: 'allow'` (`AXONFLOW_ON_REDACTION=allow`),
 * because nothing on the wire gives us the redacted prompt: the gateway pre-check reply
 * (`PreCheckResponse`) carries only the flag (its `approved_data` is data-source grants, not
 * text). Redacted text exists only in other replies: MCP check-input (`redacted_statement`),
 * check-output (`redacted_data`, `redacted_message`), connector results (`redacted`,
 * `redacted_fields`), and in proxy mode the orchestrator redacts on its own side. Guessing the
 * redaction ourselves would send text the policy never saw.
 */
export class RedactionRequiredError extends PolicyViolationError {
  constructor(init: {
    blockReason?: string;
    policies?: readonly string[];
    contextId?: string;
    status?: number;
  }) {
    super(
      {
        ...init,
        blockReason:
          init.blockReason ||
          'the AxonFlow agent requires redaction of this prompt, which a pre-checked call cannot apply',
      },
      {
        code: ErrorCode.REDACTION_REQUIRED,
        prefix: 'Request blocked by AxonFlow, redaction required',
      },
    );
  }

  override get name(): string {
    return 'RedactionRequiredError';
  }
}

/** The agent rejected our credentials (401, or a 403 without a policy block). */
export class AuthenticationError extends AxonFlowError {
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(ErrorCode.AUTH, message, options);
  }
}

/**
 * The agent could not be reached or answered 5xx/429 after retries, or the circuit breaker is
 * open. `reason` tells which: `network`, `http_5xx`, `rate_limited`, `circuit_open`.
 */
export class UnavailableError extends AxonFlowError {
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

/** The call's overall deadline passed before a complete reply arrived. */
export class TimeoutError extends AxonFlowError {
  readonly timeoutMs: number;
  constructor(timeoutMs: number, options?: { cause?: unknown }) {
    super(ErrorCode.TIMEOUT, `AxonFlow agent did not answer within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** The agent's reply was not valid JSON of the expected shape, or was larger than the cap. */
export class InvalidResponseError extends AxonFlowError {
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(ErrorCode.INVALID_RESPONSE, message, options);
  }
}

/** Invalid configuration: the message names the setting (or variable) and the fix. */
export class ConfigError extends AxonFlowError {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(ErrorCode.CONFIG, message);
    this.setting = setting;
  }
}

/** The agent answered with a 4xx that is neither auth nor a policy decision (e.g. 400). */
export class RequestRejectedError extends AxonFlowError {
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super(ErrorCode.REQUEST_REJECTED, message, options);
  }
}

/** A streamed reply broke its protocol: truncated, an index going backwards, a block never closed. */
export class StreamProtocolError extends AxonFlowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.STREAM_PROTOCOL, message, options);
  }
}
