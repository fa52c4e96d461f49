/**
 * Public request and result types of the AxonFlowClient, camelCase like the official TypeScript
 * SDK. The snake_case wire shapes they are mapped from live in `wire.ts`.
 */
import type { BudgetInfo, CodeArtifact, ConnectorMetadata, PlanStep, StepResult } from './wire.js';

export type { BudgetInfo, CodeArtifact, ConnectorMetadata, PlanStep, StepResult };

/**
 * Why a result failed open: which class of failure was absorbed. Only unavailability fails open
 * (`network`, `timeout`, `http_5xx`, `rate_limited`, `circuit_open`, in production mode), plus
 * `uncheckable` when `onUncheckable: 'allow'` lets a prompt the agent cannot read go through.
 * `auth` and `invalid_response` are no longer produced: those failures block the call.
 */
export type FailOpenReason =
  | 'network'
  | 'timeout'
  | 'http_5xx'
  | 'rate_limited'
  | 'circuit_open'
  | 'queue_timeout'
  | 'uncheckable'
  | 'auth'
  | 'invalid_response';

export interface PreCheckRequest {
  /** The prompt text to evaluate. */
  query: string;
  /** The end user's token; falls back to the client's `userToken`, then `anonymous`. */
  userToken?: string;
  dataSources?: string[];
  context?: Record<string, unknown>;
}

export interface RateLimit {
  limit: number;
  remaining: number;
  resetAt: Date;
}

export interface PreCheckResult {
  /** True when the call may go ahead: approved by policy, or failed open. */
  approved: boolean;
  /** Context id to audit the call with; empty when the result failed open. */
  contextId: string;
  /** Ids of the policies that triggered (flagged or blocked). */
  policies: readonly string[];
  blockReason: string | undefined;
  expiresAt: Date | undefined;
  requiresRedaction: boolean;
  rateLimit: RateLimit | undefined;
  /** True when the agent was unavailable and production mode let the call through. */
  failOpen: boolean;
  failOpenReason: FailOpenReason | undefined;
  /** The fail-open warning ("AxonFlow unavailable (fail-open): …"), when there is one. */
  error: string | undefined;
  /** True when the decision came from the cache (or a concurrent identical check). */
  cached: boolean;
  /**
   * Side fields of the agent's reply that were present but unusable (wrong type, too long, bad
   * date) and were dropped or reinterpreted, e.g. `['context_id', 'expires_at']`. Absent when the
   * reply was clean. The verdict itself is never among them: a reply without a readable boolean
   * `approved` is not a decision.
   */
  malformedFields?: readonly string[];
}

export interface PolicyInfo {
  policiesEvaluated: string[];
  staticChecks: string[];
  processingTime: string;
  tenantId: string;
  codeArtifact: CodeArtifact | undefined;
}

export interface ProxyLLMCallRequest {
  query: string;
  userToken?: string;
  /** `chat`, `llm_chat`, `sql`, `mcp-query`, `multi-agent-plan`, `execute-plan`, … @default 'chat' */
  requestType?: string;
  context?: Record<string, unknown>;
}

export interface ProxyLLMCallResult {
  success: boolean;
  data: unknown;
  result: string | undefined;
  planId: string | undefined;
  requestId: string | undefined;
  metadata: Record<string, unknown> | undefined;
  error: string | undefined;
  blocked: boolean;
  blockReason: string | undefined;
  policyInfo: PolicyInfo | undefined;
  budgetInfo: BudgetInfo | undefined;
  failOpen: boolean;
  failOpenReason: FailOpenReason | undefined;
  cached: boolean;
  /** Side fields of a block reply that were unusable and dropped (see `PreCheckResult`). */
  malformedFields?: readonly string[];
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens?: number;
}

export interface AuditLLMCallRequest {
  contextId: string;
  responseSummary: string;
  provider: string;
  model: string;
  tokenUsage: TokenUsage;
  latencyMs: number;
  metadata?: Record<string, unknown>;
}

export interface AuditResult {
  success: boolean;
  auditId: string;
}

export interface HealthStatus {
  status: 'healthy' | 'degraded' | 'unhealthy';
  /** Agent version, when it says. */
  version: string | undefined;
  latencyMs: number;
  error: string | undefined;
}

export interface ConnectorResult {
  success: boolean;
  data: unknown;
  error: string | undefined;
  meta: Record<string, unknown> | undefined;
  redacted: boolean;
  redactedFields: string[];
  failOpen: boolean;
}

export interface Plan {
  planId: string;
  status: string;
  steps: PlanStep[];
  domain: string;
  complexity: number;
  parallel: boolean;
  estimatedDuration: string;
  metadata: Record<string, unknown>;
  success: boolean;
  version: number;
  result: unknown;
  error: string | undefined;
}

export interface PlanExecution {
  planId: string;
  status: string;
  workflowId: string | undefined;
  result: string | undefined;
  stepResults: StepResult[];
  error: string | undefined;
  duration: string;
  completedSteps: number;
  totalSteps: number;
}

export interface CancelPlanResult {
  planId: string;
  status: string;
  success: boolean;
}
