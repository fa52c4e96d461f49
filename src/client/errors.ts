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

/** A policy denied the request. The only error the instrumentation throws into the app on purpose. */
export class PolicyViolationError extends AxonFlowError {
  readonly blockReason: string;
  readonly policies: readonly string[];
  readonly contextId: string | undefined;

  constructor(init: {
    blockReason?: string;
    policies?: readonly string[];
    contextId?: string;
    status?: number;
  }) {
    const reason = sanitizeAgentText(init.blockReason) || 'Blocked by policy';
    super(ErrorCode.POLICY_VIOLATION, `Request blocked by AxonFlow policy: ${reason}`, {
      ...(init.status === undefined ? {} : { status: init.status }),
    });
    this.blockReason = reason;
    this.policies = (init.policies ?? []).map(p => sanitizeAgentText(p, 128));
    this.contextId = init.contextId;
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
  readonly reason: 'network' | 'http_5xx' | 'rate_limited' | 'circuit_open';
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
