/**
 * Route table of the sandbox agent (everything outside `/v1`). Errors use the platform envelope
 * `{"success": false, "error": "…"}`.
 */

import type { CancelPlanResponse } from '../../client/wire.js';
import { readOptionalJsonObject, sendEnvelope, sendJson } from '../http/io.js';
import type { ErrorRenderer, Route } from '../http/router.js';
import { type AgentContext, type AgentState, INVALID_BODY, optString } from './common.js';
import { connectorMetadata, findConnector, listConnectors } from './connectors.js';
import { auditLlmCall, listAudits, preCheck } from './gateway.js';
import { health } from './health.js';
import { proxyRequest } from './proxy.js';

export function agentRoutes(state: AgentState): Route[] {
  const on =
    (handler: (ctx: AgentContext, state: AgentState) => Promise<void> | void) =>
    (ctx: AgentContext) =>
      handler(ctx, state);
  return [
    { method: 'GET', pattern: /^\/health$/, handler: on(health) },
    { method: 'POST', pattern: /^\/api\/policy\/pre-check$/, handler: on(preCheck) },
    { method: 'POST', pattern: /^\/api\/audit\/llm-call$/, handler: on(auditLlmCall) },
    { method: 'GET', pattern: /^\/api\/v1\/audit\/llm-calls$/, handler: on(listAudits) },
    { method: 'POST', pattern: /^\/api\/request$/, handler: on(proxyRequest) },
    { method: 'GET', pattern: /^\/api\/v1\/plan\/(?<id>[^/]+)$/, handler: on(planStatus) },
    { method: 'POST', pattern: /^\/api\/v1\/plan\/(?<id>[^/]+)\/cancel$/, handler: on(cancelPlan) },
    { method: 'GET', pattern: /^\/api\/v1\/connectors$/, handler: on(connectors) },
    { method: 'GET', pattern: /^\/api\/v1\/connectors\/(?<id>[^/]+)$/, handler: on(connector) },
    {
      method: 'GET',
      pattern: /^\/api\/v1\/connectors\/(?<id>[^/]+)\/health$/,
      handler: on(connectorHealth),
    },
  ];
}

export const renderAgentError: ErrorRenderer = (ctx, status, message) => {
  sendEnvelope(ctx.res, status, message);
};

function planStatus(ctx: AgentContext, state: AgentState): void {
  const id = ctx.params.id ?? '';
  const record = state.plans.get(id);
  if (!record) {
    sendEnvelope(ctx.res, 404, `Plan not found: ${id}`);
    return;
  }
  sendJson(ctx.res, 200, state.plans.statusOf(record));
}

async function cancelPlan(ctx: AgentContext, state: AgentState): Promise<void> {
  const id = ctx.params.id ?? '';
  // `reason` is optional, so is the body; a body that is there must be a JSON object.
  const body = await readOptionalJsonObject(ctx.req, state.maxBodyBytes, INVALID_BODY);
  const reason = optString(body, 'reason') ?? 'user_cancelled';
  const record = state.plans.get(id);
  if (!record) {
    sendEnvelope(ctx.res, 404, `Plan not found: ${id}`);
    return;
  }
  if (record.status === 'completed') {
    sendEnvelope(ctx.res, 409, `Plan ${id} already completed`);
    return;
  }
  state.plans.cancel(record, reason);
  const reply: CancelPlanResponse = { plan_id: id, status: 'cancelled', success: true };
  sendJson(ctx.res, 200, reply);
}

function connectors(ctx: AgentContext): void {
  const list = listConnectors(Date.now());
  sendJson(ctx.res, 200, { connectors: list, total: list.length });
}

function connector(ctx: AgentContext): void {
  const id = ctx.params.id ?? '';
  const found = findConnector(id);
  if (!found) {
    sendEnvelope(ctx.res, 404, `Connector not found: ${id}`);
    return;
  }
  sendJson(ctx.res, 200, connectorMetadata(found, Date.now()));
}

function connectorHealth(ctx: AgentContext): void {
  const id = ctx.params.id ?? '';
  const found = findConnector(id);
  if (!found) {
    sendEnvelope(ctx.res, 404, `Connector not found: ${id}`);
    return;
  }
  sendJson(ctx.res, 200, {
    healthy: true,
    latency: 0,
    details: { backend: 'memory' },
    timestamp: new Date().toISOString(),
  });
}
