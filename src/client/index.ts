/**
 * The client part's public surface: everything that talks to the AxonFlow agent. Two package
 * entries take from this list, and no name is in both:
 *
 * - the root entry (`axonflow-otel`, `src/index.ts`): the client, its configuration, its errors,
 *   the types of the governance calls the instrumentation makes (`preCheck`, `auditLLMCall`) and
 *   the AXON stream types of `proxyLLMCallStream`;
 * - the `axonflow-otel/client` entry (`platform-api.ts`): the rest of the platform API, the result
 *   types of health, proxy, connector and plan calls, and `wire`.
 *
 * Left out on purpose (internal, free to change in any release): the transport, circuit breaker,
 * decision cache and heartbeat (`transport.ts`, `breaker.ts`, `cache.ts`, `heartbeat.ts`); the
 * reply readers and the gate's error mapping (`reply.ts`, `gate.ts`); `peekDecision`
 * (`internal.ts`); the backoff (`backoff.ts`); the config resolution and setting reports
 * (`config.ts` functions); the AXON decoder itself (`decodeAxonStream`) and its wire schemas; the
 * error helpers (`errorType`, `errorCode`, `errorStatus`, `isAxonFlowError`, `sanitizeAgentText`:
 * `instanceof` and `code` are the public way to classify an error); `PACKAGE_NAME` and
 * `PACKAGE_VERSION`. The wire shapes embedded in public results (`BudgetInfo`, `CodeArtifact`,
 * `ConnectorMetadata`, `PlanStep`, `StepResult`) are public as `wire.*` only.
 */
import * as wire from './wire.js';

// --- The root entry ------------------------------------------------------------------------------

export type { AxonDialect, AxonMetadata, AxonStream, AxonStreamEvent } from './axon-stream.js';
export { AxonFlowClient, type CallOptions } from './client.js';
export type {
  AxonFlowClientConfig,
  BreakerOptions,
  CacheOptions,
  GatePolicy,
  Mode,
  RetryOptions,
} from './config.js';
export {
  AuthenticationError,
  AxonFlowError,
  ConfigError,
  ErrorCode,
  InvalidResponseError,
  PolicyViolationError,
  RedactionRequiredError,
  RequestRejectedError,
  StreamProtocolError,
  TimeoutError,
  UnavailableError,
  type UncheckedReason,
  UncheckedRequestError,
} from './errors/index.js';
export type {
  AuditLLMCallRequest,
  AuditResult,
  FailOpenReason,
  PreCheckRequest,
  PreCheckResult,
  RateLimit,
  TokenUsage,
} from './types.js';

// --- The `axonflow-otel/client` entry ------------------------------------------------------------

export type {
  CancelPlanResult,
  ConnectorResult,
  HealthStatus,
  Plan,
  PlanExecution,
  PolicyInfo,
  ProxyLLMCallRequest,
  ProxyLLMCallResult,
} from './types.js';
/** The agent's JSON shapes (snake_case) as zod schemas, with their types: all of `wire.ts`. */
export { wire };
