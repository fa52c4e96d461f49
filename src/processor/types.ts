/**
 * Public configuration and result types of the audit span processor.
 */
import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import type { CallOptions } from '../client/client.js';
import type { AuditLLMCallRequest, AuditResult } from '../client/types.js';

/**
 * What the processor needs from a client: the audit call. An `AxonFlowClient` is one; anything
 * with the same method and contract (typed errors with a stable `code`) will do.
 */
export interface AuditClient {
  auditLLMCall(request: AuditLLMCallRequest, options?: CallOptions): Promise<AuditResult>;
}

export interface AxonFlowAuditSpanProcessorConfig {
  /**
   * Client that sends every audit record. Give it the client the instrumentation pre-checks with
   * (as the register entry and "Programmatic setup" in the README do): an audit record names the
   * pre-check's context id, which only the agent that made the check knows. When absent, one
   * client is built from the `AXONFLOW_*` environment variables on first use (and closed by
   * `shutdown()`), the same way an instrumentation without a client builds its own. Audit records
   * carry no client: this option is the only one the processor uses.
   */
  client?: AuditClient;
  /**
   * Most records waiting to be sent. When the queue is full the newest record is dropped and
   * counted (`axonflow.audit.dropped`), so a slow or unreachable agent costs bounded memory and
   * never blocks the app. Each record holds only the call's audit data (a capped response
   * summary and a few numbers). @default 2048 (as the BatchSpanProcessor)
   */
  maxQueueSize?: number;
  /**
   * Queue length that starts sending at once instead of waiting for `scheduledDelayMillis`.
   * Must not exceed `maxQueueSize`; when left unset it is lowered to `maxQueueSize` if needed.
   * The audit API takes one record per request, so this is a trigger, not a request size.
   * @default 512 (as the BatchSpanProcessor)
   */
  maxExportBatchSize?: number;
  /**
   * How long a record may wait in the queue before sending starts. Shorter than the
   * BatchSpanProcessor's 5000 ms because an audit trail is read as it happens (compliance
   * dashboards, incident response) and each record is one small request on a kept-alive
   * connection, so there is little to gain by batching longer; 200 ms still coalesces the
   * records of a burst into one wake-up instead of one timer per call. @default 200
   */
  scheduledDelayMillis?: number;
  /**
   * Time budget of one record, retries included: a record not accepted by the agent within it is
   * counted as failed (`axonflow.audit.failed`). Unavailability (network, 5xx, 429, timeout,
   * invalid reply) is retried with exponential backoff and jitter until then; no attempt starts
   * after it, and each attempt is bounded by the client's own deadline (`timeoutMs`,
   * `AXONFLOW_TIMEOUT_MS`), so a hung connection is given up and retried. Long enough to ride out
   * an agent restart or a short network outage. It also bounds `forceFlush()` and `shutdown()`.
   * @default 30000 (as the BatchSpanProcessor)
   */
  exportTimeoutMillis?: number;
  /**
   * Most records sent at the same time: the cap of the adaptive concurrency (AIMD). The processor
   * starts at `minConcurrency` and, while every sender is busy, records wait in the queue and the
   * agent answers about as fast as it did (smoothed latency at most 1.5 times its fastest recent
   * answer), adds senders: one per answer (doubling per round trip) until latency starts to grow,
   * then one per round trip. Overload (5xx, 429, network errors, timeouts, an open breaker) halves
   * the number, not below `minConcurrency`, at most once per round of sends. Throughput is about
   * the number of senders divided by the agent's round trip: 128 keep up with about 2,500
   * records/s from an agent 50 ms away; on loopback a few senders saturate the CPU, latency grows
   * first, and the number stays low.
   *
   * Interactions and cost: each record in flight holds one of the client's kept-alive connections
   * (`connections`, `AXONFLOW_CONNECTIONS`, 512 by default) for a round trip, and pre-checks, on
   * the app's hot path, share that pool; the default is a quarter of it, so pre-checks always keep
   * the rest. With fewer connections, keep this at most half of them. Memory is bounded by the
   * queue (`maxQueueSize`) plus these records; the limit only grows while records wait, so an
   * agent that keeps up never sees more than the app's rate times its round trip.
   * Must be at least `minConcurrency`. @default 128
   */
  concurrency?: number;
  /**
   * Records sent at the same time when sending starts, and the fewest the processor backs off to
   * on overload: a record waiting to retry holds one of these, so at least this many others can
   * be sent meanwhile. Setting it equal to `concurrency` turns the adaptation off (a fixed number
   * of senders). Must not exceed `concurrency`; when left unset it is lowered to `concurrency` if
   * needed. @default 8
   */
  minConcurrency?: number;
  /**
   * Where the `axonflow.audit` spans go (one per record, a child of the call's span). Its tracer
   * is taken when the first record is sent, so this may be a provider that lists this processor
   * among its own span processors (or a `ProxyTracerProvider` delegating to it).
   * @default the global tracer provider (`trace.getTracerProvider()`)
   */
  tracerProvider?: TracerProvider;
  /**
   * Where the `axonflow.audit.*` counters go. Resolved when the first record is counted, so a
   * global meter provider registered after this processor is created is still used.
   * @default the global meter provider (`metrics.getMeterProvider()`)
   */
  meterProvider?: MeterProvider;
}

/** A snapshot of the processor's counters, as returned by `stats()`. */
export interface AuditProcessorStats {
  /** Records waiting in the queue. */
  queued: number;
  /** Records the processor may send at the same time now (adaptive, see `concurrency`). */
  concurrency: number;
  /** Records being sent (or waiting between retries). */
  inFlight: number;
  /** Records the agent accepted. */
  exported: number;
  /** Records dropped without being sent: queue full, or received after `shutdown()`. */
  dropped: number;
  /** Records that could not be delivered: rejected, or not accepted within the time budget. */
  failed: number;
  /** Records of calls without a context id (failed open or not checked): never sent. */
  skipped: number;
}
