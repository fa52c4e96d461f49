/**
 * The one retry delay of this package: exponential backoff with full jitter, used by the client
 * (retries within a call's deadline, `retry.initialDelayMs`/`retry.maxDelayMs`, 50 ms and 1 s by
 * default) and by the audit span processor (retries of one audit record within
 * `exportTimeoutMillis`, 100 ms and 2 s).
 *
 * The `attempt`-th retry (1 for the first) waits a uniformly random time in
 * `[0, min(maxMs, initialMs * 2 ** (attempt - 1)))`: the ceiling doubles per retry from `initialMs`
 * up to `maxMs` (the cap), and the delay is drawn below it ("full jitter"), so callers that failed
 * together (the calls and records of one outage) do not retry together against a recovering agent.
 */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay, in ms. */
  initialMs: number;
  /** Largest ceiling, in ms: no delay reaches it. */
  maxMs: number;
}

/** `Math.random`-like: a number in `[0, 1)`. Injected by tests. */
export type Random = () => number;

/** The ceiling of the `attempt`-th retry's delay: `min(maxMs, initialMs * 2 ** (attempt - 1))`. */
export function backoffCeiling(attempt: number, options: BackoffOptions): number {
  // The exponent is bounded so the product stays finite (the cap is reached long before).
  const exponent = Math.min(52, Math.max(0, Math.floor(attempt) - 1));
  return Math.max(0, Math.min(options.maxMs, options.initialMs * 2 ** exponent));
}

/** The delay before the `attempt`-th retry (1 for the first), in ms: full jitter under the ceiling. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: Random = Math.random,
): number {
  const draw = random();
  // A broken source (NaN, 1, negative) must not make a delay reach or pass its ceiling.
  const unit = draw >= 0 && draw < 1 ? draw : 0;
  return unit * backoffCeiling(attempt, options);
}
