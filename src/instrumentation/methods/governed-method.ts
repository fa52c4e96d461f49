/**
 * The patch layer for clients whose model requests each go through one async method (the
 * `@google/genai` models module, `@mistralai/mistralai`, `cohere-ai`), and for middleware that
 * sees a request before it is sent (the AWS SDK's middleware stack): `governRequest` runs one
 * model request through the decision pipeline. The request is checked before the original method
 * (or the next middleware) runs, so a denied request never leaves the process; the result, or
 * the stream it yields, is read as it passes; the client's own objects are returned.
 *
 * Unlike the Stainless layer, the body is read from the method's arguments when the method is
 * called: it is snapshot for the check, and the original runs right after the decision, in the
 * same task, so the app cannot change it in between (a concurrent task that mutates the same
 * objects could; see the README's limits).
 *
 * `governOwnMethod` is the explicit API's counterpart of the hooks' prototype wrapping: the same
 * governed method, defined on one object only.
 */
import { type Attributes, context } from '@opentelemetry/api';
import type { CallAdapter } from '../../adapters/adapter.js';
import { notice } from '../../notices/index.js';
import type { CallEnvironment, GovernedCall } from '../../pipeline/governed-call.js';
import { GovernedCall as Call } from '../../pipeline/governed-call.js';
import { ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '../../semconv/index.js';
import type { AnyFunction } from './families.js';

export interface GovernedRequest<T> {
  env: CallEnvironment;
  adapter: CallAdapter;
  /** What the adapter reads: the request's parameters. */
  body: unknown;
  /** `server.address` / `server.port`, when the client's endpoint is known. */
  server?: Attributes;
  /** Sends the request: the original method, or the next middleware. */
  send(): Promise<T>;
  /**
   * What to read of the result: the result itself (a complete response), or a stream to watch
   * (an async iterable the result holds, whose items are the chunks). Undefined: the result is
   * the response.
   */
  streamOf?(result: T): AsyncIterable<unknown> | undefined;
  /** The response data inside the result, when the result wraps it (`{ data, rawResponse }`). */
  dataOf?(result: T): unknown;
}

/**
 * `server.address` / `server.port` of a client's endpoint, when it is known without I/O: a URL
 * string, a `URL`, or a URL-like object (`{ hostname, port, protocol }`, or `{ url }` holding
 * one). Undefined otherwise: the attributes are optional.
 */
export function serverAttributes(endpoint: unknown): Attributes | undefined {
  let url: { hostname?: unknown; port?: unknown; protocol?: unknown } | undefined;
  if (typeof endpoint === 'string') {
    try {
      url = new URL(endpoint);
    } catch {
      return undefined;
    }
  } else if (endpoint !== null && typeof endpoint === 'object') {
    const e = endpoint as { url?: unknown };
    url = (e.url instanceof URL ? e.url : endpoint) as typeof url;
  }
  if (typeof url?.hostname !== 'string' || url.hostname === '') return undefined;
  const port = Number(url.port);
  return {
    [ATTR_SERVER_ADDRESS]: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    [ATTR_SERVER_PORT]: port > 0 ? port : url.protocol === 'http:' ? 80 : 443,
  };
}

/**
 * Runs one model request through the pipeline: the call span, the pre-check and gate (a deny
 * rejects with `PolicyViolationError` and `send` never runs), then `send()` under the call's
 * context, and the result or stream read as it passes. Our own failures fall back to `send()`.
 */
export async function governRequest<T>(request: GovernedRequest<T>): Promise<T> {
  let call: GovernedCall;
  try {
    call = new Call(request.env, request.adapter, request.body, {
      parent: context.active(),
      startTime: performance.now(),
      server: request.server ?? {},
      usageOnClientSpan: false,
    });
  } catch (err) {
    request.env.diag.error(
      'axonflow-otel: could not start the call span; request sent untouched',
      err,
    );
    notice(
      'ungoverned:unreadable-request',
      `an ${request.adapter.provider} ${request.adapter.operation} request could not be read, so it was sent NOT governed (never breaking the app comes first). Report the request shape to axonflow-otel.`,
    );
    return request.send();
  }
  try {
    // The body is read from a snapshot inside a holder of ours, which the client does not send:
    // the app's objects stay as they are.
    // Awaited only when the decision is pending: a call decided at once (a cached decision,
    // governance off) goes on in the same tick.
    const gate = call.enterGate({ body: request.body }, false);
    if (gate !== undefined) await gate;
  } catch (err) {
    call.end(err);
    throw err;
  }
  let result: T;
  try {
    result = await context.with(call.context, request.send);
  } catch (err) {
    call.end(err);
    throw err;
  }
  try {
    call.responded();
    const stream = request.streamOf?.(result);
    if (stream !== undefined) watchStream(stream, call);
    else call.result(request.dataOf ? request.dataOf(result) : result);
  } catch (err) {
    request.env.diag.error('axonflow-otel: could not read the response', err);
    call.end();
  }
  return result;
}

/**
 * Watches an async iterable the client returned, in place, so its class and other members stay:
 * an async generator (an iterator itself) gets its own `next` / `return` / `throw`; another
 * iterable gets its own `[Symbol.asyncIterator]`, whose iterators are watched the same way. Each
 * chunk is read as the consumer receives it, and the call ends once: at the end, on an error, or
 * when the consumer stops early. It never reads ahead.
 */
export function watchStream(stream: AsyncIterable<unknown>, call: GovernedCall): void {
  if (typeof (stream as Partial<AsyncIterator<unknown>>).next === 'function') {
    watchIterator(stream as unknown as AsyncIterator<unknown>, call);
    return;
  }
  const original = stream[Symbol.asyncIterator];
  if (typeof original !== 'function') {
    call.end();
    return;
  }
  own(stream, Symbol.asyncIterator, function asyncIterator(this: unknown) {
    const iterator = original.call(this);
    watchIterator(iterator, call);
    return iterator;
  });
}

function own(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { configurable: true, writable: true, value });
}

function watchIterator(iterator: AsyncIterator<unknown>, call: GovernedCall): void {
  const { next, return: stop, throw: fail } = iterator;
  own(iterator, 'next', function next_(this: unknown, ...args: [] | [unknown]) {
    return next.apply(this, args).then(
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
  });
  own(iterator, 'return', function return_(this: unknown, value?: unknown) {
    call.end(undefined, true);
    return typeof stop === 'function'
      ? stop.call(this, value)
      : Promise.resolve({ done: true as const, value });
  });
  own(iterator, 'throw', function throw_(this: unknown, err?: unknown) {
    call.end(err);
    return typeof fail === 'function' ? fail.call(this, err) : Promise.reject(err);
  });
}

/**
 * Defines `govern(original)` as an own property `name` of one object (a client, or one of its
 * sub-clients), so that only this object is governed: its class, and every other instance, stay
 * as they were. Nothing changes when the method found there is already governed, by an earlier
 * call (our own property) or by a module hook (its class's method, wrapped): one span and one
 * pre-check per call. The marks are the ones the hooks' wrapper leaves (`__wrapped`,
 * `__original`), so either build of this package (CommonJS, ES module) recognises them.
 *
 * @returns false when the object has no such method (nothing is changed).
 */
export function governOwnMethod(
  target: unknown,
  name: string,
  govern: (original: AnyFunction) => AnyFunction,
): boolean {
  if (target === null || typeof target !== 'object') return false;
  const current = (target as Record<string, unknown>)[name];
  if (typeof current !== 'function') return false;
  if ((current as { __wrapped?: unknown }).__wrapped === true) return true;
  const governed = govern(current as AnyFunction);
  Object.defineProperty(governed, '__original', { value: current });
  Object.defineProperty(governed, '__wrapped', { value: true });
  Object.defineProperty(target, name, { value: governed, configurable: true, writable: true });
  return true;
}
