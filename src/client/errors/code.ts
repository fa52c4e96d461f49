/**
 * Error codes, stable across releases: what to match on (`err.code === ErrorCode.TIMEOUT`), since
 * a class name can be minified and `instanceof` needs the brand to see across copies of the
 * package.
 */
export const ErrorCode = {
  POLICY_VIOLATION: 'AXONFLOW_POLICY_VIOLATION',
  AUTH: 'AXONFLOW_AUTH',
  UNAVAILABLE: 'AXONFLOW_UNAVAILABLE',
  TIMEOUT: 'AXONFLOW_TIMEOUT',
  INVALID_RESPONSE: 'AXONFLOW_INVALID_RESPONSE',
  CONFIG: 'AXONFLOW_CONFIG',
  REQUEST_REJECTED: 'AXONFLOW_REQUEST_REJECTED',
  STREAM_PROTOCOL: 'AXONFLOW_STREAM_PROTOCOL',
  /** The gate blocked a call it could not check (agent 4xx, unreadable verdict, prompt too large). */
  UNCHECKED: 'AXONFLOW_UNCHECKED',
  /** The agent approved the call only with redaction, which a pre-checked call cannot apply. */
  REDACTION_REQUIRED: 'AXONFLOW_REDACTION_REQUIRED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
