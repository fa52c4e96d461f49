/**
 * One governed LLM call, from the SDK method call to the last stream chunk: its spans, its
 * pre-check and gate, what it observes of the response, and the hand-off of its audit data.
 *
 * Lifecycle: `start()` (inside the patched method, before the SDK runs) opens the inference span
 * and starts the pre-check; `enterGate()` (from the SDK's `prepareOptions`, before each HTTP
 * attempt) waits for the decision and throws `PolicyViolationError` on a deny, so the provider
 * receives nothing; `observe()` watches the returned `APIPromise` without consuming it; `#end()`
 * runs exactly once, whatever happens first: the parse, the end of the stream, an error, a break,
 * an abort, or `.asResponse()`.
 *
 * Everything here runs inside try/catch: a failure of ours ends the span, reports through `diag`,
 * and leaves the SDK's behaviour as it would be without instrumentation.
 */
import {
  type Attributes,
  type Context,
  type Counter,
  context,
  type DiagLogger,
  type Histogram,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type AuditData, attachAuditData, submitAuditData } from '../audit/index.js';
import type { AxonFlowClient } from '../client/client.js';
import {
  errorType,
  PolicyViolationError,
  RedactionRequiredError,
  sanitizeAgentText,
  UncheckedRequestError,
} from '../client/errors.js';
import { gateError } from '../client/gate.js';
import { peekDecision } from '../client/internal.js';
import type { PreCheckResult } from '../client/types.js';
import { notice } from '../notices/index.js';
import { scrub } from '../scrub/index.js';
import type { CallAdapter } from './adapter.js';
import { getAxonFlowContext } from './context.js';
import {
  type CallInput,
  ResponseRecord,
  renderPrompt,
  snapshotBody,
  toSemconvParts,
} from './messages.js';
import * as sc from './semconv.js';

export interface Instruments {
  duration: Histogram;
  tokens: Histogram;
  preCheckDuration: Histogram;
  decisions: Counter;
}

/** What a governed call needs from the instrumentation; read once per call. */
export interface CallEnvironment {
  tracer: Tracer;
  diag: DiagLogger;
  instruments: Instruments;
  /** The client for pre-checks, or undefined when governance is off. */
  client: AxonFlowClient | undefined;
  captureContent: boolean;
  maxCaptureChars: number;
  summaryChars: number;
}

type Decision =
  | { kind: 'allow'; result: PreCheckResult }
  | { kind: 'deny'; result: PreCheckResult; violation: PolicyViolationError }
  | { kind: 'fail_open'; reason: string; result: PreCheckResult | undefined }
  | { kind: 'skipped'; reason: string }
  | { kind: 'error'; error: unknown };

const MAX_AGENT_ATTR = 256;
/** Side fields of the agent's reply that were unusable and dropped (string[]). */
const ATTR_REPLY_MALFORMED_FIELDS = 'axonflow.reply.malformed_fields';
/** The agent approved only with redaction (`requires_redaction`); set when the call went ahead. */
const ATTR_REDACTION_REQUIRED = 'axonflow.redaction_required';
/** Why a call that could not be checked was blocked (`UncheckedRequestError.reason`). */
const ATTR_UNCHECKED_REASON = 'axonflow.unchecked.reason';
const serverAttrCache = new WeakMap<object, Attributes>();
let bypassWarned = false;

function serverAttributes(sdkClient: any): Attributes {
  if (!sdkClient || typeof sdkClient !== 'object') return {};
  let attrs = serverAttrCache.get(sdkClient);
  if (attrs) return attrs;
  attrs = {};
  try {
    const url = new URL(String(sdkClient.baseURL));
    // `URL.hostname` keeps an IPv6 literal's brackets; `server.address` is the bare address.
    attrs[sc.ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[(.*)\]$/, '$1');
    attrs[sc.ATTR_SERVER_PORT] = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  } catch {
    // No usable baseURL: the attributes are optional.
  }
  serverAttrCache.set(sdkClient, attrs);
  return attrs;
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…[truncated]` : text;
}

export class GovernedCall {
  readonly span: Span;
  readonly context: Context;
  readonly #env: CallEnvironment;
  readonly #adapter: CallAdapter;
  readonly #record: ResponseRecord;
  readonly #started = performance.now();
  readonly #model: string;
  readonly #metricAttrs: Attributes;
  /** `server.address` / `server.port` of the SDK client: on the span and the GenAI metrics. */
  readonly #serverAttrs: Attributes;
  readonly #sdkTracesItself: boolean;
  /** The SDK's own call span for this call is recording: it carries the usage (`#noteSdkSpan`). */
  #sdkSpanHasUsage = false;
  #decision: Promise<Decision> | undefined;
  /** A pre-check was made (or served from the cache): the call waits at the gate. */
  #governed = false;
  #decided: Decision | undefined;
  #delegate: Span | undefined;
  #gateEntered = false;
  #responseArrived = false;
  #rawOnly = false;
  #firstChunkAt: number | undefined;
  #ended = false;
  /** Governance is on: the SDK waits at the gate, where the request is read and checked. */
  #gated = false;
  readonly #parent: Context;
  /** The JSON of the body last checked, until the response: a retry sending it is not rechecked. */
  #checkedJson: string | undefined;

  /** Opens the inference span and starts the pre-check. Throws only on our own bugs. */
  constructor(
    env: CallEnvironment,
    adapter: CallAdapter,
    params: any,
    sdkClient: any,
    parent: Context,
  ) {
    this.#env = env;
    this.#adapter = adapter;
    this.#parent = parent;
    this.#serverAttrs = serverAttributes(sdkClient);
    const attributes = { ...adapter.requestAttributes(params), ...this.#serverAttrs };
    this.#model = String(attributes[sc.ATTR_GEN_AI_REQUEST_MODEL] ?? '');
    this.#metricAttrs = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: adapter.operation,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: adapter.provider,
    };
    if (this.#model) this.#metricAttrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = this.#model;
    const name = this.#model ? `${adapter.operation} ${this.#model}` : adapter.operation;
    this.span = env.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    this.context = trace.setSpan(parent, this.span);
    // The Anthropic SDK (1.x) can trace its own API calls; its call span then is the delegation.
    this.#sdkTracesItself = adapter.provider === 'anthropic' && Boolean(sdkClient?._tracer);
    const textLimit = Math.max(env.summaryChars, env.captureContent ? env.maxCaptureChars : 0);
    this.#record = new ResponseRecord(textLimit, env.captureContent);

    try {
      // Governed, the request is read at the gate, as the SDK is about to send it (#readRequest):
      // reading `params` here would check text that the app can still change before it is sent.
      if (env.client !== undefined) this.#gated = true;
      else {
        this.span.setAttribute(sc.ATTR_AXONFLOW_DECISION, sc.DECISION_SKIPPED);
        if (env.captureContent) this.#captureInput(adapter.input(params));
      }
    } catch (err) {
      // The caller runs the SDK untouched; the span we started must not stay open.
      this.#ended = true;
      safeEnd(this.span);
      throw err;
    }
  }

  /** True when the SDK must wait for a decision before sending anything. */
  get gated(): boolean {
    return this.#gated;
  }

  #startPreCheck(client: AxonFlowClient, input: CallInput, parent: Context): void {
    const query = renderPrompt(input);
    if (query.trim().length === 0) {
      this.#decided = { kind: 'skipped', reason: 'no_prompt' };
      this.span.setAttribute(sc.ATTR_AXONFLOW_DECISION, sc.DECISION_SKIPPED);
      return;
    }
    const callContext = getAxonFlowContext(parent);
    const preSpan = this.#env.tracer.startSpan(
      sc.SPAN_PRE_CHECK,
      { kind: SpanKind.INTERNAL },
      this.context,
    );
    const started = performance.now();
    const request: Parameters<AxonFlowClient['preCheck']>[0] = {
      query,
      context: {
        ...callContext?.context,
        provider: this.#adapter.provider,
        model: this.#model,
        operation: this.#adapter.operation,
      },
    };
    if (callContext?.userToken) request.userToken = callContext.userToken;
    if (callContext?.dataSources) request.dataSources = callContext.dataSources;
    this.#governed = true;
    const known = peekDecision(client, request);
    if (known !== undefined) {
      this.#onDecision(known, preSpan, started);
      return;
    }
    // Under the pre-check span: the request carries its trace context to the agent.
    this.#decision = context
      .with(trace.setSpan(this.context, preSpan), () => client.preCheck(request))
      .then(
        result => this.#onDecision(result, preSpan, started),
        err => this.#onPreCheckError(err, client, preSpan, started),
      );
  }

  #onDecision(result: PreCheckResult, preSpan: Span, started: number): Decision {
    let decision: Decision;
    try {
      if (result.failOpen) {
        decision = { kind: 'fail_open', reason: result.failOpenReason ?? 'unknown', result };
      } else if (result.approved && result.requiresRedaction && !this.#redactionAllowed()) {
        // The pre-check reply carries no redacted text to send instead: not a plain allow.
        const init: ConstructorParameters<typeof RedactionRequiredError>[0] = {
          policies: result.policies,
          contextId: result.contextId,
        };
        if (result.blockReason !== undefined) init.blockReason = result.blockReason;
        decision = { kind: 'deny', result, violation: new RedactionRequiredError(init) };
      } else if (result.approved) {
        decision = { kind: 'allow', result };
      } else {
        const init: ConstructorParameters<typeof PolicyViolationError>[0] = {
          policies: result.policies,
          contextId: result.contextId,
        };
        if (result.blockReason !== undefined) init.blockReason = result.blockReason;
        decision = { kind: 'deny', result, violation: new PolicyViolationError(init) };
      }
      this.#recordDecision(decision, preSpan, started);
    } catch (err) {
      this.#env.diag.error('axonflow-otel: could not record the pre-check decision', err);
      decision ??= { kind: 'fail_open', reason: 'instrumentation_error', result: undefined };
      safeEnd(preSpan);
    }
    this.#decided = decision;
    return decision;
  }

  #redactionAllowed(): boolean {
    return this.#env.client?.onRedaction === 'allow';
  }

  #onPreCheckError(err: unknown, client: AxonFlowClient, preSpan: Span, started: number): Decision {
    // A call that could not be checked is blocked, as a PolicyViolationError subclass (the only
    // errors that reach the app); in production mode unavailability has already failed open in
    // the client, and anything else (our own bug) lets the call through.
    const blocked = gateError(err, client.mode);
    const decision: Decision = blocked
      ? { kind: 'error', error: blocked }
      : { kind: 'fail_open', reason: errorType(err), result: undefined };
    try {
      this.#recordDecision(decision, preSpan, started);
    } catch {
      safeEnd(preSpan);
    }
    this.#decided = decision;
    return decision;
  }

  #recordDecision(decision: Decision, preSpan: Span, started: number): void {
    const kind = decision.kind === 'error' ? 'error' : decision.kind;
    const attrs: Attributes = { [sc.ATTR_AXONFLOW_DECISION]: kind };
    if (decision.kind === 'allow' || decision.kind === 'deny') {
      const r = decision.result;
      attrs[sc.ATTR_AXONFLOW_CONTEXT_ID] = sanitizeAgentText(r.contextId, MAX_AGENT_ATTR);
      attrs[sc.ATTR_AXONFLOW_CACHE_HIT] = r.cached;
      if (r.policies.length > 0) {
        attrs[sc.ATTR_AXONFLOW_POLICIES] = r.policies
          .slice(0, 32)
          .map(p => sanitizeAgentText(p, 128));
      }
      if (decision.kind === 'deny') {
        attrs[sc.ATTR_AXONFLOW_BLOCK_REASON] = sanitizeAgentText(
          decision.violation instanceof RedactionRequiredError
            ? decision.violation.blockReason
            : (r.blockReason ?? ''),
          MAX_AGENT_ATTR,
        );
      }
      if (r.approved && r.requiresRedaction) attrs[ATTR_REDACTION_REQUIRED] = true;
      if (r.malformedFields !== undefined && r.malformedFields.length > 0) {
        attrs[ATTR_REPLY_MALFORMED_FIELDS] = r.malformedFields.slice(0, 32);
      }
    } else if (decision.kind === 'fail_open') {
      attrs[sc.ATTR_AXONFLOW_FAIL_OPEN] = true;
      attrs[sc.ATTR_AXONFLOW_FAIL_OPEN_REASON] = decision.reason;
      attrs[sc.ATTR_AXONFLOW_CACHE_HIT] = false;
    } else if (decision.kind === 'error') {
      attrs[sc.ATTR_ERROR_TYPE] = errorType(decision.error);
      if (decision.error instanceof UncheckedRequestError) {
        attrs[ATTR_UNCHECKED_REASON] = decision.error.reason;
      }
    }
    preSpan.setAttributes(attrs);
    if (decision.kind === 'fail_open' || decision.kind === 'error') {
      preSpan.setStatus({
        code: SpanStatusCode.ERROR,
        message: decision.kind === 'error' ? errorType(decision.error) : decision.reason,
      });
    }
    const {
      [sc.ATTR_AXONFLOW_POLICIES]: _p,
      [sc.ATTR_AXONFLOW_BLOCK_REASON]: _b,
      [sc.ATTR_AXONFLOW_CONTEXT_ID]: _c,
      [ATTR_REPLY_MALFORMED_FIELDS]: _m,
      ...onCall
    } = attrs;
    if (decision.kind === 'allow' || decision.kind === 'deny') {
      onCall[sc.ATTR_AXONFLOW_CONTEXT_ID] = attrs[sc.ATTR_AXONFLOW_CONTEXT_ID];
    }
    this.span.setAttributes(onCall);
    const metricAttrs = { ...this.#metricAttrs, [sc.ATTR_AXONFLOW_DECISION]: kind };
    this.#env.instruments.preCheckDuration.record(
      (performance.now() - started) / 1000,
      metricAttrs,
    );
    this.#env.instruments.decisions.add(1, metricAttrs);
    // Last: a throwing span processor must not cost the call span its decision attributes.
    safeEnd(preSpan);
  }

  /**
   * Reads the request at the gate, as the SDK is about to serialise it (time of check = time of
   * use): `options.body` is swapped for a private snapshot of itself (`snapshotBody`: what
   * `JSON.stringify` gives now, as plain data), and that snapshot is both what the pre-check reads
   * and what the SDK sends. Nothing else holds it, so a later change to the app's `params` or
   * `messages` cannot reach the provider. A retry whose body still serialises to the checked JSON
   * keeps the decision (one pre-check per logical call); a body that changed since (an app's
   * `prepareOptions` override rewrote it) is checked again.
   *
   * Throws when the body cannot be serialised (twice): the SDK's own serialisation would fail the
   * same way, so the attempt fails with that error and nothing is sent.
   */
  #readRequest(options: { body?: unknown } | undefined): void {
    const client = this.#env.client;
    if (client === undefined || options === null || typeof options !== 'object') return;
    const snapshot = snapshotBody(options.body);
    const json = snapshot?.json ?? '';
    if (this.#checkedJson === json) return;
    if (snapshot !== undefined) options.body = snapshot.value;
    this.#checkedJson = json;
    let input: CallInput;
    try {
      input = this.#adapter.input(snapshot?.value);
      if (this.#env.captureContent) this.#captureInput(input);
    } catch (err) {
      // Our bug (the snapshot is plain data): the call goes ahead, as on any of our failures.
      this.#env.diag.error('axonflow-otel: could not read the request; it is not checked', err);
      notice(
        'ungoverned:unreadable-request',
        `an ${this.#adapter.provider} ${this.#adapter.operation} request could not be read, so it was sent NOT governed (never breaking the app comes first). Report the request shape to axonflow-otel.`,
      );
      this.#decided = { kind: 'fail_open', reason: 'instrumentation_error', result: undefined };
      this.#decision = undefined;
      this.span.setAttributes({
        [sc.ATTR_AXONFLOW_DECISION]: 'fail_open',
        [sc.ATTR_AXONFLOW_FAIL_OPEN]: true,
        [sc.ATTR_AXONFLOW_FAIL_OPEN_REASON]: 'instrumentation_error',
      });
      return;
    }
    this.#decided = undefined;
    this.#decision = undefined;
    this.#startPreCheck(client, input, this.#parent);
  }

  /**
   * Called by the SDK (through `prepareOptions`) before each HTTP attempt. Waits for the decision;
   * a deny (or, in sandbox mode, an agent failure) rejects, so the provider receives nothing.
   * Retries reuse the same decision: there is one pre-check per logical call.
   */
  enterGate(options?: { body?: unknown }): Promise<void> | undefined {
    this.#gateEntered = true;
    this.#readRequest(options);
    // No pre-check (nothing to check, or the request could not be read): nothing to wait for.
    if (!this.#governed) return undefined;
    // A decision already known (a cache hit) passes without a promise: the hot path stays lean.
    if (this.#decided !== undefined) return this.#pass(this.#decided);
    return this.#decision?.then(decision => this.#pass(decision));
  }

  #pass(decision: Decision): Promise<void> | undefined {
    if (decision.kind === 'deny') return Promise.reject(decision.violation);
    if (decision.kind === 'error') return Promise.reject(decision.error);
    if (this.#delegate === undefined && !this.#sdkTracesItself && !this.#ended) {
      try {
        this.#delegate = this.#env.tracer.startSpan(
          sc.SPAN_DELEGATE,
          { kind: SpanKind.INTERNAL },
          this.context,
        );
      } catch (err) {
        this.#env.diag.error('axonflow-otel: could not start the delegation span', err);
      }
    }
    return undefined;
  }

  /**
   * Watches the SDK's `APIPromise` without consuming it: errors through its `responsePromise`,
   * results by wrapping its `parseResponse` (which only runs when the app reads the result), and
   * `.asResponse()` (raw access: the span ends when the response arrives).
   */
  observe(apiPromise: any): void {
    const responsePromise = apiPromise?.responsePromise;
    const parse = apiPromise?.parseResponse;
    if (typeof responsePromise?.then !== 'function' || typeof parse !== 'function') {
      // An SDK shape we do not know: keep the app working and end the span now.
      this.#env.diag.debug('axonflow-otel: unexpected SDK promise shape; response not observed');
      this.#end(undefined, false);
      return;
    }
    responsePromise.then(
      (props: unknown) => {
        this.#noteSdkSpan(props);
        this.#onResponse();
      },
      (err: unknown) => this.#end(err, false),
    );
    this.#observeResult(apiPromise);
    const call = this;
    const originalAsResponse = apiPromise.asResponse;
    if (typeof originalAsResponse === 'function') {
      apiPromise.asResponse = function asResponse(
        this: { parsedPromise?: unknown },
        ...args: unknown[]
      ) {
        if (this?.parsedPromise === undefined) {
          call.#rawOnly = true;
          if (call.#responseArrived) call.#end(undefined, false);
        }
        return originalAsResponse.apply(this, args);
      };
    }
  }

  /**
   * Wraps a promise's `parseResponse` (it runs only when the app reads the result) and its
   * `_thenUnwrap`: SDK helpers (`chat.completions.parse()`, `responses.stream()`) chain the
   * latter, which in openai 7 composes the original parse function directly, so each promise it
   * derives is watched the same way.
   */
  #observeResult(promise: any): void {
    const parse = promise?.parseResponse;
    if (typeof parse !== 'function') return;
    const call = this;
    promise.parseResponse = async function parseResponse(this: unknown, ...args: unknown[]) {
      let data: unknown;
      try {
        data = await parse.apply(this, args);
      } catch (err) {
        call.#end(err, false);
        throw err;
      }
      call.#onParsed(data);
      return data;
    };
    const thenUnwrap = promise._thenUnwrap;
    if (typeof thenUnwrap === 'function') {
      promise._thenUnwrap = function _thenUnwrap(this: unknown, ...args: unknown[]) {
        const next = thenUnwrap.apply(this, args);
        try {
          call.#observeResult(next);
        } catch {
          // Observation is best effort; the SDK's promise is returned either way.
        }
        return next;
      };
    }
  }

  #onResponse(): void {
    this.#responseArrived = true;
    this.#checkedJson = undefined;
    if (this.#gated && !this.#gateEntered && !bypassWarned) {
      bypassWarned = true;
      this.#env.diag.error(
        'axonflow-otel: an LLM request was sent without passing the governance gate (is prepareOptions overridden without calling super?)',
      );
      notice(
        'ungoverned:gate-bypassed',
        "an LLM request was sent NOT governed: it did not pass the governance gate (is the SDK client's prepareOptions overridden without calling super?)",
        { everyMs: Number.POSITIVE_INFINITY },
      );
    }
    if (this.#rawOnly) this.#end(undefined, false);
  }

  #onParsed(data: any): void {
    if (this.#ended) return;
    try {
      if (
        typeof data?.iterator === 'function' &&
        typeof data?.[Symbol.asyncIterator] === 'function'
      ) {
        this.#wrapStream(data);
        return;
      }
      this.#adapter.onResult(this.#record, data);
    } catch (err) {
      this.#env.diag.error('axonflow-otel: could not read the response', err);
    }
    this.#end(undefined, false);
  }

  /**
   * Wraps the SDK stream's `iterator` (not `Symbol.asyncIterator`: `tee()` and the SDK's own
   * helpers call `iterator` directly). The wrapper reads each chunk as it passes and ends the span
   * when the stream is done, fails, or the consumer stops; it never reads ahead.
   */
  #wrapStream(stream: { iterator: (...args: unknown[]) => AsyncIterator<unknown> }): void {
    const original = stream.iterator;
    const call = this;
    stream.iterator = function iterator(this: unknown, ...args: unknown[]) {
      const inner = original.apply(this, args);
      return {
        next(...nextArgs: [] | [unknown]) {
          return inner.next(...nextArgs).then(
            result => {
              if (result.done) call.#end(undefined, false);
              else call.#onChunk(result.value);
              return result;
            },
            (err: unknown) => {
              call.#end(err, false);
              throw err;
            },
          );
        },
        return(value?: unknown) {
          call.#end(undefined, true);
          return typeof inner.return === 'function'
            ? inner.return(value)
            : Promise.resolve({ done: true as const, value });
        },
        throw(err?: unknown) {
          call.#end(err, false);
          return typeof inner.throw === 'function' ? inner.throw(err) : Promise.reject(err);
        },
        [Symbol.asyncIterator]() {
          return this;
        },
      };
    };
  }

  #onChunk(chunk: unknown): void {
    if (this.#ended) return;
    if (this.#firstChunkAt === undefined) this.#firstChunkAt = performance.now();
    try {
      this.#adapter.onChunk(this.#record, chunk);
    } catch {
      // A chunk we cannot read is the SDK's business, not ours.
    }
  }

  /** Called when the patched method itself threw synchronously. */
  fail(err: unknown): void {
    this.#end(err, false);
  }

  /** Ends both spans, records metrics and hands the audit data over. Runs once. */
  #end(err: unknown, cancelled: boolean): void {
    if (this.#ended) return;
    this.#ended = true;
    const span = this.span;
    try {
      const now = performance.now();
      const record = this.#record;
      const attrs: Attributes = {};
      if (record.id) attrs[sc.ATTR_GEN_AI_RESPONSE_ID] = record.id;
      if (record.model) attrs[sc.ATTR_GEN_AI_RESPONSE_MODEL] = record.model;
      const reasons = record.finishReasons.filter(r => typeof r === 'string');
      if (reasons.length > 0) attrs[sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = reasons;
      // Provider-specific response attributes (never usage), then usage, by the usage rule.
      Object.assign(attrs, record.attributes);
      if (!this.#sdkSpanHasUsage) {
        if (record.inputTokens !== undefined)
          attrs[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = record.inputTokens;
        if (record.outputTokens !== undefined)
          attrs[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = record.outputTokens;
        if (record.cacheReadTokens !== undefined) {
          attrs[sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = record.cacheReadTokens;
        }
        if (record.cacheCreationTokens !== undefined) {
          attrs[sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = record.cacheCreationTokens;
        }
        if (record.reasoningTokens !== undefined) {
          attrs[sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = record.reasoningTokens;
        }
      }
      if (this.#firstChunkAt !== undefined) {
        attrs[sc.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] =
          (this.#firstChunkAt - this.#started) / 1000;
      }
      if (cancelled) attrs[sc.ATTR_AXONFLOW_STREAM_CANCELLED] = true;
      if (this.#env.captureContent && err === undefined && this.#adapter.operation === 'chat') {
        attrs[sc.ATTR_GEN_AI_OUTPUT_MESSAGES] = cap(
          JSON.stringify(record.outputMessages()),
          this.#env.maxCaptureChars,
        );
      }
      const delegated =
        this.#delegate !== undefined ||
        (this.#gateEntered && this.#decided?.kind !== 'deny' && this.#decided?.kind !== 'error');
      const skip = this.#auditSkipReason();
      if (skip !== undefined && this.#governed) attrs[sc.ATTR_AXONFLOW_AUDIT_SKIPPED] = skip;
      if (err !== undefined) {
        const type = errorType(err);
        attrs[sc.ATTR_ERROR_TYPE] = type;
        span.setStatus({
          code: SpanStatusCode.ERROR,
          // The provider's message may echo the API key (`Incorrect API key provided: sk-…`).
          message: scrub((err as Error)?.message ?? type, 256),
        });
      }
      span.setAttributes(attrs);
      this.#recordMetrics(now, err);
      if (this.#governed && delegated) this.#handOffAudit(now, err, skip);
      if (this.#delegate && err !== undefined) {
        this.#delegate.setStatus({ code: SpanStatusCode.ERROR });
        this.#delegate.setAttribute(sc.ATTR_ERROR_TYPE, errorType(err));
      }
    } catch (e) {
      this.#env.diag.error('axonflow-otel: could not finish the span', e);
    }
    // Ended last, each on its own: an app span processor that throws in onEnd must cost
    // neither the audit hand-off above nor the other span's end.
    if (this.#delegate) safeEnd(this.#delegate);
    safeEnd(span);
  }

  #auditSkipReason(): string | undefined {
    const d = this.#decided;
    if (d === undefined) return 'no_decision';
    if (d.kind === 'fail_open') return `fail_open:${d.reason}`;
    if (d.kind === 'skipped') return d.reason;
    return undefined;
  }

  #handOffAudit(now: number, err: unknown, skip: string | undefined): void {
    const d = this.#decided;
    const record = this.#record;
    const metadata: Record<string, unknown> = { operation: this.#adapter.operation };
    if (err !== undefined) metadata.error_type = errorType(err);
    if (this.#firstChunkAt !== undefined) metadata.streamed = true;
    const data: AuditData = {
      contextId: d?.kind === 'allow' ? d.result.contextId : undefined,
      skipReason: skip,
      provider: this.#adapter.provider,
      model: record.model ?? this.#model,
      tokenUsage: {
        promptTokens: record.inputTokens ?? 0,
        completionTokens: record.outputTokens ?? 0,
      },
      latencyMs: now - this.#started,
      responseSummary: record.text.slice(0, this.#env.summaryChars),
      metadata,
    };
    // A span that is not recording never reaches a span processor: the record goes to the most
    // recently started audit processor instead (see `src/audit/`).
    if (this.span.isRecording()) attachAuditData(this.span, data);
    else submitAuditData(data, this.span.spanContext());
  }

  /**
   * The usage rule: exactly one span per model call carries `gen_ai.usage.*`. Ours does, unless
   * the SDK's own call span for this call is recording: `@anthropic-ai/sdk` (1.x, and the 0.x
   * releases that trace) sets the usage on its `anthropic.messages.create` span and has no switch
   * to leave it off one call, only its whole tracing per client (`openTelemetry: false`,
   * `ANTHROPIC_OPEN_TELEMETRY=false`). It hands that span down in the request options
   * (`__span`), which come back with the response: when it records, it is the span with the
   * usage and ours leaves `gen_ai.usage.*` out. The token metric is ours either way, once per call.
   */
  #noteSdkSpan(props: any): void {
    if (!this.#sdkTracesItself) return;
    try {
      const sdkSpan = props?.options?.__span?.span;
      this.#sdkSpanHasUsage =
        typeof sdkSpan?.isRecording === 'function' && sdkSpan.isRecording() === true;
    } catch {
      this.#sdkSpanHasUsage = false;
    }
  }

  #recordMetrics(now: number, err: unknown): void {
    const { duration, tokens } = this.#env.instruments;
    const attrs: Attributes = { ...this.#metricAttrs, ...this.#serverAttrs };
    if (this.#record.model) attrs[sc.ATTR_GEN_AI_RESPONSE_MODEL] = this.#record.model;
    if (err !== undefined) attrs[sc.ATTR_ERROR_TYPE] = errorType(err);
    duration.record((now - this.#started) / 1000, attrs);
    if (err === undefined) {
      if (this.#record.inputTokens !== undefined) {
        tokens.record(this.#record.inputTokens, { ...attrs, [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'input' });
      }
      if (this.#record.outputTokens !== undefined) {
        tokens.record(this.#record.outputTokens, {
          ...attrs,
          [sc.ATTR_GEN_AI_TOKEN_TYPE]: 'output',
        });
      }
    }
  }

  #captureInput(input: CallInput): void {
    const max = this.#env.maxCaptureChars;
    if (input.system.length > 0) {
      this.span.setAttribute(
        sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
        cap(JSON.stringify(toSemconvParts(input.system)), max),
      );
    }
    const messages = input.messages.map(m => ({ role: m.role, parts: toSemconvParts(m.parts) }));
    this.span.setAttribute(sc.ATTR_GEN_AI_INPUT_MESSAGES, cap(JSON.stringify(messages), max));
  }
}

function safeEnd(span: Span): void {
  try {
    span.end();
  } catch {
    // A throwing span processor is the app's; it must not become our exception.
  }
}
