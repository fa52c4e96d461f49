/**
 * axonflow-otel: OpenTelemetry instrumentation with AxonFlow AI governance for `openai` and
 * `@anthropic-ai/sdk`. The root entry: what an app that instruments its LLM calls needs, whether
 * through the register entry or its own `NodeSDK`. Each name has one home; `test/exports.test.ts`
 * pins every entry's list.
 *
 * Other entries: `axonflow-otel/register` (zero-code start, no exports), `axonflow-otel/client`
 * (the platform API beyond governance: proxy, connector, plan and health result types, `wire`),
 * `axonflow-otel/sandbox` (the local agent and model for development and tests).
 *
 * Left out on purpose: the span, attribute and metric names (documented as strings in the
 * README, "The span tree"; they were the `semconv` namespace and the `ATTR_AUDIT_*`,
 * `METRIC_AUDIT_*` and `AUDIT_SPAN_NAME` constants); the audit hand-off between instrumentation
 * and processor (`src/audit/`); the settings, notices and scrub parts; the internals each part's
 * `index.ts` lists.
 */

// --- Client: the class, its configuration, the pre-check and audit calls, the AXON stream -------
// --- Errors: every error has a literal `name` and a stable `code` -------------------------------
export {
  type AuditLLMCallRequest,
  type AuditResult,
  AuthenticationError,
  type AxonDialect,
  AxonFlowClient,
  type AxonFlowClientConfig,
  AxonFlowError,
  type AxonMetadata,
  type AxonStream,
  type AxonStreamEvent,
  type BreakerOptions,
  type CacheOptions,
  type CallOptions,
  ConfigError,
  ErrorCode,
  type FailOpenReason,
  type GatePolicy,
  InvalidResponseError,
  type Mode,
  PolicyViolationError,
  type PreCheckRequest,
  type PreCheckResult,
  type RateLimit,
  RedactionRequiredError,
  RequestRejectedError,
  type RetryOptions,
  StreamProtocolError,
  TimeoutError,
  type TokenUsage,
  UnavailableError,
  type UncheckedReason,
  UncheckedRequestError,
} from './client/index.js';
// --- Instrumentation ----------------------------------------------------------------------------
export {
  type AxonFlowCallContext,
  type AxonFlowEmbeddingModelMiddleware,
  AxonFlowInstrumentation,
  type AxonFlowInstrumentationConfig,
  type AxonFlowLanguageModelMiddleware,
  axonflowEmbeddingMiddleware,
  axonflowMiddleware,
  type GovernClientOptions,
  governClient,
  type Provider,
  SUPPORTED_VERSIONS,
  withAxonFlowContext,
} from './instrumentation/index.js';
// --- Audit span processor -----------------------------------------------------------------------
export {
  type AuditClient,
  type AuditProcessorStats,
  AxonFlowAuditSpanProcessor,
  type AxonFlowAuditSpanProcessorConfig,
} from './processor/index.js';
