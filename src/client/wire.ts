/**
 * Wire DTOs: the exact JSON shapes the AxonFlow agent sends and receives (snake_case), as zod
 * schemas with their inferred types. Every agent reply is validated against one of these before
 * any field of it is read, except decisions: pre-check replies and proxy blocks are read by
 * `reply.ts`, which takes the verdict strictly and every side field leniently (a deny must stay a
 * deny however malformed the rest is). The public API maps them to camelCase in `types.ts`.
 *
 * Replies are parsed leniently where the official SDKs are lenient (missing optional fields get
 * the same defaults Rust's `#[serde(default)]` gives) and strictly where a wrong value would change
 * a decision: `approved` and `blocked` must be real booleans, never strings or numbers.
 * Unknown keys are dropped, so nothing the agent adds can reach the app unvalidated.
 *
 * Shapes whose public camelCase counterpart in `types.ts` has the same name carry a `Wire` suffix
 * here (`PreCheckRequestWire`, `TokenUsageWire`, `AuditResultWire`).
 */
import { z } from 'zod';

const stringList = z
  .array(z.string())
  .nullish()
  .transform(v => v ?? []);
const record = z.record(z.string(), z.unknown());
const optionalRecord = record.nullish().transform(v => v ?? {});

// --- Proxy mode: POST /api/request -------------------------------------------------------------

export const MediaContentSchema = z.object({
  id: z.string(),
  type: z.string(),
  url: z.string().optional(),
  base64: z.string().optional(),
});
export type MediaContent = z.infer<typeof MediaContentSchema>;

export interface ClientRequest {
  query: string;
  user_token: string;
  client_id?: string;
  request_type: string;
  context: Record<string, unknown>;
  media?: MediaContent[];
  stream?: boolean;
  dialect?: 'anthropic' | 'openai';
}

export const CodeArtifactSchema = z.object({
  is_code_output: z.boolean(),
  language: z.string(),
  code_type: z.string(),
  size_bytes: z.number(),
  line_count: z.number(),
  secrets_detected: z.number(),
  unsafe_patterns: z.number(),
  policies_checked: z.array(z.string()).optional(),
});
export type CodeArtifact = z.infer<typeof CodeArtifactSchema>;

export const PolicyEvaluationInfoSchema = z.object({
  policies_evaluated: stringList,
  static_checks: stringList,
  processing_time: z.string().default(''),
  tenant_id: z.string().default(''),
  code_artifact: CodeArtifactSchema.optional(),
});
export type PolicyEvaluationInfo = z.infer<typeof PolicyEvaluationInfoSchema>;

export const BudgetInfoSchema = z.object({
  budget_id: z.string().optional(),
  budget_name: z.string().optional(),
  used_usd: z.number(),
  limit_usd: z.number(),
  percentage: z.number(),
  exceeded: z.boolean(),
  action: z.string().optional(),
});
export type BudgetInfo = z.infer<typeof BudgetInfoSchema>;

export const ClientResponseSchema = z.object({
  success: z.boolean(),
  data: z.unknown().optional(),
  result: z.string().nullish(),
  plan_id: z.string().nullish(),
  request_id: z.string().nullish(),
  metadata: record.nullish(),
  error: z.string().nullish(),
  blocked: z.boolean().default(false),
  block_reason: z.string().nullish(),
  policy_info: PolicyEvaluationInfoSchema.nullish(),
  budget_info: BudgetInfoSchema.nullish(),
  steps: z.array(z.unknown()).nullish(),
});
export type ClientResponse = z.infer<typeof ClientResponseSchema>;

// --- Gateway mode: pre-check and audit ---------------------------------------------------------

/** Named `…Wire` so that no name means two shapes: `PreCheckRequest` is the public camelCase one. */
export interface PreCheckRequestWire {
  user_token: string;
  client_id: string;
  query: string;
  data_sources?: string[];
  context?: Record<string, unknown>;
}

export const RateLimitInfoSchema = z.object({
  limit: z.number(),
  remaining: z.number(),
  reset_at: z.string(),
});
export type RateLimitInfo = z.infer<typeof RateLimitInfoSchema>;

export const PreCheckResponseSchema = z.object({
  context_id: z.string(),
  approved: z.boolean(),
  approved_data: optionalRecord,
  policies: stringList,
  rate_limit: RateLimitInfoSchema.nullish(),
  expires_at: z.string().nullish(),
  block_reason: z.string().nullish(),
  requires_redaction: z.boolean().nullish(),
});
export type PreCheckResponse = z.infer<typeof PreCheckResponseSchema>;

export interface TokenUsageWire {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface AuditRequest {
  context_id: string;
  client_id: string;
  response_summary: string;
  provider: string;
  model: string;
  token_usage: TokenUsageWire;
  latency_ms: number;
  metadata: Record<string, unknown>;
}

export const AuditResultSchema = z.object({
  success: z.boolean(),
  audit_id: z.string().default(''),
});
export type AuditResultWire = z.infer<typeof AuditResultSchema>;

// --- Planning ------------------------------------------------------------------------------------

export const PlanStepSchema = z.object({
  id: z.string().default(''),
  name: z.string().default(''),
  type: z.string().default(''),
  description: z.string().default(''),
  // The orchestrator sends `depends_on`; the Rust DTO calls it `dependencies`. Accept both.
  dependencies: stringList,
  depends_on: stringList,
  agent: z.string().default(''),
  parameters: optionalRecord,
  estimated_time: z.string().default(''),
});
export type PlanStep = z.infer<typeof PlanStepSchema>;

export const PlanResponseSchema = z.object({
  plan_id: z.string().default(''),
  status: z.string().default(''),
  steps: z
    .array(PlanStepSchema)
    .nullish()
    .transform(v => v ?? []),
  domain: z.string().default(''),
  complexity: z.number().default(0),
  parallel: z.boolean().default(false),
  estimated_duration: z.string().default(''),
  metadata: optionalRecord,
  success: z.boolean().default(false),
  version: z.number().default(0),
  result: z.unknown().optional(),
  error: z.string().nullish(),
});
export type PlanResponse = z.infer<typeof PlanResponseSchema>;

export const StepResultSchema = z.object({
  step_id: z.string().default(''),
  step_name: z.string().default(''),
  status: z.string().default(''),
  result: z.unknown().optional(),
  error: z.string().nullish(),
  duration: z.string().default(''),
});
export type StepResult = z.infer<typeof StepResultSchema>;

export const PlanExecutionResponseSchema = z.object({
  plan_id: z.string().default(''),
  status: z.string().default(''),
  workflow_id: z.string().nullish(),
  result: z.string().nullish(),
  step_results: z
    .array(StepResultSchema)
    .nullish()
    .transform(v => v ?? []),
  error: z.string().nullish(),
  duration: z.string().default(''),
  completed_steps: z.number().default(0),
  total_steps: z.number().default(0),
});
export type PlanExecutionResponse = z.infer<typeof PlanExecutionResponseSchema>;

export const CancelPlanResponseSchema = z.object({
  plan_id: z.string().default(''),
  status: z.string().default(''),
  success: z.boolean().default(false),
});
export type CancelPlanResponse = z.infer<typeof CancelPlanResponseSchema>;

// --- Connectors ----------------------------------------------------------------------------------

export const ConnectorMetadataSchema = z.object({
  id: z.string(),
  name: z.string().default(''),
  type: z.string().default(''),
  version: z.string().default(''),
  description: z.string().default(''),
  category: z.string().default(''),
  icon: z.string().default(''),
  tags: stringList,
  capabilities: stringList,
  config_schema: optionalRecord,
  installed: z.boolean().default(false),
  instance_name: z.string().nullish(),
  healthy: z.boolean().nullish(),
  last_check: z.string().nullish(),
});
export type ConnectorMetadata = z.infer<typeof ConnectorMetadataSchema>;

export const ConnectorListSchema = z.object({
  connectors: z.array(ConnectorMetadataSchema),
  total: z.number().optional(),
});

export const PolicyMatchInfoSchema = z.object({
  policy_id: z.string(),
  policy_name: z.string(),
  category: z.string(),
  severity: z.string(),
  action: z.string(),
});
export type PolicyMatchInfo = z.infer<typeof PolicyMatchInfoSchema>;

/** The MCP-side policy summary (numbers, not id lists): OpenAPI `PolicyInfo`. */
export const ConnectorPolicyInfoSchema = z.object({
  policies_evaluated: z.number(),
  blocked: z.boolean(),
  block_reason: z.string().nullish(),
  redactions_applied: z.number().default(0),
  processing_time_ms: z.number().default(0),
  matched_policies: z.array(PolicyMatchInfoSchema).nullish(),
});
export type ConnectorPolicyInfo = z.infer<typeof ConnectorPolicyInfoSchema>;

export const ConnectorResponseSchema = z.object({
  success: z.boolean(),
  data: z.unknown(),
  error: z.string().nullish(),
  meta: record.nullish(),
  redacted: z.boolean().default(false),
  redacted_fields: stringList,
  policy_info: ConnectorPolicyInfoSchema.nullish(),
});
export type ConnectorResponse = z.infer<typeof ConnectorResponseSchema>;

// --- Health and errors ---------------------------------------------------------------------------

export const HealthResponseSchema = z.object({
  status: z.string(),
  service: z.string().optional(),
  version: z.string().optional(),
  timestamp: z.string().optional(),
  tier: z.string().optional(),
  edition: z.string().optional(),
  deployment_mode: z.string().optional(),
  sdk_compatibility: z
    .object({
      min_sdk_version: z.unknown().optional(),
      recommended_sdk_version: z.unknown().optional(),
    })
    .optional(),
});
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

/** The platform's error envelope: `{ "success": false, "error": "…" }`. */
export const ErrorEnvelopeSchema = z.object({
  success: z.boolean().optional(),
  error: z.string().optional(),
  blocked: z.boolean().optional(),
  block_reason: z.string().nullish(),
  policy_info: PolicyEvaluationInfoSchema.nullish(),
});

// --- Old names ----------------------------------------------------------------------------------
