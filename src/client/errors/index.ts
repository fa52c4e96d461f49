/**
 * Errors of axonflow-otel, one class a file. Every error has a literal `name` and a stable `code`:
 * match on `code`, not on `instanceof`, because an app can load this package twice (its ESM and
 * its CommonJS build), and two copies of a class are two classes. `instanceof` still works across
 * copies through a `Symbol.for` brand and the code (`axonflow-error.ts`).
 *
 * Messages are built only from values we control or have capped and sanitised; no message ever
 * contains a client secret, license key, user token or an `Authorization` value.
 */
export { MAX_AGENT_POLICIES, MAX_AGENT_STRING, sanitizeAgentText } from './agent-text.js';
export { AuthenticationError } from './authentication-error.js';
export { AxonFlowError, isAxonFlowError } from './axonflow-error.js';
export { ErrorCode } from './code.js';
export { ConfigError } from './config-error.js';
export { ERROR_TYPE_OTHER, errorCode, errorStatus, errorType } from './error-type.js';
export { InvalidResponseError } from './invalid-response-error.js';
export { PolicyViolationError } from './policy-violation-error.js';
export { RedactionRequiredError } from './redaction-required-error.js';
export { RequestRejectedError } from './request-rejected-error.js';
export { StreamProtocolError } from './stream-protocol-error.js';
export { TimeoutError } from './timeout-error.js';
export { UnavailableError } from './unavailable-error.js';
export { type UncheckedReason, UncheckedRequestError } from './unchecked-request-error.js';
