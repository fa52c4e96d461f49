/**
 * One governed LLM call: its spans, its pre-check and gate, what it reads of the response, its
 * metrics and the hand-off of its audit data. It knows no SDK: a patch layer
 * (`src/instrumentation/`) creates it when the client is about to send a model request, calls
 * `enterGate()` before each HTTP attempt, and reports what the client's result objects yield
 * (`responded`, `result`, `chunk`, `end`). What a request and a response mean comes from the
 * call's adapter (`src/adapters/`). The call's phase is a `CallState` (`state.ts`).
 *
 * Everything here runs inside try/catch: a failure of ours ends the span, reports through `diag`,
 * and leaves the client's behaviour as it would be without instrumentation.
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
import type { CallAdapter } from '../adapters/adapter.js';
import {
  type CallInput,
  capJson,
  ResponseRecord,
  renderPrompt,
  snapshotBody,
  toSemconvParts,
} from '../adapters/messages.js';
import {
  type AuditData,
  attachAuditData,
  auditReceiverActive,
  submitAuditData,
} from '../audit/index.js';
import type { AxonFlowClient } from '../client/client.js';
import { errorType } from '../client/errors.js';
import { peekDecision } from '../client/internal.js';
import type { PreCheckResult } from '../client/types.js';
import { notice } from '../notices/index.js';
import { scrub } from '../scrub/index.js';
import * as sc from '../semconv/index.js';
import { getAxonFlowContext } from './call-context.js';
import {
  auditSkipReason,
  type Decision,
  decisionAttributes,
  decisionFailure,
  decisionFromError,
  decisionFromResult,
  stops,
} from './decision.js';
import { CallState } from './state.js';

export interface Instruments {
  duration: Histogram;
  tokens: Histogram;
  timeToFirstChunk: Histogram;
  /** One point per chunk after the first: the time since the one before. */
  timePerOutputChunk: Histogram;
  preCheckDuration: Histogram;
  decisions: Counter;
  /** False when every instrument is the API's no-op (no MeterProvider): no point is built. */
  recording: boolean;
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
  /** `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`: the newer development names. */
  latestNames: boolean;
  summaryChars: number;
}

/** Where and when a call starts, as the patch layer saw it. */
export interface CallOrigin {
  /** The context the call was made in: the call span's parent. */
  parent: Context;
  /**
   * `performance.now()` when the app made the call: where the duration and the time to first
   * chunk are measured from. (The span itself starts at the gate, microseconds later, when the
   * request's attributes are known.)
   */
  startTime: number;
  /** `server.address` / `server.port` of the client: on the span and the GenAI metrics. */
  server: Attributes;
  /**
   * The client traces the call itself, and its span carries the usage: ours then leaves
   * `gen_ai.usage.*` out (exactly one span per model call carries usage). The token metric is
   * ours either way, once per call.
   */
  usageOnClientSpan: boolean;
}

const OPENAI_METRIC_ATTRIBUTES = [
  sc.ATTR_OPENAI_RESPONSE_SERVICE_TIER,
  sc.ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT,
] as const;

/** The decision of every call made while governance is off (shared: decisions are not mutated). */
const GOVERNANCE_OFF: Decision = { kind: 'skipped', reason: 'governance_off' };

/** Operations whose output is messages (`gen_ai.output.messages`); others return vectors or media. */
const OUTPUT_OPERATIONS: ReadonlySet<string> = new Set([
  sc.GEN_AI_OPERATION_CHAT,
  sc.GEN_AI_OPERATION_TEXT_COMPLETION,
]);

export class GovernedCall {
  readonly span: Span;
  readonly context: Context;
  readonly #env: CallEnvironment;
  readonly #adapter: CallAdapter;
  readonly #origin: CallOrigin;
  readonly #record: ResponseRecord;
  readonly #model: string;
  readonly #metricAttrs: Attributes;
  readonly #state = new CallState();
  #delegate: Span | undefined;
  /** The app asked for the raw response only: the call ends when it arrives. */
  #rawOnly = false;
  #responseArrived = false;
  #firstChunkAt: number | undefined;
  #lastChunkAt = 0;
  /** The GenAI metric attributes of a streamed call, built at its second chunk. */
  #chunkAttrs: Attributes | undefined;
  /** The attributes of the decision a pre-check recorded last: the call's, when it is that one. */
  #recorded: { decision: Decision; attrs: ReturnType<typeof decisionAttributes> } | undefined;
  /** The JSON of the body last checked, until the response: a retry sending it is not rechecked. */
  #checkedJson: string | undefined;

  /**
   * Opens the inference span from the request body's attributes (model, parameters). Starts no
   * I/O: the request is read and checked at the gate. Throws only on our own bugs, with the span
   * ended.
   */
  constructor(env: CallEnvironment, adapter: CallAdapter, body: unknown, origin: CallOrigin) {
    this.#env = env;
    this.#adapter = adapter;
    this.#origin = origin;
    const attributes = { ...adapter.requestAttributes(body), ...origin.server };
    // One protocol, several providers (OpenAI-compatible APIs): the adapter's provider wins.
    attributes[sc.ATTR_GEN_AI_PROVIDER_NAME] = adapter.provider;
    this.#model = String(attributes[sc.ATTR_GEN_AI_REQUEST_MODEL] ?? '');
    this.#metricAttrs = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: adapter.operation,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: adapter.provider,
    };
    if (this.#model) this.#metricAttrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = this.#model;
    const name = this.#model ? `${adapter.operation} ${this.#model}` : adapter.operation;
    // Not governed: no decision will come, and the span says so from its start.
    if (env.client === undefined) attributes[sc.ATTR_AXONFLOW_DECISION] = sc.DECISION_SKIPPED;
    this.span = env.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, origin.parent);
    this.context = trace.setSpan(origin.parent, this.span);
    const textLimit = Math.max(env.summaryChars, env.captureContent ? env.maxCaptureChars : 0);
    this.#record = new ResponseRecord(textLimit, env.captureContent);
  }

  get ended(): boolean {
    return this.#state.ended;
  }

  /**
   * Called before each HTTP attempt, with the request options the client is about to send. Reads
   * the request, starts the pre-check and waits for the decision; a deny (or, in sandbox mode, an
   * agent failure) rejects, so the provider receives nothing. Retries reuse the same decision:
   * there is one pre-check per logical call.
   *
   * Throws when the body cannot be serialised (twice): the client's own serialisation would fail
   * the same way, so the attempt fails with that error and nothing is sent.
   *
   * `sent: false` when `options` is a holder of the patch layer's that the client never sends (a
   * method whose arguments are read, not replaced): the snapshot is then only read, and the
   * properties JSON leaves out are not carried over to it.
   */
  enterGate(options: { body?: unknown }, sent = true): Promise<void> | undefined {
    if (this.#state.ended) return undefined;
    this.#readRequest(options, sent);
    const state = this.#state;
    if (state.phase === 'checking') return state.checking?.then(d => this.#pass(d));
    // Decided now (a cache hit, nothing to check, governance off): no promise on the hot path.
    return this.#pass(state.decision);
  }

  /**
   * Reads the request at the gate, as the client is about to serialise it (time of check = time
   * of use): `options.body` is swapped for a private snapshot of itself (`snapshotBody`: what
   * `JSON.stringify` gives now, as plain data), and that snapshot is both what the pre-check reads
   * and what the client sends. Nothing else holds it, so a later change to the app's objects
   * cannot reach the provider. A retry whose body still serialises to the checked JSON keeps the
   * decision; a body that changed since (an app's `prepareOptions` override rewrote it) is checked
   * again.
   */
  #readRequest(options: { body?: unknown }, sent: boolean): void {
    const client = this.#env.client;
    if (client === undefined) {
      // Not governed: the body is read only for content capture, once.
      if (this.#env.captureContent && this.#state.phase === 'pending') {
        this.#captureInput(this.#adapter.input(options.body), options.body);
      }
      this.#state.decide(GOVERNANCE_OFF, false);
      return;
    }
    const snapshot = snapshotBody(options.body, sent);
    const json = snapshot?.json ?? '';
    if (this.#checkedJson === json) return;
    if (snapshot !== undefined) options.body = snapshot.value;
    this.#checkedJson = json;
    this.#state.reset();
    let inputs: CallInput[];
    try {
      const input = this.#adapter.input(snapshot?.value);
      if (this.#env.captureContent) this.#captureInput(input, snapshot?.value);
      const items = this.#adapter.items?.(snapshot?.value);
      inputs = items !== undefined && items.length > 1 ? items : [input];
    } catch (err) {
      // Our bug (the snapshot is plain data): the call goes ahead, as on any of our failures.
      this.#env.diag.error('axonflow-otel: could not read the request; it is not checked', err);
      this.#noticeUnreadable();
      const decision: Decision = {
        kind: 'fail_open',
        reason: 'instrumentation_error',
        result: undefined,
      };
      this.#state.decide(decision, false);
      this.span.setAttributes(decisionAttributes(decision).call);
      return;
    }
    this.#startPreChecks(client, inputs);
  }

  #noticeUnreadable(): void {
    notice(
      'ungoverned:unreadable-request',
      `an ${this.#adapter.provider} ${this.#adapter.operation} request could not be read, so it was sent NOT governed (never breaking the app comes first). Report the request shape to axonflow-otel.`,
    );
  }

  /**
   * One pre-check per prompt (one, except for batches), each under its own `axonflow.pre_check`
   * span; the call's decision is the strictest of theirs: a deny, else a block, else a fail-open,
   * else the first allow.
   */
  #startPreChecks(client: AxonFlowClient, inputs: CallInput[]): void {
    const queries = inputs.map(renderPrompt).filter(query => query.trim().length > 0);
    if (queries.length === 0) {
      this.#state.decide({ kind: 'skipped', reason: 'no_prompt' }, false);
      this.span.setAttribute(sc.ATTR_AXONFLOW_DECISION, sc.DECISION_SKIPPED);
      return;
    }
    const checks = queries.map(query => this.#preCheck(client, query));
    if (checks.every(check => !(check instanceof Promise))) {
      this.#decideCall(checks as Decision[]);
      return;
    }
    this.#state.check(Promise.all(checks).then(decisions => this.#decideCall(decisions)));
  }

  /** One pre-check: its decision, from the cache at once, or from the agent. */
  #preCheck(client: AxonFlowClient, query: string): Decision | Promise<Decision> {
    const callContext = getAxonFlowContext(this.#origin.parent);
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
    const known = peekDecision(client, request);
    if (known !== undefined) return this.#onDecision(known, client, preSpan, started);
    // Under the pre-check span: the request carries its trace context to the agent.
    return context
      .with(trace.setSpan(this.context, preSpan), () => client.preCheck(request))
      .then(
        result => this.#onDecision(result, client, preSpan, started),
        err => this.#recordPreCheck(decisionFromError(err, client.mode), preSpan, started),
      );
  }

  #onDecision(
    result: PreCheckResult,
    client: AxonFlowClient,
    preSpan: Span,
    started: number,
  ): Decision {
    let decision: Decision;
    try {
      decision = decisionFromResult(result, client.onRedaction === 'allow');
    } catch (err) {
      this.#env.diag.error('axonflow-otel: could not read the pre-check decision', err);
      decision = { kind: 'fail_open', reason: 'instrumentation_error', result: undefined };
    }
    return this.#recordPreCheck(decision, preSpan, started);
  }

  /** Records one pre-check's decision on its span and the metrics, and ends the span. */
  #recordPreCheck(decision: Decision, preSpan: Span, started: number): Decision {
    try {
      const attrs = decisionAttributes(decision);
      this.#recorded = { decision, attrs };
      preSpan.setAttributes(attrs.preCheck);
      const failure = decisionFailure(decision);
      if (failure !== undefined)
        preSpan.setStatus({ code: SpanStatusCode.ERROR, message: failure });
      const instruments = this.#env.instruments;
      if (instruments.recording) {
        const metricAttrs = { ...this.#metricAttrs, [sc.ATTR_AXONFLOW_DECISION]: decision.kind };
        instruments.preCheckDuration.record((performance.now() - started) / 1000, metricAttrs);
        instruments.decisions.add(1, metricAttrs);
      }
    } catch (err) {
      this.#env.diag.error('axonflow-otel: could not record the pre-check decision', err);
    }
    // Last: a throwing span processor must not cost the call its decision.
    safeEnd(preSpan);
    return decision;
  }

  /** The call's decision from its pre-checks', on the call span. */
  #decideCall(decisions: Decision[]): Decision {
    const decision =
      decisions.find(d => d.kind === 'deny') ??
      decisions.find(d => d.kind === 'error') ??
      decisions.find(d => d.kind === 'fail_open') ??
      (decisions[0] as Decision);
    this.#state.decide(decision, true);
    try {
      const recorded = this.#recorded;
      this.#recorded = undefined;
      const attrs = recorded?.decision === decision ? recorded.attrs : decisionAttributes(decision);
      this.span.setAttributes(attrs.call);
    } catch (err) {
      this.#env.diag.error('axonflow-otel: could not record the call decision', err);
    }
    return decision;
  }

  #pass(decision: Decision | undefined): Promise<void> | undefined {
    if (decision !== undefined && stops(decision)) {
      return Promise.reject(decision.kind === 'deny' ? decision.violation : decision.error);
    }
    if (this.#state.ended) return undefined;
    this.#state.delegate();
    // `axonflow.delegate` marks the hand-over after a policy decision; a call that was not
    // checked has no decision to hand over from.
    if (this.#delegate === undefined && this.#state.governed) {
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

  /** The response arrived (status and headers). */
  responded(): void {
    this.#responseArrived = true;
    this.#checkedJson = undefined;
    if (this.#rawOnly) this.end();
  }

  /** The app takes the raw response and never the parsed result: the call ends on the response. */
  rawResponseOnly(): void {
    this.#rawOnly = true;
    if (this.#responseArrived) this.end();
  }

  /** A complete (non-streamed) result, as the client parsed it. Ends the call. */
  result(data: unknown): void {
    if (this.#state.ended) return;
    try {
      this.#adapter.onResult(this.#record, data);
    } catch (err) {
      this.#env.diag.error('axonflow-otel: could not read the response', err);
    }
    this.end();
  }

  /** One streamed chunk or event, as the consumer receives it. */
  chunk(value: unknown): void {
    if (this.#state.ended) return;
    const now = performance.now();
    try {
      this.#adapter.onChunk(this.#record, value);
    } catch {
      // A chunk we cannot read is the client's business, not ours.
    }
    if (this.#firstChunkAt === undefined) this.#firstChunkAt = now;
    else if (this.#env.instruments.recording) {
      try {
        this.#chunkAttrs ??= this.#genAiMetricAttributes(undefined);
        this.#env.instruments.timePerOutputChunk.record(
          (now - this.#lastChunkAt) / 1000,
          this.#chunkAttrs,
        );
      } catch (err) {
        this.#env.diag.error('axonflow-otel: could not record a chunk metric', err);
      }
    }
    this.#lastChunkAt = now;
  }

  /**
   * Ends both spans, records metrics and hands the audit data over. Runs once, whatever comes
   * first: the result, the end of the stream, an error, a break, an abort.
   */
  end(err?: unknown, cancelled = false): void {
    if (!this.#state.end()) return;
    const span = this.span;
    const now = performance.now();
    try {
      const attrs = this.#responseAttributes(err, cancelled);
      const skip = this.#state.governed ? auditSkipReason(this.#state.decision) : undefined;
      if (skip !== undefined) attrs[sc.ATTR_AXONFLOW_AUDIT_SKIPPED] = skip;
      if (err !== undefined) {
        const type = errorType(err);
        // The provider's message may echo the API key (`Incorrect API key provided: sk-…`).
        const message = scrub((err as Error)?.message ?? type, 256);
        attrs[sc.ATTR_ERROR_TYPE] = type;
        span.setStatus({ code: SpanStatusCode.ERROR, message });
        // The conventions' exception event, without a stack trace (it would name the app's files).
        span.addEvent('exception', {
          [sc.ATTR_EXCEPTION_TYPE]: type,
          [sc.ATTR_EXCEPTION_MESSAGE]: message,
        });
      }
      span.setAttributes(attrs);
      this.#recordMetrics(now, err);
      if (this.#state.governed && this.#state.delegated && this.#adapter.audited !== false) {
        this.#handOffAudit(now, err, skip);
      }
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

  #responseAttributes(err: unknown, cancelled: boolean): Attributes {
    const record = this.#record;
    const attrs: Attributes = {};
    if (record.id) attrs[sc.ATTR_GEN_AI_RESPONSE_ID] = record.id;
    if (record.model) attrs[sc.ATTR_GEN_AI_RESPONSE_MODEL] = record.model;
    const reasons = record.finishReasons.filter(r => typeof r === 'string');
    if (reasons.length > 0) attrs[sc.ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = reasons;
    // Provider-specific response attributes (never usage), then usage, by the usage rule.
    Object.assign(attrs, record.attributes);
    if (!this.#origin.usageOnClientSpan) {
      if (record.inputTokens !== undefined)
        attrs[sc.ATTR_GEN_AI_USAGE_INPUT_TOKENS] = record.inputTokens;
      if (record.outputTokens !== undefined)
        attrs[sc.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS] = record.outputTokens;
      if (record.cacheReadTokens !== undefined) {
        attrs[sc.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = record.cacheReadTokens;
      }
      if (record.cacheCreationTokens !== undefined) {
        const name = this.#env.latestNames
          ? sc.LATEST_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS
          : sc.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS;
        attrs[name] = record.cacheCreationTokens;
      }
      if (record.reasoningTokens !== undefined) {
        attrs[sc.ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = record.reasoningTokens;
      }
    }
    if (this.#firstChunkAt !== undefined) {
      attrs[sc.ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] =
        (this.#firstChunkAt - this.#origin.startTime) / 1000;
    }
    if (cancelled) attrs[sc.ATTR_AXONFLOW_STREAM_CANCELLED] = true;
    if (
      this.#env.captureContent &&
      err === undefined &&
      OUTPUT_OPERATIONS.has(this.#adapter.operation)
    ) {
      attrs[sc.ATTR_GEN_AI_OUTPUT_MESSAGES] = capJson(
        record.outputMessages(),
        this.#env.maxCaptureChars,
      );
    }
    return attrs;
  }

  #handOffAudit(now: number, err: unknown, skip: string | undefined): void {
    // A recording span's record waits for an audit processor's onEnd; with none running, no one
    // would take it. (A span that is not recording hands its record over at once, and the
    // hand-off counts and reports the ones no processor received.)
    const recording = this.span.isRecording();
    if (recording && !auditReceiverActive()) return;
    const d = this.#state.decision;
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
      latencyMs: now - this.#origin.startTime,
      responseSummary: record.text.slice(0, this.#env.summaryChars),
      metadata,
    };
    // A span that is not recording never reaches a span processor: the record goes to the most
    // recently started audit processor instead (see `src/audit/`).
    if (recording) attachAuditData(this.span, data);
    else submitAuditData(data, this.span.spanContext());
  }

  #genAiMetricAttributes(err: unknown): Attributes {
    const attrs: Attributes = { ...this.#metricAttrs, ...this.#origin.server };
    const record = this.#record;
    if (record.model) attrs[sc.ATTR_GEN_AI_RESPONSE_MODEL] = record.model;
    // Recommended on the GenAI metrics for OpenAI (openai.md), when the response named them.
    for (const key of OPENAI_METRIC_ATTRIBUTES) {
      const value = record.attributes[key];
      if (value !== undefined) attrs[key] = value;
    }
    if (err !== undefined) attrs[sc.ATTR_ERROR_TYPE] = errorType(err);
    return attrs;
  }

  /**
   * The GenAI client metrics of a call that reached the model. A call the gate stopped (a deny,
   * or a call blocked because it could not be checked) made no GenAI operation: it is counted by
   * `axonflow.decisions` only, so GenAI error-rate alerts do not fire on policy working as
   * intended.
   */
  #recordMetrics(now: number, err: unknown): void {
    const decision = this.#state.decision;
    if (decision !== undefined && stops(decision)) return;
    const { duration, tokens, timeToFirstChunk, recording } = this.#env.instruments;
    if (!recording) return;
    const attrs = this.#genAiMetricAttributes(err);
    duration.record((now - this.#origin.startTime) / 1000, attrs);
    if (this.#firstChunkAt !== undefined) {
      timeToFirstChunk.record((this.#firstChunkAt - this.#origin.startTime) / 1000, attrs);
    }
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

  #captureInput(input: CallInput, body: unknown): void {
    const max = this.#env.maxCaptureChars;
    const tools = this.#adapter.toolDefinitions?.(body);
    if (tools !== undefined && tools.length > 0) {
      this.span.setAttribute(sc.ATTR_GEN_AI_TOOL_DEFINITIONS, capJson(tools, max));
    }
    if (input.system.length > 0) {
      this.span.setAttribute(
        sc.ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
        capJson(toSemconvParts(input.system), max),
      );
    }
    const messages = input.messages.map(m => ({ role: m.role, parts: toSemconvParts(m.parts) }));
    this.span.setAttribute(sc.ATTR_GEN_AI_INPUT_MESSAGES, capJson(messages, max));
  }
}

function safeEnd(span: Span): void {
  try {
    span.end();
  } catch {
    // A throwing span processor is the app's; it must not become our exception.
  }
}
