/**
 * Transport to the AxonFlow agent: one undici keep-alive pool per client, one overall deadline per
 * request (connect, headers and the whole body), a cap on the reply size, and JSON parsing that
 * refuses prototype-polluting keys. It only moves bytes and classifies transport failures; what a
 * status code means is decided by the client.
 *
 * Requests run with OpenTelemetry tracing suppressed, so an app that also uses the HTTP or undici
 * instrumentations does not get a span (or a loop) for our own calls to the agent.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import secureJson from 'secure-json-parse';
import { type Dispatcher, Pool } from 'undici';
import { InvalidResponseError, TimeoutError, UnavailableError } from './errors.js';

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

export interface TransportOptions {
  origin: string;
  connections: number;
  maxResponseBytes: number;
  headers: Record<string, string>;
  /** Path prefix of the endpoint URL (e.g. `/agent`), without a trailing slash. */
  basePath: string;
}

export class AgentTransport {
  readonly #pool: Dispatcher;
  readonly #maxBytes: number;
  readonly #headers: Record<string, string>;
  readonly #basePath: string;

  constructor(options: TransportOptions) {
    this.#pool = new Pool(options.origin, {
      connections: options.connections,
      keepAliveTimeout: 30_000,
      // The overall deadline is enforced by the abort signal; these are only backstops.
      headersTimeout: 300_000,
      bodyTimeout: 300_000,
    }).compose(dispatchNotice);
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
    return context.with(suppressTracing(context.active()), () =>
      this.#send(method, path, body, deadline, timeoutMs, onDispatched),
    );
  }

  async #send(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    deadline: AbortSignal,
    timeoutMs: number,
    onDispatched: (() => void) | undefined,
  ): Promise<AgentReply> {
    let status: number;
    let chunks: Buffer[];
    try {
      const res = await this.#pool.request({
        method,
        path: this.#basePath + path,
        headers: this.#headers,
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
      chunks = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.#maxBytes) {
          res.body.destroy();
          throw new InvalidResponseError(
            `AxonFlow agent reply too large (over ${this.#maxBytes} bytes)`,
            { status },
          );
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof InvalidResponseError) throw err;
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
      // Whether that is a problem depends on the status (a 503 page need not be JSON): the client decides.
      return { status, body: undefined, invalidJson: true };
    }
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
        const res = await this.#pool.request({
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

  /** Reads a whole (non-streamed) reply body with the size cap, e.g. an error answer to a stream. */
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
    if (chunks.length === 0) return { status, body: undefined, invalidJson: false };
    try {
      const parsed = secureJson.parse(Buffer.concat(chunks).toString('utf8'), undefined, {
        protoAction: 'error',
        constructorAction: 'error',
      });
      return { status, body: parsed, invalidJson: false };
    } catch {
      return { status, body: undefined, invalidJson: true };
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }

  destroy(): Promise<void> {
    return this.#pool.destroy();
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
