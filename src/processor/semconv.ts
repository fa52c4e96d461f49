/**
 * Names of the spans, attributes and metrics the audit span processor emits.
 */

/** Name of the span recorded for each audit record, a child of the governed call's span. */
export const AUDIT_SPAN_NAME = 'axonflow.audit';

/** The audit id the agent assigned (success only). */
export const ATTR_AUDIT_ID = 'axonflow.audit_id';
/** The pre-check context id the record was sent with. */
export const ATTR_CONTEXT_ID = 'axonflow.context_id';
/** Requests made for the record, the first included (0 when it was skipped). */
export const ATTR_AUDIT_ATTEMPTS = 'axonflow.audit.attempts';
/** Why the record was not sent (e.g. `fail_open:timeout`); set only on skipped records. */
export const ATTR_AUDIT_SKIPPED = 'axonflow.audit.skipped';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';

/** Metric attribute of `axonflow.audit.dropped`: `queue_full` or `shutdown`. */
export const ATTR_DROP_REASON = 'axonflow.audit.drop_reason';
/** Metric attribute of `axonflow.audit.skipped`: the skip reason. */
export const ATTR_SKIP_REASON = 'axonflow.audit.skip_reason';

export const METRIC_AUDIT_EXPORTED = 'axonflow.audit.exported';
export const METRIC_AUDIT_DROPPED = 'axonflow.audit.dropped';
export const METRIC_AUDIT_FAILED = 'axonflow.audit.failed';
export const METRIC_AUDIT_SKIPPED = 'axonflow.audit.skipped';

export const DROP_REASON_QUEUE_FULL = 'queue_full';
export const DROP_REASON_SHUTDOWN = 'shutdown';
/** Skip reason used when the audit data names none. */
export const SKIP_REASON_NO_CONTEXT = 'no_context_id';
