/**
 * AxonFlowAuditSpanProcessor: sends the audit record of every governed LLM call to the AxonFlow
 * agent (`POST /api/audit/llm-call`) in the background, and records an `axonflow.audit` span for
 * each one as a child of the call's span.
 *
 * Shaped like OpenTelemetry's BatchSpanProcessor: `onEnd` only takes the call's audit data (handed
 * over out of band, see `src/audit/`) and puts it in a bounded queue; a full queue drops the newest
 * record and counts it; sending starts after `scheduledDelayMillis` or once `maxExportBatchSize`
 * records wait, on an `unref()`'d timer; the agent is called with tracing suppressed. Unlike the
 * BatchSpanProcessor it sends one request per record (the audit API takes one, and has no batch
 * endpoint), as many at a time as the agent keeps up with (`limit.ts`: AIMD between
 * `minConcurrency` and `concurrency`, growing while records wait and latency holds, halving on
 * overload), over the client's kept-alive connections, and retries unavailability (5xx, 429,
 * network, timeout, invalid reply) with exponential backoff and full jitter (`client/backoff.ts`)
 * within `exportTimeoutMillis`, because an audit record lost to a restart of the agent is a gap in
 * the audit trail, not a missing trace.
 *
 * Nothing here throws into the app: failures are counted (`stats()`, `axonflow.audit.*` counters)
 * and reported through `diag`, at most once per interval.
 */
import { randomUUID } from 'node:crypto';
import {
  type Span as ApiSpan,
  type Attributes,
  type Context,
  type Counter,
  context,
  diag,
  INVALID_SPAN_CONTEXT,
  type MeterProvider,
  metrics,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { type AuditData, registerAuditReceiver, takeAuditData } from '../audit/index.js';
import { backoffDelay } from '../client/backoff.js';
import { AxonFlowClient } from '../client/client.js';
import {
  ConfigError,
  ErrorCode,
  errorCode,
  errorStatus,
  errorType,
  sanitizeAgentText,
} from '../client/errors/index.js';
import type { AuditLLMCallRequest, AuditResult } from '../client/types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../client/version.js';
import { ConcurrencyLimit } from './limit.js';
import { RateLimitedReport } from './reporter.js';
import { RingBuffer } from './ring-buffer.js';
import {
  ATTR_AUDIT_ATTEMPTS,
  ATTR_AUDIT_ID,
  ATTR_AUDIT_SKIPPED,
  ATTR_CONTEXT_ID,
  ATTR_DROP_REASON,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_SKIP_REASON,
  AUDIT_SPAN_NAME,
  DROP_REASON_QUEUE_FULL,
  DROP_REASON_SHUTDOWN,
  METRIC_AUDIT_DROPPED,
  METRIC_AUDIT_EXPORTED,
  METRIC_AUDIT_FAILED,
  METRIC_AUDIT_SKIPPED,
  SKIP_REASON_NO_CONTEXT,
} from './semconv.js';
import type {
  AuditClient,
  AuditProcessorStats,
  AxonFlowAuditSpanProcessorConfig,
} from './types.js';

const DEFAULT_MAX_QUEUE_SIZE = 2048;
const DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;
const DEFAULT_SCHEDULED_DELAY_MILLIS = 200;
const DEFAULT_EXPORT_TIMEOUT_MILLIS = 30_000;
/** Cap of the adaptive concurrency: a quarter of the client's connection pool (512 by default). */
const DEFAULT_CONCURRENCY = 128;
/** Where the adaptive concurrency starts and the least it backs off to. */
const DEFAULT_MIN_CONCURRENCY = 8;
/** Longest delay `setTimeout` honours; larger values fire after 1 ms. */
const MAX_TIMER_MILLIS = 2 ** 31 - 1;

/** Errors that mean the agent is overloaded or unreachable: the concurrency backs off. */
const OVERLOAD_CODES: ReadonlySet<string> = new Set([ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT]);

/**
 * Retry delays (`backoffDelay`): the first below 100 ms, the ceiling doubled for each further
 * retry up to 2 s, each drawn at random below its ceiling.
 */
const BACKOFF = { initialMs: 100, maxMs: 2000 } as const;
/** A retry is only worth making with at least this much of the record's budget left. */
const MIN_ATTEMPT_MS = 100;
/** Drops, failures and internal errors are reported at most once per this interval. */
const REPORT_INTERVAL_MS = 10_000;
/**
 * How long `shutdown()` waits, after its deadline, for attempts still running to end; they end by
 * the client's own deadline (AXONFLOW_TIMEOUT_MS, 1000 ms by default).
 */
const ABORT_GRACE_MS = 1000;

const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  ErrorCode.UNAVAILABLE,
  ErrorCode.TIMEOUT,
  ErrorCode.INVALID_RESPONSE,
]);
/** `error.type` of a reply that parsed but did not say the record was stored. */
const ERROR_TYPE_NOT_RECORDED = 'audit_not_recorded';

/** Metadata key of the record's idempotency key in the audit request. */
const IDEMPOTENCY_KEY = 'idempotency_key';

interface AuditRecord {
  readonly seq: number;
  readonly data: AuditData;
  /** Span context of the governed call's span: the parent of the `axonflow.audit` span. */
  readonly parent: SpanContext;
}

interface FlushWaiter {
  /** Sequence number of the newest record the flush must see settled. */
  readonly target: number;
  readonly settle: (completed: boolean) => void;
}

interface Instruments {
  exported: Counter;
  dropped: Counter;
  failed: Counter;
  skipped: Counter;
}

export class AxonFlowAuditSpanProcessor implements SpanProcessor {
  readonly #client: AuditClient | undefined;
  readonly #maxQueueSize: number;
  readonly #maxExportBatchSize: number;
  readonly #scheduledDelayMillis: number;
  readonly #exportTimeoutMillis: number;
  readonly #limit: ConcurrencyLimit;
  readonly #tracerProvider: TracerProvider | undefined;
  #tracer: Tracer | undefined;
  readonly #meterProvider: MeterProvider | undefined;
  #instruments: Instruments | undefined;

  readonly #queue: RingBuffer<AuditRecord>;
  /** Sequence numbers of the records being sent. */
  readonly #inFlight = new Set<number>();
  #seq = 0;
  #workers = 0;
  #timer: NodeJS.Timeout | undefined;
  #kickPending = false;
  #flushWaiters: FlushWaiter[] = [];
  #idleWaiters: (() => void)[] = [];

  #closed = false;
  #shutdown: Promise<void> | undefined;
  /** `shutdown()`'s deadline (`performance.now()` time): no attempt starts after it. */
  #stopAt = Number.POSITIVE_INFINITY;
  /** Set when `shutdown()` gives up: no further attempts or retries. */
  #stopped = false;
  #wakeSleepers: () => void = () => {};
  /** Resolves when `shutdown()` gives up, waking records that wait to retry. */
  readonly #stopSignal = new Promise<void>(resolve => {
    this.#wakeSleepers = resolve;
  });

  #envClient: AxonFlowClient | undefined;
  #envClientFailure: unknown;
  /** Set when `shutdown()` has closed (or would have closed) the environment's client. */
  #envClientDone = false;

  #exported = 0;
  #dropped = 0;
  #failed = 0;
  #skipped = 0;
  readonly #dropReport: RateLimitedReport;
  readonly #failReport: RateLimitedReport;
  readonly #errorReport: RateLimitedReport;
  /** Leaves the audit hand-off's active processors (at `shutdown()`). */
  readonly #leave: () => void;

  /** @throws ConfigError naming the option, when an option is invalid. */
  constructor(config: AxonFlowAuditSpanProcessorConfig = {}) {
    if (typeof config !== 'object' || config === null) {
      throw new ConfigError('config', 'the audit span processor config must be an object');
    }
    if (config.client !== undefined && (typeof config.client !== 'object' || !config.client)) {
      throw new ConfigError('client', 'client must be an AxonFlowClient (or have auditLLMCall)');
    }
    this.#client = config.client;
    this.#maxQueueSize = integer('maxQueueSize', config.maxQueueSize, DEFAULT_MAX_QUEUE_SIZE);
    if (config.maxExportBatchSize === undefined) {
      this.#maxExportBatchSize = Math.min(DEFAULT_MAX_EXPORT_BATCH_SIZE, this.#maxQueueSize);
    } else {
      this.#maxExportBatchSize = integer(
        'maxExportBatchSize',
        config.maxExportBatchSize,
        DEFAULT_MAX_EXPORT_BATCH_SIZE,
      );
      if (this.#maxExportBatchSize > this.#maxQueueSize) {
        throw new ConfigError(
          'maxExportBatchSize',
          `maxExportBatchSize (${this.#maxExportBatchSize}) must not exceed maxQueueSize (${this.#maxQueueSize})`,
        );
      }
    }
    this.#scheduledDelayMillis = millis(
      'scheduledDelayMillis',
      config.scheduledDelayMillis,
      DEFAULT_SCHEDULED_DELAY_MILLIS,
      0,
    );
    this.#exportTimeoutMillis = millis(
      'exportTimeoutMillis',
      config.exportTimeoutMillis,
      DEFAULT_EXPORT_TIMEOUT_MILLIS,
      1,
    );
    const concurrency = integer('concurrency', config.concurrency, DEFAULT_CONCURRENCY);
    let minConcurrency: number;
    if (config.minConcurrency === undefined) {
      minConcurrency = Math.min(DEFAULT_MIN_CONCURRENCY, concurrency);
    } else {
      minConcurrency = integer('minConcurrency', config.minConcurrency, DEFAULT_MIN_CONCURRENCY);
      if (minConcurrency > concurrency) {
        throw new ConfigError(
          'minConcurrency',
          `minConcurrency (${minConcurrency}) must not exceed concurrency (${concurrency})`,
        );
      }
    }
    this.#limit = new ConcurrencyLimit(minConcurrency, concurrency);
    if (
      config.tracerProvider !== undefined &&
      typeof config.tracerProvider?.getTracer !== 'function'
    ) {
      throw new ConfigError(
        'tracerProvider',
        'tracerProvider must be an OpenTelemetry TracerProvider',
      );
    }
    if (
      config.meterProvider !== undefined &&
      typeof config.meterProvider?.getMeter !== 'function'
    ) {
      throw new ConfigError(
        'meterProvider',
        'meterProvider must be an OpenTelemetry MeterProvider',
      );
    }
    this.#tracerProvider = config.tracerProvider;
    this.#meterProvider = config.meterProvider;
    this.#queue = new RingBuffer(this.#maxQueueSize);

    this.#dropReport = new RateLimitedReport(count => {
      diag.warn(
        `axonflow-otel: dropped ${count} audit record(s): the audit queue is full (maxQueueSize=${this.#maxQueueSize}); the agent is slow or unreachable, or maxQueueSize is too small`,
      );
    }, REPORT_INTERVAL_MS);
    this.#failReport = new RateLimitedReport((count, byType, last) => {
      diag.warn(
        `axonflow-otel: ${count} audit record(s) not delivered (${describeCounts(byType)}); last error: ${last}`,
      );
    }, REPORT_INTERVAL_MS);
    this.#errorReport = new RateLimitedReport((count, _byKind, last) => {
      diag.error(
        `axonflow-otel: audit span processor: ${count} unexpected error(s); last: ${last}`,
      );
    }, REPORT_INTERVAL_MS);
    // Calls whose span is not recording (sampled out) reach no span processor: this one receives
    // them while it is the most recently started processor not shut down (see `src/audit/`).
    this.#leave = registerAuditReceiver((data, parent) => this.#accept(data, parent));
  }

  onStart(_span: Span, _parentContext: Context): void {}

  /**
   * Takes the audit data of a governed call's span, if it has any, and queues it. O(1), no I/O;
   * never throws. Spans without audit data (most spans) cost one WeakMap lookup.
   */
  onEnd(span: ReadableSpan): void {
    try {
      const data = takeAuditData(span);
      if (data === undefined) return;
      this.#accept(data, span.spanContext());
    } catch (err) {
      this.#internalError(err);
    }
  }

  /**
   * Queues one record: from `onEnd`, or from the audit hand-off for a call whose span is not
   * recording.
   */
  #accept(data: AuditData, parent: SpanContext): void {
    try {
      if (this.#closed) {
        this.#countDropped(DROP_REASON_SHUTDOWN, 1);
        return;
      }
      if (this.#queue.size >= this.#maxQueueSize) {
        this.#countDropped(DROP_REASON_QUEUE_FULL, 1);
        this.#dropReport.add(DROP_REASON_QUEUE_FULL);
        return;
      }
      this.#queue.push({ seq: ++this.#seq, data, parent });
      this.#schedule();
    } catch (err) {
      this.#internalError(err);
    }
  }

  /**
   * Sends every record queued so far and waits for the ones in flight, for at most
   * `exportTimeoutMillis`. Resolves (never rejects) either way; on timeout, logs what is left.
   */
  async forceFlush(): Promise<void> {
    if (this.#shutdown !== undefined) return this.#shutdown;
    try {
      const completed = await this.#flush();
      if (!completed) {
        diag.warn(
          `axonflow-otel: audit forceFlush did not finish within exportTimeoutMillis (${this.#exportTimeoutMillis} ms): ${this.#queue.size} record(s) queued, ${this.#inFlight.size} in flight`,
        );
      }
    } catch (err) {
      this.#internalError(err);
    }
  }

  /**
   * Flushes (within `exportTimeoutMillis`), then stops: records arriving later are dropped and
   * counted, records still queued at the deadline are dropped, records waiting to retry fail, and
   * attempts still running end by the client's own deadline. Idempotent; resolves, never rejects.
   */
  shutdown(): Promise<void> {
    this.#leave();
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  /** Counters since creation, and the current queue and in-flight sizes. */
  stats(): AuditProcessorStats {
    return {
      queued: this.#queue.size,
      concurrency: this.#limit.current,
      inFlight: this.#inFlight.size,
      exported: this.#exported,
      dropped: this.#dropped,
      failed: this.#failed,
      skipped: this.#skipped,
    };
  }

  // --- scheduling --------------------------------------------------------------------------------

  #schedule(): void {
    if (this.#queue.size >= this.#maxExportBatchSize) {
      if (!this.#kickPending) {
        this.#kickPending = true;
        setImmediate(this.#kick).unref();
      }
    } else if (this.#timer === undefined && this.#workers < this.#limit.current) {
      // Also while some records are being sent: a record waiting to retry must not hold up the
      // ones behind it when there is room for more sends.
      this.#timer = setTimeout(this.#onTimer, this.#scheduledDelayMillis);
      this.#timer.unref();
    }
  }

  readonly #kick = (): void => {
    this.#kickPending = false;
    this.#pump();
  };

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#pump();
  };

  /** Starts workers, up to the current limit, that send records until the queue is empty. */
  #pump(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const start = Math.min(this.#limit.current - this.#workers, this.#queue.size);
    if (start <= 0) return;
    try {
      // Workers must not run in (or keep alive) whatever context the app ended its span in.
      context.with(ROOT_CONTEXT, this.#startWorkers, this, start);
    } catch (err) {
      // Only a broken context manager gets here; run the workers without it.
      this.#internalError(err);
      if (this.#workers === 0) this.#startWorkers(start);
    }
  }

  #startWorkers(count: number): void {
    // All counted first: each one's first send sees how many senders there are.
    this.#workers += count;
    for (let i = 0; i < count; i++) void this.#work();
  }

  async #work(): Promise<void> {
    try {
      // A worker beyond the limit (it was just cut) retires instead of taking the next record.
      while (this.#workers <= this.#limit.current) {
        const rec = this.#queue.shift();
        if (rec === undefined) break;
        this.#inFlight.add(rec.seq);
        try {
          await this.#send(rec);
        } catch (err) {
          this.#internalError(err);
        } finally {
          this.#inFlight.delete(rec.seq);
          if (this.#flushWaiters.length > 0) this.#settleFlushWaiters();
        }
        // The limit may have grown with this send: the backlog gets the new senders now.
        if (this.#workers < this.#limit.current && this.#queue.size > 0) this.#pump();
      }
    } finally {
      this.#workers--;
      if (this.#workers === 0 && this.#idleWaiters.length > 0) {
        for (const resolve of this.#idleWaiters.splice(0)) resolve();
      }
    }
  }

  // --- sending -----------------------------------------------------------------------------------

  async #send(rec: AuditRecord): Promise<void> {
    const { data } = rec;
    const parent = trace.setSpanContext(ROOT_CONTEXT, rec.parent);
    const attributes: Attributes = {};
    if (typeof data.provider === 'string') attributes[ATTR_GEN_AI_PROVIDER_NAME] = data.provider;
    if (typeof data.model === 'string') attributes[ATTR_GEN_AI_REQUEST_MODEL] = data.model;

    const contextId = data.contextId;
    if (typeof contextId !== 'string' || contextId === '') {
      // Failed open or never checked: there is no context to audit against, and making one up
      // would forge the trail. The span still shows the call was not audited, and why.
      const reason =
        typeof data.skipReason === 'string' && data.skipReason !== ''
          ? data.skipReason
          : SKIP_REASON_NO_CONTEXT;
      attributes[ATTR_AUDIT_SKIPPED] = reason;
      attributes[ATTR_AUDIT_ATTEMPTS] = 0;
      this.#startSpan(attributes, parent).end();
      this.#skipped++;
      this.#count('skipped', 1, { [ATTR_SKIP_REASON]: reason });
      return;
    }

    // The raw id goes to the agent; the span gets it capped and cleaned, like the call span.
    attributes[ATTR_CONTEXT_ID] = sanitizeAgentText(contextId, 256);
    const span = this.#startSpan(attributes, parent);
    const client = this.#sender();
    if (client === undefined) {
      this.#fail(span, this.#envClientFailure, 0);
      return;
    }
    const request: AuditLLMCallRequest = {
      contextId,
      responseSummary: data.responseSummary,
      provider: data.provider,
      model: data.model,
      tokenUsage: data.tokenUsage,
      latencyMs: data.latencyMs,
      // One key per record, the same on every attempt: an agent that stored an attempt whose
      // answer came too late can drop the retry as a duplicate.
      metadata: { ...data.metadata, [IDEMPOTENCY_KEY]: randomUUID() },
    };
    const deadline = performance.now() + this.#exportTimeoutMillis;
    let attempts = 0;
    let result: AuditResult | undefined;
    for (;;) {
      attempts++;
      const ordinal = this.#limit.start();
      // Whether every sender allowed was busy when this one started: only then can more help.
      const full = this.#workers >= this.#limit.current;
      const startedAt = performance.now();
      try {
        // One attempt, bounded by the client's own deadline (`timeoutMs`, AXONFLOW_TIMEOUT_MS);
        // retrying is decided here, within the record's budget. No abort signal is passed: an
        // `AbortSignal.any` per call on a long-lived signal costs more than the rest of the send.
        // Under the audit span, tracing suppressed: the request carries the audit span's trace
        // context to the agent, and no HTTP instrumentation traces the call (whatever the client).
        result = await context.with(
          suppressTracing(trace.setSpan(ROOT_CONTEXT, span)),
          client.auditLLMCall,
          client,
          request,
          {
            retry: false,
          },
        );
        const now = performance.now();
        this.#limit.onAnswer(now - startedAt, full && this.#queue.size > 0, now);
        break;
      } catch (err) {
        const code = errorCode(err) ?? '';
        // Anything else (a rejection, an unreadable reply) is an agent that answered: no signal.
        if (OVERLOAD_CODES.has(code)) this.#limit.onOverload(ordinal);
        if (!this.#stopped && RETRYABLE_CODES.has(code)) {
          const left = Math.min(deadline, this.#stopAt) - performance.now() - MIN_ATTEMPT_MS;
          const wait = Math.min(backoffDelay(attempts, BACKOFF), left);
          if (wait >= 0) {
            await sleep(wait, this.#stopSignal);
            if (!this.#stopped) continue;
          }
        }
        this.#fail(span, err, attempts);
        return;
      }
    }
    if (result?.success !== true) {
      this.#fail(span, ERROR_TYPE_NOT_RECORDED, attempts);
      return;
    }
    this.#exported++;
    this.#count('exported', 1, undefined);
    const auditId = sanitizeAgentText(result.auditId, 128);
    if (auditId !== '') span.setAttribute(ATTR_AUDIT_ID, auditId);
    span.setAttribute(ATTR_AUDIT_ATTEMPTS, attempts);
    span.end();
  }

  /**
   * Starts an `axonflow.audit` span under the call's span. The parent context is built on
   * ROOT_CONTEXT, never on the active one, so a suppressed context of the caller cannot turn it
   * into a non-recording span. The tracer is resolved on first use, so a provider that is only
   * complete after this processor was created (the processor is one of its own processors) works.
   */
  #startSpan(attributes: Attributes, parent: Context): ApiSpan {
    try {
      this.#tracer ??= (this.#tracerProvider ?? trace.getTracerProvider()).getTracer(
        PACKAGE_NAME,
        PACKAGE_VERSION,
      );
      return this.#tracer.startSpan(AUDIT_SPAN_NAME, { kind: SpanKind.CLIENT, attributes }, parent);
    } catch (err) {
      // A broken tracer must not cost the audit record itself.
      this.#internalError(err);
      return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    }
  }

  /**
   * The client that sends every record: the configured one, else one built from the environment
   * on first use (closed by `shutdown()`). Records carry no client of their own.
   */
  #sender(): AuditClient | undefined {
    if (this.#client !== undefined) return this.#client;
    if (this.#envClient !== undefined) return this.#envClient;
    if (this.#envClientFailure !== undefined) return undefined;
    try {
      this.#envClient = AxonFlowClient.fromEnv();
      // Built while `shutdown()` flushes, it sends the records being flushed and is closed at the
      // end; built after that, it must not outlive this processor.
      if (this.#envClientDone) void this.#envClient.close();
      return this.#envClient;
    } catch (err) {
      this.#envClientFailure = err ?? new Error('AxonFlowClient.fromEnv() failed');
      diag.error(
        `axonflow-otel: cannot build an AxonFlow client from the environment to send audit records (${errorMessage(err)}); they are counted as failed. Pass one: \`new AxonFlowAuditSpanProcessor({ client })\``,
      );
      return undefined;
    }
  }

  /** Ends the audit span as failed and counts the record. `failure` is an error or an error type. */
  #fail(span: ApiSpan, failure: unknown, attempts: number): void {
    const type = typeof failure === 'string' ? failure : errorType(failure);
    const status = errorStatus(failure);
    span.setAttribute(ATTR_ERROR_TYPE, type);
    span.setAttribute(ATTR_AUDIT_ATTEMPTS, attempts);
    // Our own words only: the agent's message goes to the diag log, never into a span.
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: `audit record not delivered: ${type}${status === undefined ? '' : ` (HTTP ${status})`}`,
    });
    span.end();
    this.#failed++;
    this.#count('failed', 1, { [ATTR_ERROR_TYPE]: type });
    this.#failReport.add(
      type,
      typeof failure === 'string' ? 'the agent did not confirm the record' : errorMessage(failure),
    );
  }

  // --- flush and shutdown ------------------------------------------------------------------------

  /** Resolves true once every record queued so far has settled, false at the deadline. */
  #flush(): Promise<boolean> {
    const target = this.#seq;
    if (this.#lowestPending() > target) return Promise.resolve(true);
    return new Promise<boolean>(resolve => {
      const timer = setTimeout(() => {
        this.#flushWaiters = this.#flushWaiters.filter(w => w !== waiter);
        resolve(false);
      }, this.#exportTimeoutMillis);
      timer.unref();
      const waiter: FlushWaiter = {
        target,
        settle: completed => {
          clearTimeout(timer);
          resolve(completed);
        },
      };
      this.#flushWaiters.push(waiter);
      this.#pump();
    });
  }

  /** Sequence number of the oldest record not settled yet (Infinity when none). */
  #lowestPending(): number {
    let low = this.#queue.peek()?.seq ?? Number.POSITIVE_INFINITY;
    for (const seq of this.#inFlight) if (seq < low) low = seq;
    return low;
  }

  #settleFlushWaiters(): void {
    const low = this.#lowestPending();
    const waiting: FlushWaiter[] = [];
    for (const waiter of this.#flushWaiters) {
      if (waiter.target < low) waiter.settle(true);
      else waiting.push(waiter);
    }
    this.#flushWaiters = waiting;
  }

  #whenIdle(timeoutMs: number): Promise<void> {
    if (this.#workers === 0) return Promise.resolve();
    return new Promise<void>(resolve => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async #doShutdown(): Promise<void> {
    this.#closed = true;
    this.#stopAt = performance.now() + this.#exportTimeoutMillis;
    try {
      const completed = await this.#flush();
      if (!completed) {
        let left = 0;
        while (this.#queue.shift() !== undefined) left++;
        if (left > 0) this.#countDropped(DROP_REASON_SHUTDOWN, left);
        if (this.#flushWaiters.length > 0) this.#settleFlushWaiters();
        diag.warn(
          `axonflow-otel: audit shutdown gave up after exportTimeoutMillis (${this.#exportTimeoutMillis} ms): ${left} queued record(s) dropped, ${this.#inFlight.size} send(s) not confirmed`,
        );
      }
      this.#stopped = true;
      this.#wakeSleepers();
      await this.#whenIdle(ABORT_GRACE_MS);
    } catch (err) {
      this.#internalError(err);
    } finally {
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      this.#dropReport.flush();
      this.#failReport.flush();
      this.#errorReport.flush();
      this.#envClientDone = true;
      if (this.#envClient !== undefined) await this.#envClient.close().catch(() => undefined);
    }
  }

  // --- counting ----------------------------------------------------------------------------------

  #countDropped(reason: string, n: number): void {
    this.#dropped += n;
    this.#count('dropped', n, { [ATTR_DROP_REASON]: reason });
  }

  #count(which: keyof Instruments, n: number, attributes: Attributes | undefined): void {
    try {
      this.#instruments ??= this.#createInstruments();
      this.#instruments[which].add(n, attributes);
    } catch (err) {
      this.#internalError(err);
    }
  }

  /** Created on first use, so a global meter provider registered after construction is used. */
  #createInstruments(): Instruments {
    const meter = (this.#meterProvider ?? metrics.getMeterProvider()).getMeter(
      PACKAGE_NAME,
      PACKAGE_VERSION,
    );
    const unit = '{record}';
    return {
      exported: meter.createCounter(METRIC_AUDIT_EXPORTED, {
        unit,
        description: 'Audit records the AxonFlow agent accepted.',
      }),
      dropped: meter.createCounter(METRIC_AUDIT_DROPPED, {
        unit,
        description: 'Audit records dropped without being sent (queue full, or after shutdown).',
      }),
      failed: meter.createCounter(METRIC_AUDIT_FAILED, {
        unit,
        description: 'Audit records not delivered: rejected, or not accepted within the budget.',
      }),
      skipped: meter.createCounter(METRIC_AUDIT_SKIPPED, {
        unit,
        description: 'Audit records of calls without a context id (failed open), never sent.',
      }),
    };
  }

  #internalError(err: unknown): void {
    try {
      this.#errorReport.add('internal', errorMessage(err));
    } catch {
      // Reporting must not fail the caller either.
    }
  }
}

// --- helpers -------------------------------------------------------------------------------------

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? typeof value);
}

function integer(setting: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ConfigError(setting, `${setting} must be an integer >= 1, got ${describe(value)}`);
  }
  return value;
}

function millis(setting: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > MAX_TIMER_MILLIS
  ) {
    throw new ConfigError(
      setting,
      `${setting} must be a number of milliseconds from ${min} to ${MAX_TIMER_MILLIS}, got ${describe(value)}`,
    );
  }
  return value;
}

/** Waits `ms` (on an unref'd timer), or less if `wake` resolves first. */
function sleep(ms: number, wake: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>(resolve => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([elapsed, wake]).finally(() => clearTimeout(timer));
}

function errorMessage(err: unknown): string {
  try {
    const message = err instanceof Error ? err.message : String(err);
    return sanitizeAgentText(message, 300) || 'unknown error';
  } catch {
    return 'unknown error';
  }
}

function describeCounts(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([kind, n]) => `${kind}: ${n}`).join(', ');
}
