/**
 * Transport to the AxonFlow agent (and, for the heartbeat, to the checkpoint): one undici
 * keep-alive pool per origin, one overall deadline per request (connect, headers and the whole
 * body), a cap on the reply size, and JSON parsing that refuses prototype-polluting keys. It only
 * moves bytes and classifies transport failures; what a status code means is decided by the client.
 *
 * The reply cap is undici's own `maxResponseSize`, which counts the body as it arrives and destroys
 * the connection past the cap (`UND_ERR_RES_EXCEEDED_MAX_SIZE`, turned into `InvalidResponseError`
 * "reply too large"). undici does not look at a declared `content-length`, so a reply that declares
 * more than the cap is refused here, at its headers, without waiting for its body. Streamed
 * replies (`openStream`) go through a second pool without that cap (a stream lives as long as the
 * model writes); a stream's non-stream answer is read with the cap by `readReply`.
 *
 * Requests run with OpenTelemetry tracing suppressed, so an app that also uses the HTTP or undici
 * instrumentations does not get a span (or a loop) for our own calls to the agent.
 */
import { Socket } from 'node:net';
import { type Context, context, propagation } from '@opentelemetry/api';
import { suppressTracing, unsuppressTracing } from '@opentelemetry/core';
import secureJson from 'secure-json-parse';
import { buildConnector, type Dispatcher, Pool } from 'undici';
import {
  ErrorCode,
  errorCode,
  InvalidResponseError,
  TimeoutError,
  UnavailableError,
} from './errors/index.js';

/** Code of undici's `ResponseExceededMaxSizeError`: the body went over `maxResponseSize`. */
const UNDICI_REPLY_TOO_LARGE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';

export interface AgentReply {
  status: number;
  /** Parsed JSON, or `undefined` for an empty or non-JSON body. */
  body: unknown;
  /** True when the body was not empty but not valid (or not safe) JSON. */
  invalidJson: boolean;
}

/** A request body already serialised (e.g. to measure it first): sent as is. */
export class JsonText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** Abort reason of a call that waited too long for a free connection (see `queueTimeoutMs`). */
export const QUEUE_TIMEOUT = Symbol('axonflow.queue-timeout');

/** Request option read by `onDispatched`: called when the request is written to a connection. */
interface DispatchNotice {
  onDispatched?: () => void;
}

/**
 * undici interceptor that tells the caller when its request leaves the pool's queue and is
 * written to a connection (the handler's `onRequestStart`), so that a call's deadline can measure
 * the agent rather than our own queue.
 */
function dispatchNotice(dispatch: Dispatcher['dispatch']): Dispatcher['dispatch'] {
  return (opts, handler) => {
    const onDispatched = (opts as DispatchNotice).onDispatched;
    if (onDispatched === undefined) return dispatch(opts, handler);
    return dispatch(opts, {
      ...handlerMethods(handler),
      onRequestStart(controller, context) {
        onDispatched();
        return handler.onRequestStart?.(controller, context);
      },
    });
  };
}

/** The handler's callbacks, bound, so one can be replaced and the rest forwarded. */
function handlerMethods(handler: Dispatcher.DispatchHandler): Dispatcher.DispatchHandler {
  const forwarded: Record<string, unknown> = {};
  for (const name of [
    'onRequestStart',
    'onRequestUpgrade',
    'onResponseStart',
    'onResponseData',
    'onResponseEnd',
    'onResponseError',
    'onRequestSent',
  ] as const) {
    const method = handler[name as keyof Dispatcher.DispatchHandler];
    if (typeof method === 'function') forwarded[name] = method.bind(handler);
  }
  return forwarded as Dispatcher.DispatchHandler;
}

/** Trace context headers a request may carry to the agent; baggage stays in the app. */
const TRACE_HEADERS = ['traceparent', 'tracestate'];

/**
 * `headers` plus the W3C trace context of `ctx`, through the global propagator (none configured,
 * or tracing suppressed: `headers` unchanged), so the agent's decision joins the app's trace.
 */
function withTraceContext(headers: Record<string, string>, ctx: Context): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (carrier.traceparent === undefined) return headers;
  const merged = { ...headers };
  for (const name of TRACE_HEADERS) {
    const value = carrier[name];
    if (value !== undefined) merged[name] = value;
  }
  return merged;
}

export interface TransportOptions {
  origin: string;
  connections: number;
  maxResponseBytes: number;
  headers: Record<string, string>;
  /** Path prefix of the endpoint URL (e.g. `/agent`), without a trailing slash. */
  basePath: string;
  /**
   * Sockets that never keep the process alive, not even while a request is in flight (the
   * heartbeat): a process with nothing else to do exits, and the request is simply not made.
   */
  unref?: boolean;
}

export class AgentTransport {
  readonly #options: TransportOptions;
  readonly #pool: Dispatcher;
  /** The pool of streamed requests, without the reply cap; made on the first stream. */
  #streams: Dispatcher | undefined;
  readonly #maxBytes: number;
  readonly #headers: Record<string, string>;
  readonly #basePath: string;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#pool = makePool(options, options.maxResponseBytes);
    this.#maxBytes = options.maxResponseBytes;
    this.#headers = options.headers;
    this.#basePath = options.basePath;
  }

  /** Sends one request; rejects with `TimeoutError`, `UnavailableError` or `InvalidResponseError`. */
  send(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    deadline: AbortSignal,
    timeoutMs: number,
    onDispatched?: () => void,
  ) {
    // Trace context first, from the caller's context (the pre-check or audit span, whose caller
    // may already have suppressed tracing), then tracing suppressed, so that an HTTP or undici
    // instrumentation neither traces the call nor injects a second `traceparent`.
    const headers = withTraceContext(this.#headers, unsuppressTracing(context.active()));
    return context.with(suppressTracing(context.active()), () =>
      this.#send(method, path, body, deadline, timeoutMs, onDispatched, headers),
    );
  }

  async #send(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    deadline: AbortSignal,
    timeoutMs: number,
    onDispatched: (() => void) | undefined,
    headers: Record<string, string>,
  ): Promise<AgentReply> {
    // Set when the headers arrive, before any body byte can go over the cap.
    let status = 0;
    const chunks: Buffer[] = [];
    try {
      const res = await this.#pool.request({
        method,
        path: this.#basePath + path,
        headers,
        body:
          body === undefined ? null : body instanceof JsonText ? body.text : JSON.stringify(body),
        signal: deadline,
        ...(onDispatched ? { onDispatched } : {}),
      } as Dispatcher.RequestOptions);
      status = res.statusCode;
      const declared = Number(res.headers['content-length']);
      if (declared > this.#maxBytes) {
        res.body.destroy();
        throw new InvalidResponseError(
          `AxonFlow agent reply too large (${declared} bytes > ${this.#maxBytes})`,
          { status },
        );
      }
      // The pool's `maxResponseSize` ends the body with an error past the cap.
      for await (const chunk of res.body as AsyncIterable<Buffer>) chunks.push(chunk);
    } catch (err) {
      const code = errorCode(err);
      if (code === ErrorCode.INVALID_RESPONSE) throw err;
      if (code === UNDICI_REPLY_TOO_LARGE) {
        throw new InvalidResponseError(
          `AxonFlow agent reply too large (over ${this.#maxBytes} bytes)`,
          { status },
        );
      }
      if (deadline.aborted && deadline.reason === QUEUE_TIMEOUT) {
        throw new UnavailableError(
          'queue_timeout',
          'no free connection to the AxonFlow agent in time (raise AXONFLOW_CONNECTIONS or AXONFLOW_QUEUE_TIMEOUT_MS)',
          { cause: err },
        );
      }
      if (deadline.aborted) throw new TimeoutError(timeoutMs, { cause: err });
      throw new UnavailableError(
        'network',
        `AxonFlow agent unreachable: ${describeNetworkError(err)}`,
        {
          cause: err,
        },
      );
    }
    return parseReply(status, chunks);
  }

  /**
   * Opens a streamed request and returns as soon as the headers arrive: `headersTimeoutMs` bounds
   * the wait for them, `signal` the whole stream. The caller owns (and must consume or destroy)
   * the body.
   */
  openStream(
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
    headersTimeoutMs: number,
  ) {
    return context.with(suppressTracing(context.active()), async () => {
      const headersDeadline = AbortSignal.timeout(headersTimeoutMs);
      const combined = signal ? AbortSignal.any([signal, headersDeadline]) : headersDeadline;
      // Only the wait for headers is bounded by the deadline; the body lives as long as `signal`.
      const controller = new AbortController();
      const onAbort = () => controller.abort(combined.reason);
      combined.addEventListener('abort', onAbort, { once: true });
      try {
        this.#streams ??= makePool(this.#options, undefined);
        const res = await this.#streams.request({
          method: 'POST',
          path: this.#basePath + path,
          headers: { ...this.#headers, accept: 'text/event-stream, application/json' },
          body: JSON.stringify(body),
          signal: controller.signal,
        });
        combined.removeEventListener('abort', onAbort);
        if (signal)
          signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
        return res;
      } catch (err) {
        combined.removeEventListener('abort', onAbort);
        if (headersDeadline.aborted) throw new TimeoutError(headersTimeoutMs, { cause: err });
        if (signal?.aborted) throw err;
        throw new UnavailableError(
          'network',
          `AxonFlow agent unreachable: ${describeNetworkError(err)}`,
          {
            cause: err,
          },
        );
      }
    });
  }

  /**
   * Reads a whole (non-streamed) reply body of the stream pool with the size cap, e.g. an error
   * answer to a stream. Counted here: the stream pool has no `maxResponseSize`.
   */
  async readReply(
    status: number,
    body: AsyncIterable<Buffer> & { destroy(): unknown },
  ): Promise<AgentReply> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > this.#maxBytes) {
        body.destroy();
        throw new InvalidResponseError(
          `AxonFlow agent reply too large (over ${this.#maxBytes} bytes)`,
          { status },
        );
      }
      chunks.push(chunk);
    }
    return parseReply(status, chunks);
  }

  async close(): Promise<void> {
    await Promise.all([this.#pool.close(), this.#streams?.close()]);
  }

  async destroy(): Promise<void> {
    await Promise.all([this.#pool.destroy(), this.#streams?.destroy()]);
  }
}

/** A pool to `options.origin`; `maxResponseSize` caps every reply body when given. */
function makePool(options: TransportOptions, maxResponseSize: number | undefined): Dispatcher {
  return new Pool(options.origin, {
    connections: options.connections,
    keepAliveTimeout: 30_000,
    // The overall deadline is enforced by the abort signal; these are only backstops.
    headersTimeout: 300_000,
    bodyTimeout: 300_000,
    ...(maxResponseSize === undefined ? {} : { maxResponseSize }),
    ...(options.unref ? { connect: unrefConnector() } : {}),
  }).compose(dispatchNotice);
}

/**
 * undici's connector, with every socket unref'd for good: undici refs a socket while it has a
 * request in flight, so `ref` is made a no-op on these sockets.
 */
function unrefConnector(): buildConnector.connector {
  const connect = buildConnector({}) as (...args: Parameters<buildConnector.connector>) => unknown;
  return (options, callback) => {
    const socket = connect(options, callback);
    if (socket instanceof Socket) {
      socket.unref();
      socket.ref = () => socket;
    }
  };
}

/** The reply's JSON; whether an unreadable body is a problem depends on the status: the client decides. */
function parseReply(status: number, chunks: readonly Buffer[]): AgentReply {
  if (chunks.length === 0) return { status, body: undefined, invalidJson: false };
  const text =
    chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
  try {
    const body = secureJson.parse(text, undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    });
    return { status, body, invalidJson: false };
  } catch {
    return { status, body: undefined, invalidJson: true };
  }
}

/** A short, secret-free description of a network error: its code, never a URL with userinfo. */
function describeNetworkError(err: unknown): string {
  if (err && typeof err === 'object') {
    const code = (err as { code?: unknown }).code;
    const cause = (err as { cause?: { code?: unknown } }).cause;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    if (cause && typeof cause.code === 'string') return cause.code;
    if (typeof code === 'string') return code;
  }
  return 'connection failed';
}
