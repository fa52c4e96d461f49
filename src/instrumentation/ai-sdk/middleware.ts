/**
 * The Vercel AI SDK middlewares (ai 5, 6 and 7, any provider): each model call the wrapped model
 * makes (`doGenerate`, `doStream`, `doEmbed`) goes through the decision pipeline (`GovernedCall`):
 * its `chat {model}` (or `embeddings {model}`) span, the pre-check, the gate, and, once the model
 * answered, the response read by the adapter (`src/adapters/ai-sdk-*.ts`), metrics and audit.
 *
 * A deny rejects the wrapped `doGenerate` / `doStream` / `doEmbed` with `PolicyViolationError`
 * before the model is called, so it surfaces where the AI SDK's own errors do (the promise of
 * `generateText`, the stream of `streamText`); the AI SDK does not retry it (it retries only
 * retryable API call errors). A stream is observed part by part as its consumer reads it, never
 * ahead, and its call ends exactly once: at its end, on an error, or when it is cancelled. (A
 * stream the AI SDK neither reads to the end nor cancels, as `streamText` does with the model's
 * stream when the app stops reading early, keeps its span open, as an unread response would.)
 *
 * What the gate checks is the call options read as plain JSON (`aiSdkCallView`: the pipeline
 * snapshots what it checks, and the options hold bytes, URLs and an abort signal); the model
 * receives the AI SDK's own options. Each attempt of the AI SDK's retry is a model request of its
 * own, with its own span and audit record; a retried prompt's pre-check is a decision-cache hit.
 *
 * `axonflowMiddleware()` is the public one: it uses the enabled `AxonFlowInstrumentation` (or
 * starts one from the environment, see `../explicit.ts`). The patch layer (`patch.ts`) applies
 * the same middleware bound to its own instrumentation.
 *
 * A middleware that runs inside a call another one already governs (a model the app wrapped and
 * the instrumentation wrapped again, or both builds of this package loaded) lets the call through:
 * each model call is governed once.
 */
import {
  type Attributes,
  context,
  createContextKey,
  type DiagLogger,
  diag,
  type Span,
  trace,
} from '@opentelemetry/api';
import type { CallAdapter } from '../../adapters/adapter.js';
import {
  aiSdkEmbeddingModelAdapter,
  aiSdkEmbedView,
} from '../../adapters/ai-sdk-embedding-model.js';
import { aiSdkCallView, aiSdkLanguageModelAdapter } from '../../adapters/ai-sdk-language-model.js';
import { notice } from '../../notices/index.js';
import {
  type CallEnvironment,
  type CallOrigin,
  GovernedCall,
} from '../../pipeline/governed-call.js';
import * as sc from '../../semconv/index.js';
import { callEnvironment } from '../explicit.js';

/** Marks the context a governed model call runs in (`Symbol.for`: shared by both builds). */
const GOVERNING = createContextKey('axonflow-otel.ai-sdk.governing');

/** What the AI SDK passes to `wrapGenerate` / `wrapStream` (every specification's shape). */
export interface LanguageModelCallOptions<G, S> {
  doGenerate: () => PromiseLike<G>;
  doStream: () => PromiseLike<S>;
  params: unknown;
  model: unknown;
}

/** What the AI SDK passes to `wrapEmbed`. */
export interface EmbeddingModelCallOptions<E> {
  doEmbed: () => PromiseLike<E>;
  params: unknown;
  model: unknown;
}

/**
 * A language model middleware for `wrapLanguageModel` of ai 5, 6 and 7. Its methods are generic,
 * so it has the type each major's `LanguageModelMiddleware` wants; `specificationVersion` is the
 * one ai 6 requires (ai 7 accepts any, ai 5 reads none).
 */
export interface AxonFlowLanguageModelMiddleware {
  readonly specificationVersion: 'v3';
  wrapGenerate<G, S>(options: LanguageModelCallOptions<G, S>): Promise<G>;
  wrapStream<G, S>(options: LanguageModelCallOptions<G, S>): Promise<S>;
}

/** An embedding model middleware for `wrapEmbeddingModel` of ai 6 and 7. */
export interface AxonFlowEmbeddingModelMiddleware {
  readonly specificationVersion: 'v3';
  wrapEmbed<E>(options: EmbeddingModelCallOptions<E>): Promise<E>;
}

/** Where a middleware gets the environment of a call: undefined lets the call through. */
export interface MiddlewareDependencies {
  environment(): CallEnvironment | undefined;
  diag: DiagLogger;
}

const explicitDependencies: MiddlewareDependencies = {
  environment: () => callEnvironment('ai'),
  diag: diag.createComponentLogger({ namespace: 'axonflow-otel' }),
};

/**
 * The AxonFlow governance middleware for the Vercel AI SDK's `wrapLanguageModel` (ai 5, 6, 7):
 * every call of the wrapped model is pre-checked, gated (a deny rejects with
 * `PolicyViolationError` and the model is not called), traced and audited.
 *
 * ```ts
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: axonflowMiddleware() });
 * ```
 *
 * Not needed under the register entry, which applies it to every model passed to the AI SDK; use
 * it where no module hook reaches (a bundled app).
 */
export function axonflowMiddleware(): AxonFlowLanguageModelMiddleware {
  return languageModelMiddleware(explicitDependencies);
}

/** The same, for `wrapEmbeddingModel` (ai 6 and 7): `embed` and `embedMany` calls. */
export function axonflowEmbeddingMiddleware(): AxonFlowEmbeddingModelMiddleware {
  return embeddingModelMiddleware(explicitDependencies);
}

export function languageModelMiddleware(
  deps: MiddlewareDependencies,
): AxonFlowLanguageModelMiddleware {
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params, model }) {
      const open = openCall(deps, model, languageAdapter, () => aiSdkCallView(params, false));
      if (open === undefined) return doGenerate();
      const ran = await runGoverned(open, doGenerate, deps);
      if (ran.governed) open.call.result(ran.result);
      return ran.result;
    },
    async wrapStream({ doStream, params, model }) {
      const open = openCall(deps, model, languageAdapter, () => aiSdkCallView(params, true));
      if (open === undefined) return doStream();
      const ran = await runGoverned(open, doStream, deps);
      if (!ran.governed) return ran.result;
      return observeStreamResult(ran.result, open.call, abortSignalOf(params), deps);
    },
  };
}

export function embeddingModelMiddleware(
  deps: MiddlewareDependencies,
): AxonFlowEmbeddingModelMiddleware {
  return {
    specificationVersion: 'v3',
    async wrapEmbed({ doEmbed, params, model }) {
      const open = openCall(deps, model, embeddingAdapter, () => aiSdkEmbedView(params));
      if (open === undefined) return doEmbed();
      const ran = await runGoverned(open, doEmbed, deps);
      if (ran.governed) open.call.result(ran.result);
      return ran.result;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// One call.

interface OpenCall {
  call: GovernedCall;
  /** The request as the adapter reads it, handed to the gate. */
  view: object;
}

/**
 * The call's pipeline, or undefined when it must not be governed here: not instrumented now, or
 * already governed by an outer middleware. Starts no I/O. A failure of ours lets the call through
 * ungoverned, said on stderr.
 */
function openCall(
  deps: MiddlewareDependencies,
  model: unknown,
  adapterOf: (model: unknown) => CallAdapter,
  viewOf: () => object,
): OpenCall | undefined {
  let adapter: CallAdapter | undefined;
  try {
    const parent = context.active();
    if (parent.getValue(GOVERNING) === true) return undefined;
    const env = deps.environment();
    if (env === undefined) return undefined;
    adapter = adapterOf(model);
    const view = viewOf();
    const origin: CallOrigin = {
      parent,
      startTime: performance.now(),
      server: serverAttributes(model),
      usageOnClientSpan: isAiSdkModelCallSpan(trace.getSpan(parent)),
    };
    return { call: new GovernedCall(env, adapter, view, origin), view };
  } catch (err) {
    deps.diag.error(
      'axonflow-otel: could not start the AI SDK call span; call sent untouched',
      err,
    );
    notice(
      'ungoverned:unreadable-request',
      `an ${adapter?.provider ?? 'AI SDK'} ${adapter?.operation ?? 'model'} request could not be read, so it was sent NOT governed (never breaking the app comes first). Report the request shape to axonflow-otel.`,
    );
    return undefined;
  }
}

interface Ran<T> {
  /** False when our gate failed: the model was called as if uninstrumented, the call ended. */
  governed: boolean;
  result: T;
}

/**
 * The gate, then the model call under the call's span. A gate that stops the call rejects with
 * its error (the call ended with it); a model call that fails ends the call with its error and
 * rethrows it. `governed: false` when our gate failed in a way that is our bug: the call is ended
 * and the model called as if uninstrumented.
 */
async function runGoverned<T>(
  open: OpenCall,
  run: () => PromiseLike<T>,
  deps: MiddlewareDependencies,
): Promise<Ran<T>> {
  const { call, view } = open;
  let gate: Promise<void> | undefined;
  try {
    gate = call.enterGate({ body: view }, false);
  } catch (err) {
    // The view is plain data: a gate that cannot read it is our bug, not the app's.
    deps.diag.error('axonflow-otel: could not check the AI SDK call; sent NOT governed', err);
    notice(
      'ungoverned:unreadable-request',
      'an AI SDK model request could not be read, so it was sent NOT governed (never breaking the app comes first). Report the request shape to axonflow-otel.',
    );
    call.end();
    return { governed: false, result: await run() };
  }
  if (gate !== undefined) {
    try {
      await gate;
    } catch (err) {
      call.end(err);
      throw err;
    }
  }
  let result: T;
  try {
    result = await context.with(call.context.setValue(GOVERNING, true), run);
  } catch (err) {
    call.end(err);
    throw err;
  }
  return { governed: true, result };
}

/**
 * The stream result with its `stream` observed. A result of a shape we do not know is returned as
 * it is, its call ended.
 */
function observeStreamResult<S>(
  result: S,
  call: GovernedCall,
  signal: AbortSignal | undefined,
  deps: MiddlewareDependencies,
): S {
  try {
    const stream = (result as { stream?: unknown } | undefined)?.stream;
    if (!isReadableStream(stream)) {
      call.end();
      return result;
    }
    return { ...result, stream: observedStream(stream, call, signal) };
  } catch (err) {
    deps.diag.error('axonflow-otel: could not observe the AI SDK stream', err);
    call.end();
    return result;
  }
}

/** The call's abort signal: an aborted call's stream is cancelled, its reason is the error. */
function abortSignalOf(params: unknown): AbortSignal | undefined {
  try {
    const signal = (params as { abortSignal?: unknown } | undefined)?.abortSignal;
    return signal instanceof AbortSignal ? signal : undefined;
  } catch {
    return undefined;
  }
}

function isReadableStream(value: unknown): value is ReadableStream<unknown> {
  return typeof (value as ReadableStream | undefined)?.getReader === 'function';
}

/** Parts that are not the model's output: a chunk is counted from the first of the others. */
const UNTIMED_PARTS = new Set(['stream-start', 'raw']);

/**
 * A stream that yields exactly the model's parts, reading one only when its consumer asks for one
 * (no buffer of its own), and ends the call: at the end, on an error (thrown, or an `error` part),
 * or when the consumer cancels (`axonflow.stream.cancelled`; when the call's abort signal fired,
 * with its reason as the error).
 */
function observedStream(
  source: ReadableStream<unknown>,
  call: GovernedCall,
  signal: AbortSignal | undefined,
): ReadableStream<unknown> {
  const reader = source.getReader();
  return new ReadableStream<unknown>(
    {
      async pull(controller) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (err) {
          call.end(err);
          throw err;
        }
        if (next.done) {
          call.end();
          controller.close();
          return;
        }
        const part = next.value as { type?: unknown; error?: unknown } | undefined;
        try {
          if (part?.type === 'error') call.end(part.error ?? part);
          else if (!UNTIMED_PARTS.has(String(part?.type))) call.chunk(part);
        } catch {
          // Reading a part is best effort; the consumer gets it either way.
        }
        controller.enqueue(next.value);
      },
      cancel(reason) {
        // An abort of the app's signal is the call's error; a consumer that stops reading is not.
        const error =
          reason instanceof Error ? reason : signal?.aborted ? signal.reason : undefined;
        call.end(error, true);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

// ---------------------------------------------------------------------------------------------
// Per model: adapter, server attributes, the AI SDK's own call span.

const languageAdapters = new WeakMap<object, CallAdapter>();
const embeddingAdapters = new WeakMap<object, CallAdapter>();

function languageAdapter(model: unknown): CallAdapter {
  return cached(languageAdapters, model, aiSdkLanguageModelAdapter);
}

function embeddingAdapter(model: unknown): CallAdapter {
  return cached(embeddingAdapters, model, aiSdkEmbeddingModelAdapter);
}

function cached<T>(cache: WeakMap<object, T>, model: unknown, make: (model: unknown) => T): T {
  if (typeof model !== 'object' || model === null) return make(model);
  let value = cache.get(model);
  if (value === undefined) {
    value = make(model);
    cache.set(model, value);
  }
  return value;
}

const serverAttrCache = new WeakMap<object, Attributes>();

/**
 * `server.address` / `server.port` from the model's configured base URL, where the provider keeps
 * one in the model's `config` (`baseURL`, or the `url()` builder of the `@ai-sdk/*` providers).
 */
function serverAttributes(model: unknown): Attributes {
  return cached(serverAttrCache, model, readServerAttributes);
}

function readServerAttributes(model: unknown): Attributes {
  const attrs: Attributes = {};
  try {
    const m = model as { config?: { baseURL?: unknown; url?: unknown }; modelId?: unknown };
    const config = m?.config;
    const base =
      typeof config?.baseURL === 'string'
        ? config.baseURL
        : typeof config?.url === 'function'
          ? config.url({ path: '', modelId: m.modelId })
          : undefined;
    if (typeof base !== 'string') return attrs;
    const url = new URL(base);
    attrs[sc.ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[(.*)\]$/, '$1');
    attrs[sc.ATTR_SERVER_PORT] = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  } catch {
    // No usable URL: the attributes are optional.
  }
  return attrs;
}

/**
 * The AI SDK's own model-call span (`ai.generateText.doGenerate`, `ai.streamText.doStream`, …),
 * which ai 5 and 6 start with `experimental_telemetry: { isEnabled: true }` and which carries the
 * call's `gen_ai.usage.*`. Embedding calls' spans (`….doEmbed`) carry no `gen_ai.usage.*`.
 */
function isAiSdkModelCallSpan(span: Span | undefined): boolean {
  if (span === undefined || !span.isRecording()) return false;
  const name = (span as { name?: unknown }).name;
  return typeof name === 'string' && /^ai\.[A-Za-z]+\.do(Generate|Stream)$/.test(name);
}
