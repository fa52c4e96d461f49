/**
 * Gateway mode: `POST /api/policy/pre-check` (static policies on the query, always as request type
 * `llm_chat`; a block is HTTP 200 with `approved: false`) and `POST /api/audit/llm-call` (the audit
 * must name a live context of the same client, else 400 "Invalid or expired context"). Plus the
 * sandbox-only `GET /api/v1/audit/llm-calls`, which lists what was audited.
 */
import { randomUUID } from 'node:crypto';
import type { AuditResultWire, PreCheckResponse, TokenUsageWire } from '../../client/wire.js';
import { HttpError, readJsonObject, sendJson } from '../http/io.js';
import { evaluatePolicies } from '../policy-engine.js';
import { type AuditRecord, FLAT_PRICE_PER_1K_USD } from './audit-store.js';
import {
  type AgentContext,
  type AgentState,
  INVALID_BODY,
  optNumber,
  optRecord,
  optString,
  optStringArray,
  rfc3339,
  sendAgentJson,
} from './common.js';

export async function preCheck(ctx: AgentContext, state: AgentState): Promise<void> {
  const startedAt = Date.now();
  const body = await readJsonObject(ctx.req, state.maxBodyBytes, INVALID_BODY);
  const query = optString(body, 'query');
  const clientId = optString(body, 'client_id');
  optString(body, 'user_token');
  optStringArray(body, 'data_sources');
  optRecord(body, 'context');
  if (!query) throw new HttpError(400, 'query field is required');
  if (!clientId) throw new HttpError(400, 'client_id field is required');

  const decision = evaluatePolicies({ query, requestType: 'llm_chat' });
  const context = state.contexts.issue({
    clientId,
    approved: !decision.blocked,
    policies: decision.triggered,
    source: 'pre-check',
  });
  const reply: PreCheckResponse = {
    context_id: context.id,
    approved: !decision.blocked,
    approved_data: {},
    policies: decision.triggered,
    expires_at: rfc3339(context.expiresAt),
    ...(decision.blocked ? { block_reason: decision.blockReason ?? 'Blocked by policy' } : {}),
    ...(state.askRedaction && decision.flagged.length > 0 ? { requires_redaction: true } : {}),
  };
  state.decisions.record(ctx.req.headers, startedAt, {
    'axonflow.decision': decision.blocked ? 'deny' : 'allow',
    'axonflow.context_id': context.id,
    'axonflow.policies': decision.triggered,
  });
  sendAgentJson(ctx, 200, reply);
}

export async function auditLlmCall(ctx: AgentContext, state: AgentState): Promise<void> {
  const body = await readJsonObject(ctx.req, state.maxBodyBytes, INVALID_BODY);
  const contextId = optString(body, 'context_id');
  const clientId = optString(body, 'client_id');
  const provider = optString(body, 'provider');
  const model = optString(body, 'model');
  const summary = optString(body, 'response_summary') ?? '';
  const latency = optNumber(body, 'latency_ms') ?? 0;
  const metadata = optRecord(body, 'metadata') ?? {};
  const usage = tokenUsage(optRecord(body, 'token_usage'));
  for (const [field, value] of [
    ['context_id', contextId],
    ['client_id', clientId],
    ['provider', provider],
    ['model', model],
  ] as const) {
    if (!value) throw new HttpError(400, `${field} field is required`);
  }
  const context = state.contexts.lookup(contextId as string, clientId as string);
  if (!context) throw new HttpError(400, 'Invalid or expired context');

  const record: AuditRecord = {
    audit_id: randomUUID(),
    context_id: context.id,
    client_id: clientId as string,
    provider: provider as string,
    model: model as string,
    response_summary: summary,
    token_usage: usage,
    latency_ms: latency,
    metadata,
    cost_usd: (usage.total_tokens * FLAT_PRICE_PER_1K_USD) / 1000,
    approved: context.approved,
    recorded_at: rfc3339(Date.now()),
  };
  const traceparent = ctx.req.headers.traceparent;
  if (typeof traceparent === 'string') record.traceparent = traceparent;
  await state.audits.add(record);
  const result: AuditResultWire = { success: true, audit_id: record.audit_id };
  sendAgentJson(ctx, 200, result);
}

function tokenUsage(raw: Record<string, unknown> | undefined): TokenUsageWire {
  if (!raw) return { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const prompt = optNumber(raw, 'prompt_tokens') ?? 0;
  const completion = optNumber(raw, 'completion_tokens') ?? 0;
  const total = optNumber(raw, 'total_tokens') ?? prompt + completion;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: total };
}

/** Sandbox-only: `GET /api/v1/audit/llm-calls[?context_id=…&client_id=…]`. */
export function listAudits(ctx: AgentContext, state: AgentState): void {
  const contextId = ctx.url.searchParams.get('context_id') ?? undefined;
  const clientId = ctx.url.searchParams.get('client_id') ?? undefined;
  const audits = state.audits.list({
    ...(contextId === undefined ? {} : { contextId }),
    ...(clientId === undefined ? {} : { clientId }),
  });
  sendJson(ctx.res, 200, { audits, total: audits.length });
}
