/**
 * Reading a failure without trusting it: its `code`, its HTTP `status`, and its `error.type` for
 * spans and metrics. Every read is guarded (a hostile or broken error may throw from a getter), and
 * nothing here returns the error's message.
 */
import { sanitizeAgentText } from './agent-text.js';
import { isAxonFlowError } from './axonflow-error.js';

/** `error.type` when nothing better can be said (OpenTelemetry's fallback value). */
export const ERROR_TYPE_OTHER = '_OTHER';
const MAX_ERROR_TYPE = 64;
/** Class names that say nothing about the failure. */
const GENERIC_NAMES: ReadonlySet<string> = new Set(['', 'Error', 'Object']);

/** The failure's string `code` (ours, Node's, undici's, an SDK's), or undefined. */
export function errorCode(err: unknown): string | undefined {
  const code = field(err, 'code');
  return typeof code === 'string' ? code : undefined;
}

/** The failure's numeric HTTP `status`, or undefined. */
export function errorStatus(err: unknown): number | undefined {
  const status = field(err, 'status');
  return typeof status === 'number' ? status : undefined;
}

/**
 * The `error.type` of a failure, for the LLM call's spans and metrics and for the audit span: low
 * cardinality, at most 64 characters, never the message. The first of:
 * 1. the `code` of an AxonFlow error (`AXONFLOW_UNCHECKED`…), from this copy of the package or
 *    another one (branded);
 * 2. the error's class name when it names the failure, i.e. is not `Error` or `Object`: the
 *    provider SDK's class (`InternalServerError`, `RateLimitError`, `APIUserAbortError`),
 *    `TypeError`;
 * 3. the string `code` of a generic error (`ECONNRESET`, `UND_ERR_SOCKET`);
 * 4. the `type` an SDK-style error body carries, `error.type` first, then `type`
 *    (`overloaded_error`, `server_error`);
 * 5. `Error`, for a generic error with none of the above;
 * 6. `_OTHER` (no error object at all, or one that cannot be read).
 *
 * Class names come before foreign codes and types on purpose: an OpenAI `AuthenticationError`
 * carries `code: 'invalid_api_key'` and `type: 'invalid_request_error'`, and its class is the
 * steadier name (the OpenTelemetry advice: the exception's canonical class name).
 */
export function errorType(err: unknown): string {
  if (err === undefined || err === null) return ERROR_TYPE_OTHER;
  try {
    if (isAxonFlowError(err)) return clean(err.code);
    const name = className(err);
    if (name !== undefined && !GENERIC_NAMES.has(name)) return clean(name);
    const code = errorCode(err);
    if (code !== undefined && code !== '') return clean(code);
    const type = bodyType(err);
    if (type !== undefined) return clean(type);
    if (name === 'Error') return name;
  } catch {
    // An error we cannot read is `_OTHER`.
  }
  return ERROR_TYPE_OTHER;
}

function className(err: unknown): string | undefined {
  const name = (err as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? name : undefined;
}

/** `error.type`, then `type`, of an SDK-style error (or error body). */
function bodyType(err: unknown): string | undefined {
  const nested = field(field(err, 'error'), 'type');
  if (typeof nested === 'string' && nested !== '') return nested;
  const type = field(err, 'type');
  return typeof type === 'string' && type !== '' ? type : undefined;
}

function field(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function clean(text: string): string {
  return sanitizeAgentText(text, MAX_ERROR_TYPE) || ERROR_TYPE_OTHER;
}
