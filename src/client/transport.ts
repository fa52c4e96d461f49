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
 *
 * A single reply is read by a dispatch handler of our own (`ReplyHandler`) rather than through
 * `Pool.request`: no body stream, no async iteration, no abort-signal listener inside undici. The
 * pre-check sits on the app's request path, and those layers were most of our cost per call.
 * The deadline is a `Deadline`, which tells the one request in flight when it passes.
 */
import { Socket } from 'node:net';
import { type Context, context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing, unsuppressTracing } from '@opentelemetry/core';
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

/** Told when a call's deadline passes (the request in flight, or the pause between attempts). */
export interface DeadlineListener {
  onDeadline(reason: unknown): void;
}

/**
 * A call's deadline: aborted once, with a reason, and telling the one listener set at the time
 * (a call makes one request, or waits between two, at a time). An AbortSignal would do, but
 * costs an EventTarget per call and a listener registration per request on the hot path.
 *
 * The transport calls `dispatched` when a request is written to a connection and `queued` when
 * it had to wait for one, so that a subclass can measure the agent rather than our own queue.
 */
export class Deadline {
  aborted = false;
  reason: unknown = undefined;
  #listener: DeadlineListener | undefined = undefined;

  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.onDeadline(reason);
  }

  /** Sets the listener; called at once when the deadline has already passed. */
  listen(listener: DeadlineListener): void {
    if (this.aborted) listener.onDeadline(this.reason);
    else this.#listener = listener;
  }

  unlisten(listener: DeadlineListener): void {
    if (this.#listener === listener) this.#listener = undefined;
  }

  /** A request of the call was written to a connection. */
  dispatched(): void {}

  /** A request of the call waits in the pool's queue for a connection. */
  queued(): void {}

  /** A deadline that follows `signal` (`detach` stops following it). */
  static of(signal: AbortSignal): { deadline: Deadline; detach: () => void } {
    const deadline = new Deadline();
    if (signal.aborted) {
      deadline.abort(signal.reason);
      return { deadline, detach: () => undefined };
    }
    const onAbort = () => deadline.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    return { deadline, detach: () => signal.removeEventListener('abort', onAbort) };
  }
}

/** The root context with tracing suppressed: made once, it is the usual one outside any span. */
const SUPPRESSED_ROOT = suppressTracing(ROOT_CONTEXT);

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
    deadline: Deadline | AbortSignal,
    timeoutMs: number,
    onDispatched?: () => void,
  ): Promise<AgentReply> {
    if (!(deadline instanceof Deadline)) {
      const followed = Deadline.of(deadline);
      return this.send(method, path, body, followed.deadline, timeoutMs, onDispatched).finally(
        followed.detach,
      );
    }
    // Trace context first, from the caller's context (the pre-check or audit span, whose caller
    // may already have suppressed tracing), then tracing suppressed, so that an HTTP or undici
    // instrumentation neither traces the call nor injects a second `traceparent`. A context is
    // made only when it changes anything (each one copies the context's map).
    const active = context.active();
    const suppressed = isTracingSuppressed(active);
    const headers = withTraceContext(
      this.#headers,
      suppressed ? unsuppressTracing(active) : active,
    );
    let text: string | null;
    try {
      text =
        body === undefined ? null : body instanceof JsonText ? body.text : JSON.stringify(body);
    } catch (err) {
      // As before this handler: a body JSON cannot carry fails the request, classified as such.
      return Promise.reject(
        new UnavailableError(
          'network',
          `AxonFlow agent unreachable: ${describeNetworkError(err)}`,
          { cause: err },
        ),
      );
    }
    const call = new ReplyHandler(this.#maxBytes, deadline, timeoutMs, onDispatched);
    const options: Dispatcher.DispatchOptions = {
      method,
      path: this.#basePath + path,
      headers,
      body: text,
    };
    if (suppressed) this.#dispatch(options, call);
    else {
      const quiet = active === ROOT_CONTEXT ? SUPPRESSED_ROOT : suppressTracing(active);
      context.with(quiet, this.#dispatch, this, options, call);
    }
    return call.reply;
  }

  #dispatch(options: Dispatcher.DispatchOptions, call: ReplyHandler): void {
    // A deadline already passed settles the call here, and nothing is sent.
    if (!call.listen()) return;
    this.#pool.dispatch(options, call);
    // A free connection takes the request at once (`onRequestStart` has run by now); otherwise
    // it waits in the pool's queue, or for a new connection.
    if (!call.started) call.waiting();
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
  });
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

/**
 * One request's reply, read whole: undici's dispatch handler interface, settling `reply` once,
 * at the first of the end of the body, a failure, or the call's deadline. The deadline settles
 * the call at once, even while the request still waits for a connection (it is then aborted when
 * it gets one, before anything is written).
 */
class ReplyHandler implements Dispatcher.DispatchHandler, DeadlineListener {
  readonly reply: Promise<AgentReply>;
  /** Set once `onRequestStart` ran: the request was written to a connection. */
  started = false;
  #resolve!: (reply: AgentReply) => void;
  #reject!: (err: unknown) => void;
  #settled = false;
  #controller: Dispatcher.DispatchController | undefined = undefined;
  #status = 0;
  /** The body: most replies arrive in one chunk, so an array is made only for a second. */
  #chunk: Buffer | undefined = undefined;
  #chunks: Buffer[] | undefined = undefined;
  readonly #maxBytes: number;
  readonly #deadline: Deadline;
  readonly #timeoutMs: number;
  readonly #onDispatched: (() => void) | undefined;

  constructor(
    maxBytes: number,
    deadline: Deadline,
    timeoutMs: number,
    onDispatched: (() => void) | undefined,
  ) {
    this.#maxBytes = maxBytes;
    this.#deadline = deadline;
    this.#timeoutMs = timeoutMs;
    this.#onDispatched = onDispatched;
    this.reply = new Promise<AgentReply>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Follows the deadline; false when it has already passed (and the call is settled). */
  listen(): boolean {
    this.#deadline.listen(this);
    return !this.#settled;
  }

  waiting(): void {
    if (!this.#settled) this.#deadline.queued();
  }

  onDeadline(reason: unknown): void {
    if (this.#settled) return;
    this.#fail(undefined);
    this.#controller?.abort(reason instanceof Error ? reason : new DeadlineError());
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#settled) {
      controller.abort(new DeadlineError());
      return;
    }
    this.started = true;
    this.#controller = controller;
    this.#deadline.dispatched();
    this.#onDispatched?.();
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200 || this.#settled) return; // 1xx: informational, the reply follows
    this.#status = statusCode;
    // undici does not look at a declared length: refused here, before any body byte.
    const declared = Number(headers['content-length']);
    if (declared > this.#maxBytes) {
      const err = new InvalidResponseError(
        `AxonFlow agent reply too large (${declared} bytes > ${this.#maxBytes})`,
        { status: statusCode },
      );
      this.#fail(err);
      controller.abort(err);
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#settled) return;
    if (this.#chunk === undefined) this.#chunk = chunk;
    else if (this.#chunks === undefined) this.#chunks = [this.#chunk, chunk];
    else this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#deadline.unlisten(this);
    const chunks = this.#chunks ?? (this.#chunk === undefined ? [] : [this.#chunk]);
    this.#resolve(parseReply(this.#status, chunks));
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#settled) return;
    this.#fail(err);
  }

  /**
   * Rejects with `err` classified: ours as they are, the pool's size cap as "reply too large",
   * anything while the deadline has passed as the deadline (queue or agent), the rest as network.
   */
  #fail(err: unknown): void {
    this.#settled = true;
    this.#deadline.unlisten(this);
    const deadline = this.#deadline;
    const status = this.#status;
    let failure: unknown;
    if (err !== undefined && errorCode(err) === ErrorCode.INVALID_RESPONSE) failure = err;
    else if (err !== undefined && errorCode(err) === UNDICI_REPLY_TOO_LARGE) {
      failure = new InvalidResponseError(
        `AxonFlow agent reply too large (over ${this.#maxBytes} bytes)`,
        { status },
      );
    } else if (deadline.aborted && deadline.reason === QUEUE_TIMEOUT) {
      failure = new UnavailableError(
        'queue_timeout',
        'no free connection to the AxonFlow agent in time (raise AXONFLOW_CONNECTIONS or AXONFLOW_QUEUE_TIMEOUT_MS)',
        { cause: err ?? deadline.reason },
      );
    } else if (deadline.aborted) {
      failure = new TimeoutError(this.#timeoutMs, { cause: err ?? deadline.reason });
    } else {
      failure = new UnavailableError(
        'network',
        `AxonFlow agent unreachable: ${describeNetworkError(err)}`,
        { cause: err },
      );
    }
    this.#reject(failure);
  }
}

/** The abort reason given to undici when a call's deadline passes. */
class DeadlineError extends Error {
  constructor() {
    super('the call deadline passed');
    this.name = 'AbortError';
  }
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
