/**
 * The audit span processor part: sends the audit record of every governed LLM call to the AxonFlow
 * agent in the background and records an `axonflow.audit` span for each.
 */
export { AxonFlowAuditSpanProcessor } from './processor.js';
export {
  ATTR_AUDIT_ATTEMPTS,
  ATTR_AUDIT_ID,
  ATTR_AUDIT_SKIPPED,
  ATTR_CONTEXT_ID,
  AUDIT_SPAN_NAME,
  METRIC_AUDIT_DROPPED,
  METRIC_AUDIT_EXPORTED,
  METRIC_AUDIT_FAILED,
  METRIC_AUDIT_SKIPPED,
} from './semconv.js';
export type {
  AuditClient,
  AuditProcessorStats,
  AxonFlowAuditSpanProcessorConfig,
} from './types.js';
