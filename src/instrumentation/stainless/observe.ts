/**
 * Watching what a Stainless-generated client returns, without consuming it: the `APIPromise`
 * (its `responsePromise`, its `parseResponse`, which runs only when the app reads the result,
 * `_thenUnwrap`, which SDK helpers chain, and `asResponse()`, raw access) and the `Stream` of a
 * streamed result (its `iterator`). These are the SDK family's private members; this file and
 * `request-hook.ts` are the only places that touch them, and `test/instrumentation/sdk-privates.test.ts`
 * checks, for every supported SDK line, that they are still there.
 */
import type { GovernedCall } from '../../pipeline/governed-call.js';

const wrappedStreams = new WeakSet<object>();

/** What the observers need of a request: its call, once the gate has created one. */
export interface ObservedRequest {
  call: GovernedCall | undefined;
  /** The app asked for the raw response only (`asResponse()` before any parse). */
  rawOnly: boolean;
  /** The client's result objects were of a shape we do not know: the call ends at the gate. */
  unobservable: boolean;
}

/** The private members of an `APIPromise` the observers use; empty when all are there. */
export function apiPromiseProblems(promise: unknown): string[] {
  const p = promise as Record<string, any> | undefined;
  const problems: string[] = [];
  if (typeof p?.responsePromise?.then !== 'function') problems.push('APIPromise.responsePromise');
  if (typeof p?.parseResponse !== 'function') problems.push('APIPromise.parseResponse');
  if (typeof p?._thenUnwrap !== 'function') problems.push('APIPromise._thenUnwrap');
  if (typeof p?.asResponse !== 'function') problems.push('APIPromise.asResponse');
  return problems;
}

/** A parsed result that is the SDK's `Stream` (its `iterator` is what `tee()` and helpers call). */
export function isStream(
  data: unknown,
): data is { iterator: (...args: unknown[]) => AsyncIterator<unknown> } {
  const d = data as Record<PropertyKey, unknown> | null | undefined;
  return typeof d?.iterator === 'function' && typeof d?.[Symbol.asyncIterator] === 'function';
}

/**
 * Watches an `APIPromise`: errors and the response's arrival through `responsePromise`, results
 * through `parseResponse`. Returns false when the promise is of a shape we do not know.
 */
export function observeApiPromise(
  promise: any,
  request: ObservedRequest,
  onResponse: (props: unknown) => void,
): boolean {
  const responsePromise = promise?.responsePromise;
  if (typeof responsePromise?.then !== 'function' || typeof promise?.parseResponse !== 'function') {
    return false;
  }
  responsePromise.then(onResponse, (err: unknown) => request.call?.end(err));
  observeResult(promise, request);
  return true;
}

/**
 * Wraps a promise's `parseResponse`, `_thenUnwrap` (each promise it derives is watched the same
 * way: `chat.completions.parse()`, `responses.create()` and `responses.stream()` chain it) and
 * `asResponse`. The first parse that yields data ends the call; later ones find it ended.
 */
function observeResult(promise: any, request: ObservedRequest): void {
  const parse = promise?.parseResponse;
  if (typeof parse !== 'function') return;
  const onData = (data: unknown): unknown => {
    const call = request.call;
    if (call !== undefined && !call.ended) {
      if (isStream(data)) wrapStream(data, call);
      else call.result(data);
    }
    return data;
  };
  const onError = (err: unknown): never => {
    request.call?.end(err);
    throw err;
  };
  // Not an `async` wrapper: the SDK's own promise is chained once, without the extra promise and
  // microtask hops of an `await`, and is what the caller gets back (a plain value stays plain).
  promise.parseResponse = function parseResponse(this: unknown, ...args: unknown[]) {
    let parsed: unknown;
    try {
      parsed = parse.apply(this, args);
    } catch (err) {
      return onError(err);
    }
    return typeof (parsed as PromiseLike<unknown> | undefined)?.then === 'function'
      ? (parsed as PromiseLike<unknown>).then(onData, onError)
      : onData(parsed);
  };
  const thenUnwrap = promise._thenUnwrap;
  if (typeof thenUnwrap === 'function') {
    promise._thenUnwrap = function _thenUnwrap(this: unknown, ...args: unknown[]) {
      const next = thenUnwrap.apply(this, args);
      try {
        observeResult(next, request);
      } catch {
        // Observation is best effort; the SDK's promise is returned either way.
      }
      return next;
    };
  }
  const asResponse = promise.asResponse;
  if (typeof asResponse === 'function') {
    promise.asResponse = function asResponse_(
      this: { parsedPromise?: unknown },
      ...args: unknown[]
    ) {
      // `withResponse()` parses first, then asks for the response: that is not raw-only.
      if (this?.parsedPromise === undefined) {
        request.rawOnly = true;
        request.call?.rawResponseOnly();
      }
      return asResponse.apply(this, args);
    };
  }
}

/**
 * Wraps the SDK stream's `iterator` (not `Symbol.asyncIterator`: `tee()` and the SDK's own helpers
 * call `iterator` directly). The wrapper reads each chunk as it passes and ends the call when the
 * stream is done, fails, or the consumer stops; it never reads ahead.
 */
function wrapStream(
  stream: { iterator: (...args: unknown[]) => AsyncIterator<unknown> },
  call: GovernedCall,
): void {
  // A derived promise's parse returns the stream its base already parsed (openai 6 chains
  // `_thenUnwrap` on `responses.create()`): wrapped once, each chunk is read once.
  if (wrappedStreams.has(stream)) return;
  wrappedStreams.add(stream);
  const original = stream.iterator;
  stream.iterator = function iterator(this: unknown, ...args: unknown[]) {
    const inner = original.apply(this, args);
    return {
      next(...nextArgs: [] | [unknown]) {
        return inner.next(...nextArgs).then(
          result => {
            if (result.done) call.end();
            else call.chunk(result.value);
            return result;
          },
          (err: unknown) => {
            call.end(err);
            throw err;
          },
        );
      },
      return(value?: unknown) {
        call.end(undefined, true);
        return typeof inner.return === 'function'
          ? inner.return(value)
          : Promise.resolve({ done: true as const, value });
      },
      throw(err?: unknown) {
        call.end(err);
        return typeof inner.throw === 'function' ? inner.throw(err) : Promise.reject(err);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  };
}
