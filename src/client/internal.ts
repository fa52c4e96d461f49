/**
 * Hot-path internals of the client that the instrumentation uses and the package does not export.
 *
 * They are symbol-keyed methods of `AxonFlowClient`, reached through the functions below, so that
 * they stay out of the public API (no method name to call) and still work on a client built by the
 * other copy of the package (its ESM or CommonJS build): the symbols come from `Symbol.for`.
 */
import type { AxonFlowClient } from './client.js';
import type { PreCheckRequest, PreCheckResult } from './types.js';

/** Key of the client's synchronous cache lookup (see `peekDecision`). */
export const PEEK_DECISION: unique symbol = Symbol.for('axonflow-otel.client.peekDecision');

interface Peekable {
  [PEEK_DECISION]?: (request: PreCheckRequest) => PreCheckResult | undefined;
}

/**
 * The decision `client.preCheck(request)` would serve from the cache, synchronously, or undefined.
 * Lets the instrumentation skip the promise machinery when the answer is known. On a miss the
 * request's body and cache key are kept, so the `client.preCheck(request)` of the same request
 * object that follows does not compute them again. Undefined for a client without the method.
 */
export function peekDecision(
  client: AxonFlowClient,
  request: PreCheckRequest,
): PreCheckResult | undefined {
  const peek = (client as Peekable)[PEEK_DECISION];
  return typeof peek === 'function' ? peek.call(client, request) : undefined;
}
