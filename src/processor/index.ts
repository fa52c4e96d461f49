/**
 * The audit span processor part: sends the audit record of every governed LLM call to the AxonFlow
 * agent in the background and records an `axonflow.audit` span for each. Records come from the
 * instrumentation through the audit hand-off (`src/audit/`). Public surface: the processor, its
 * config, its counters' snapshot, and what it needs from a client.
 *
 * Left out on purpose: the span, attribute and metric names (`semconv.ts`: documented as strings
 * in the README, "The span tree"); the queue and the rate-limited reports (`ring-buffer.ts`,
 * `reporter.ts`).
 */
export { AxonFlowAuditSpanProcessor } from './processor.js';
export type {
  AuditClient,
  AuditProcessorStats,
  AxonFlowAuditSpanProcessorConfig,
} from './types.js';
