/**
 * The audit hand-off: how the audit record of a governed call travels from the instrumentation,
 * which builds it when the call ends, to the audit span processor, which sends it to AxonFlow.
 * Both sides import this module and nothing of each other.
 *
 * A record is plain data (`AuditData`): no live object travels with it, the processor sends it
 * through its own client. It takes one of two routes:
 *
 * - The call's span is recording: the record rides on the span, out of band, in a WeakMap keyed
 *   by the span object, so the response summary never becomes a span attribute and never reaches
 *   an exporter. Whatever `AxonFlowAuditSpanProcessor` sits on that span's tracer provider takes
 *   it in `onEnd` (`attachAuditData` / `takeAuditData`).
 * - The span is not recording (the sampler dropped it, or no tracer provider is registered): no
 *   span processor will see it end, and governance must not depend on sampling. The record goes
 *   to exactly one *active processor*: the most recently started one that is not shut down (a
 *   processor registers itself when it is constructed and leaves at `shutdown()`). When none is
 *   active, the record is counted (`unroutedAuditRecords()`) and a diagnostic warning says so, at
 *   most once a minute (`submitAuditData` / `registerAuditReceiver`).
 *
 * The registry lives on a `Symbol.for` global so that both builds of this package (ESM and
 * CommonJS), loaded side by side by `--require` and an app's `import`, share it: the
 * instrumentation of one build hands its records to the processor of the other. The key carries
 * the version of the record's shape; a change to `AuditData` that an older copy could not read
 * takes a new key.
 */
import { diag, type SpanContext } from '@opentelemetry/api';

/** The audit record of one governed call, as the instrumentation hands it over. */
export interface AuditData {
  /** The pre-check's context id; undefined when the call was not approved by the agent. */
  contextId: string | undefined;
  /** Why this call is not sent to the audit API (e.g. `fail_open:timeout`); undefined when it is. */
  skipReason: string | undefined;
  provider: string;
  model: string;
  tokenUsage: { promptTokens: number; completionTokens: number; totalTokens?: number };
  latencyMs: number;
  /** First N characters of the response; only ever sent to AxonFlow. */
  responseSummary: string;
  metadata: Record<string, unknown>;
}

/**
 * What an active processor registers: it queues the record of a call whose span is not recording,
 * under that span's context. Must not throw (the processor counts its own failures).
 */
export type AuditReceiver = (data: AuditData, parent: SpanContext) => void;

interface Registry {
  /** Records riding on recording spans, until the span's processor takes them. */
  readonly spans: WeakMap<object, AuditData>;
  /** Active processors' receivers, in the order they started: the last one receives. */
  readonly receivers: AuditReceiver[];
  /** Records of non-recording spans handed over while no processor was active. */
  unrouted: number;
  /** Of those, the ones not yet named in a warning. */
  unreported: number;
  /** When the last such warning was logged (`Date.now()`). */
  reportedAt: number;
}

const KEY = Symbol.for('axonflow-otel.audit.v1');
/** Shortest time between two warnings about records no processor received. */
const REPORT_INTERVAL_MS = 60_000;

const g = globalThis as Record<symbol, Registry | undefined>;
g[KEY] ??= {
  spans: new WeakMap(),
  receivers: [],
  unrouted: 0,
  unreported: 0,
  reportedAt: Number.NEGATIVE_INFINITY,
};
const registry: Registry = g[KEY];

/** Attaches the record to the call's recording span (before the span ends). */
/**
 * True while an audit span processor is running. Without one, nothing would take a record
 * attached to a span, so the call does not build one.
 */
export function auditReceiverActive(): boolean {
  return registry.receivers.length > 0;
}

export function attachAuditData(span: object, data: AuditData): void {
  registry.spans.set(span, data);
}

/** Takes (and forgets) the record a span carries, if any. */
export function takeAuditData(span: object): AuditData | undefined {
  const data = registry.spans.get(span);
  if (data !== undefined) registry.spans.delete(span);
  return data;
}

/**
 * Makes a processor active: from now on it receives the records of non-recording spans, until a
 * processor started after it takes over or it leaves. Returns the function that makes it leave
 * (idempotent); the processor calls it at `shutdown()`.
 */
export function registerAuditReceiver(receiver: AuditReceiver): () => void {
  registry.receivers.push(receiver);
  return () => {
    const i = registry.receivers.lastIndexOf(receiver);
    if (i >= 0) registry.receivers.splice(i, 1);
  };
}

/**
 * Hands the record of a call whose span is not recording to the most recently started active
 * processor. Returns false when no processor is active: the record is then counted and named in
 * a diagnostic warning (at most once a minute), never dropped silently. Never throws.
 */
export function submitAuditData(data: AuditData, parent: SpanContext): boolean {
  const receiver = registry.receivers.at(-1);
  if (receiver === undefined) {
    registry.unrouted++;
    registry.unreported++;
    const now = Date.now();
    if (now - registry.reportedAt >= REPORT_INTERVAL_MS) {
      diag.warn(
        `axonflow-otel: ${registry.unreported} audit record(s) of governed calls whose span is not recording (sampled out, or no tracer provider) were not sent: no AxonFlowAuditSpanProcessor is running. Add one to your span processors (README, "Programmatic setup").`,
      );
      registry.unreported = 0;
      registry.reportedAt = now;
    }
    return false;
  }
  try {
    receiver(data, parent);
  } catch (err) {
    // A processor never throws here; a broken one must not break the app's call either.
    diag.error('axonflow-otel: the audit span processor failed to take an audit record', err);
  }
  return true;
}

/** Records of non-recording spans handed over while no processor was active, since start. */
export function unroutedAuditRecords(): number {
  return registry.unrouted;
}
