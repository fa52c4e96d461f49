/**
 * The hand-off between the instrumentation and the audit span processor. The instrumentation
 * attaches the audit data of a governed call to its `chat {model}` span; the processor takes it
 * when that span ends. The data travels out of band, in a WeakMap keyed by the span object, so
 * the response summary never becomes a span attribute (and never reaches an exporter).
 *
 * The map lives on a `Symbol.for` global so that both builds of this package (ESM and CommonJS),
 * loaded side by side by `--require` and an app's `import`, share it.
 */
import type { SpanContext } from '@opentelemetry/api';
import type { AxonFlowClient } from '../client/client.js';

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
  /** The client that made the pre-check; the processor sends the audit through it by default. */
  client: AxonFlowClient | undefined;
}

const KEY = Symbol.for('axonflow-otel.audit-handoff');
const g = globalThis as Record<symbol, WeakMap<object, AuditData> | undefined>;
g[KEY] ??= new WeakMap<object, AuditData>();
const registry: WeakMap<object, AuditData> = g[KEY];

/** Attaches audit data to a span (before it ends). */
export function attachAuditData(span: object, data: AuditData): void {
  registry.set(span, data);
}

/** Takes (and forgets) the audit data of a span, if it carries any. */
export function takeAuditData(span: object): AuditData | undefined {
  const data = registry.get(span);
  if (data !== undefined) registry.delete(span);
  return data;
}

/**
 * Receives audit data that cannot ride on a span: the call's span is not recording (the sampler
 * dropped it, or no tracer provider is registered), so no span processor will ever see it end.
 * Governance must not depend on sampling, so such records go straight to a registered sink.
 */
export type AuditSink = (data: AuditData, parent: SpanContext) => void;

const SINKS = Symbol.for('axonflow-otel.audit-sinks');
const gs = globalThis as Record<symbol, AuditSink[] | undefined>;
gs[SINKS] ??= [];
const sinks: AuditSink[] = gs[SINKS];

/** Registers a sink; returns its unregister function. The first registered sink receives. */
export function registerAuditSink(sink: AuditSink): () => void {
  sinks.push(sink);
  return () => {
    const i = sinks.indexOf(sink);
    if (i >= 0) sinks.splice(i, 1);
  };
}

/** Hands audit data of a non-recording span to the first sink; false when there is none. */
export function submitAuditData(data: AuditData, parent: SpanContext): boolean {
  const sink = sinks[0];
  if (sink === undefined) return false;
  sink(data, parent);
  return true;
}
