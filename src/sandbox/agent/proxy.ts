/**
 * Proxy mode, `POST /api/request`: static policies on the query first (a block is HTTP 403 with
 * `blocked: true`, even for a streamed request, before any byte of stream), then by request type:
 * - `chat`, `llm_chat` and the other LLM types → the sandbox model answers (`data`, `result`), or
 *   with `stream: true` / `Accept: text/event-stream` an AXON flow in the requested dialect;
 * - `mcp-query` → a demo connector (`context.connector`, `context.params`);
 * - `generate-plan` / `multi-agent-plan` → the planner; `execute-plan` → runs a stored plan.
 * Allowed answers carry a `request_id` that is also a valid audit context, as SDK interceptors
 * audit against it.
 */
import type { ClientResponse, PolicyEvaluationInfo } from '../../client/wire.js';
import type { AxonDialect } from '../axon-dialects.js';
import { HttpError, isRecord, readJsonObject } from '../http/io.js';
import { generate, type ToolSpec } from '../model/engine.js';
import { evaluatePolicies, type PolicyDecision } from '../policy-engine.js';
import {
  type AgentContext,
  type AgentState,
  clientIdOf,
  INVALID_BODY,
  optBoolean,
  optRecord,
  optString,
  sendAgentJson,
} from './common.js';
import { findConnector } from './connectors.js';
import { streamFlow } from './flow.js';

interface ProxyRequest {
  query: string;
  requestType: string;
  clientId: string;
  context: Record<string, unknown>;
  skipLlm: boolean;
  stream: boolean;
  dialect: AxonDialect;
}

const PLAN_TYPES = new Set(['generate-plan', 'multi-agent-plan']);
const NON_LLM_TYPES = new Set(['mcp-query', 'generate-plan', 'multi-agent-plan', 'execute-plan']);

export async function proxyRequest(ctx: AgentContext, state: AgentState): Promise<void> {
  let request: ProxyRequest;
  try {
    request = parseRequest(ctx, await readJsonObject(ctx.req, state.maxBodyBytes, INVALID_BODY));
  } catch (err) {
    // The platform adds `blocked: false` to this one error body.
    if (err instanceof HttpError && err.message === INVALID_BODY) {
      sendAgentJson(ctx, 400, { success: false, error: INVALID_BODY, blocked: false });
      return;
    }
    throw err;
  }
  if (request.requestType === 'execute-plan') {
    // Nothing to scan: the plan's steps were checked when it was generated.
    executePlan(ctx, state, request);
    return;
  }
  const decision = evaluatePolicies({ query: request.query, requestType: request.requestType });
  const policyInfo = policyInfoOf(decision, request.clientId);
  if (decision.blocked) {
    const blocked: ClientResponse = {
      success: false,
      blocked: true,
      block_reason: decision.blockReason ?? 'Blocked by policy',
      policy_info: policyInfo,
    };
    sendAgentJson(ctx, 403, blocked);
    return;
  }
  if (request.stream && NON_LLM_TYPES.has(request.requestType)) {
    throw new HttpError(400, `Streaming is not supported for request_type ${request.requestType}`);
  }
  if (request.stream) {
    await streamFlow(ctx, {
      dialect: request.dialect,
      query: request.query,
      backend: stringOr(request.context.model, 'sandbox-model'),
      flowName: stringOr(request.context.flow, 'sandbox_chat'),
      tools: toolsOf(request.context.tools),
      maxTokens: maxTokensOf(request.context),
      flagged: decision.triggered,
    });
    return;
  }

  const requestId = state.contexts.issue({
    clientId: request.clientId,
    approved: true,
    policies: decision.triggered,
    source: 'request',
  }).id;
  const allowed: ClientResponse = {
    success: true,
    blocked: false,
    request_id: requestId,
    policy_info: policyInfo,
  };
  const answer =
    request.requestType === 'mcp-query'
      ? connectorQuery(request)
      : PLAN_TYPES.has(request.requestType)
        ? generatePlan(state, request)
        : llmAnswer(request);
  const reply: ClientResponse = { ...allowed, ...answer };
  sendAgentJson(ctx, 200, reply);
}

function parseRequest(ctx: AgentContext, body: Record<string, unknown>): ProxyRequest {
  const query = optString(body, 'query') ?? '';
  const requestType = optString(body, 'request_type') ?? '';
  optString(body, 'user_token');
  const clientId = clientIdOf(ctx.req, optString(body, 'client_id'));
  const context = optRecord(body, 'context') ?? {};
  const skipLlm = optBoolean(body, 'skip_llm') ?? false;
  if (body.media !== undefined && body.media !== null && !Array.isArray(body.media)) {
    throw new HttpError(400, INVALID_BODY);
  }
  const accept = ctx.req.headers.accept ?? '';
  const stream = (optBoolean(body, 'stream') ?? false) || accept.includes('text/event-stream');
  const dialect = optString(body, 'dialect') ?? 'anthropic';
  if (dialect !== 'anthropic' && dialect !== 'openai') {
    throw new HttpError(400, 'dialect must be "anthropic" or "openai"');
  }
  return { query, requestType, clientId, context, skipLlm, stream, dialect };
}

function policyInfoOf(decision: PolicyDecision, tenantId: string): PolicyEvaluationInfo {
  return {
    policies_evaluated: decision.triggered,
    static_checks: decision.staticChecks,
    processing_time: decision.processingTime,
    tenant_id: tenantId,
  };
}

function llmAnswer(request: ProxyRequest): Partial<ClientResponse> {
  const provider = stringOr(request.context.provider, 'sandbox');
  const model = stringOr(request.context.model, 'sandbox-model');
  const metadata = { provider, model, sandbox: true };
  if (request.skipLlm) return { data: null, metadata };
  const maxTokens = maxTokensOf(request.context);
  const gen = generate({
    turns: [{ role: 'user', text: request.query }],
    tools: toolsOf(request.context.tools),
    toolChoice: { kind: 'auto' },
    ...(maxTokens === undefined ? {} : { maxTokens }),
  });
  const text = gen.toolCall ? gen.toolPreamble : gen.text;
  return {
    data: {
      response: text,
      provider,
      model,
      finish_reason: gen.finish,
      ...(gen.toolCall
        ? { tool_calls: [{ name: gen.toolCall.name, arguments: gen.toolCall.arguments }] }
        : {}),
      usage: {
        prompt_tokens: gen.inputTokens,
        completion_tokens: gen.outputTokens,
        total_tokens: gen.inputTokens + gen.outputTokens,
      },
    },
    result: text,
    metadata,
  };
}

function connectorQuery(request: ProxyRequest): Partial<ClientResponse> {
  const name = request.context.connector;
  if (typeof name !== 'string' || name === '') {
    return { success: false, error: 'context.connector is required for mcp-query' };
  }
  const connector = findConnector(name);
  if (!connector) return { success: false, error: `Connector not found: ${name}` };
  const started = process.hrtime.bigint();
  const params = isRecord(request.context.params) ? request.context.params : {};
  const { rows } = connector.query(params);
  return {
    data: rows,
    metadata: {
      connector: connector.metadata.id,
      row_count: rows.length,
      duration_ms: Number(process.hrtime.bigint() - started) / 1e6,
    },
  };
}

function generatePlan(state: AgentState, request: ProxyRequest): Partial<ClientResponse> {
  const domain = stringOr(request.context.domain, 'generic');
  const mode = stringOr(request.context.execution_mode, 'sequential');
  const { plan } = state.plans.create(request.query, request.clientId, domain, mode);
  return {
    plan_id: plan.plan_id,
    data: plan,
    result: `Plan with ${plan.steps.length} steps`,
    metadata: { domain, execution_mode: mode, step_count: plan.steps.length },
    steps: plan.steps,
  };
}

function executePlan(ctx: AgentContext, state: AgentState, request: ProxyRequest): void {
  const planId = request.context.plan_id;
  if (typeof planId !== 'string' || planId === '') {
    throw new HttpError(400, 'context.plan_id is required for execute-plan');
  }
  const record = state.plans.get(planId);
  if (!record) {
    sendAgentJson(ctx, 404, { success: false, error: `Plan not found: ${planId}`, blocked: false });
    return;
  }
  if (record.status === 'cancelled') {
    sendAgentJson(ctx, 409, {
      success: false,
      error: `Plan ${planId} is cancelled`,
      blocked: false,
    });
    return;
  }
  const execution = state.plans.execute(record);
  const requestId = state.contexts.issue({
    clientId: request.clientId,
    approved: true,
    policies: [],
    source: 'request',
  }).id;
  sendAgentJson(ctx, 200, {
    success: true,
    blocked: false,
    data: { ...execution, success: true },
    result: execution.result,
    request_id: requestId,
    metadata: { plan_id: planId, completed_steps: execution.completed_steps },
  });
}

function toolsOf(value: unknown): ToolSpec[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap(tool => {
    if (typeof tool === 'string') return [{ name: tool }];
    if (!isRecord(tool)) return [];
    // Accept the Anthropic, OpenAI chat and flat shapes alike.
    const fn = isRecord(tool.function) ? tool.function : tool;
    if (typeof fn.name !== 'string') return [];
    return [
      {
        name: fn.name,
        ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
        schema: fn.input_schema ?? fn.parameters,
      },
    ];
  });
}

function maxTokensOf(context: Record<string, unknown>): number | undefined {
  const value = context.max_tokens;
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}
