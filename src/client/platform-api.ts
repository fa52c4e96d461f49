/**
 * The `axonflow-otel/client` entry: the AxonFlow platform API beyond governance, for code that
 * uses `AxonFlowClient` (from the root entry) on its own. It holds the result types of the
 * client's health, proxy, connector and plan calls, and `wire`, the agent's JSON shapes as zod
 * schemas (`wire.PreCheckResponseSchema.parse(json)`) with their snake_case types.
 *
 * Nothing here is also in the root entry: the client class, its configuration, its errors, the
 * pre-check and audit types and the AXON stream types are imported from `axonflow-otel`. What the
 * client part leaves out of both entries is listed in `index.ts`.
 */
export type {
  CancelPlanResult,
  ConnectorResult,
  HealthStatus,
  Plan,
  PlanExecution,
  PolicyInfo,
  ProxyLLMCallRequest,
  ProxyLLMCallResult,
} from './index.js';
export { wire } from './index.js';
