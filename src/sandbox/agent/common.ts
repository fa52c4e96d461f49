/**
 * Shared pieces of the agent routes: the state they work on, the caller's identity in community
 * mode, field readers that answer a wrongly typed field the way the platform's Go JSON decoding
 * does ("Invalid request body"), and a JSON sender that honours a `cut` fault.
 */

import type { IncomingMessage } from 'node:http';
import { HttpError, isRecord, sendJson } from '../http/io.js';
import type { RouteContext } from '../http/router.js';
import type { AuditStore } from './audit-store.js';
import type { ContextStore } from './contexts.js';
import type { DecisionTrace } from './decision-trace.js';
import type { PlanStore } from './plans.js';

export interface AgentState {
  contexts: ContextStore;
  audits: AuditStore;
  plans: PlanStore;
  maxBodyBytes: number;
  /** Ask for redaction when a pre-check only flags PII (see SandboxOptions.askRedaction). */
  askRedaction: boolean;
  /** The trace context each pre-check carried, and the agent's own decision spans. */
  decisions: DecisionTrace;
  startedAt: number;
}

export type AgentContext = RouteContext;

export const INVALID_BODY = 'Invalid request body';

/**
 * Community mode has no auth: the client is whoever the request says it is — the body's
 * `client_id`, else the Basic-auth user or `X-Client-ID` the SDKs send, else "community".
 */
export function clientIdOf(req: IncomingMessage, bodyClientId: string | undefined): string {
  if (bodyClientId) return bodyClientId;
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const user = decoded.split(':')[0];
    if (user) return user;
  }
  const header = req.headers['x-client-id'];
  if (typeof header === 'string' && header !== '') return header;
  return 'community';
}

export function optString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, INVALID_BODY);
  return value;
}

export function optNumber(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new HttpError(400, INVALID_BODY);
  return value;
}

export function optBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new HttpError(400, INVALID_BODY);
  return value;
}

export function optRecord(
  body: Record<string, unknown>,
  field: string,
): Record<string, unknown> | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new HttpError(400, INVALID_BODY);
  return value;
}

export function optStringArray(body: Record<string, unknown>, field: string): string[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) {
    throw new HttpError(400, INVALID_BODY);
  }
  return value;
}

/** Sends an agent JSON reply; a `cut` fault sends half of it and drops the connection. */
export function sendAgentJson(ctx: AgentContext, status: number, body: unknown): void {
  if (ctx.fault?.kind !== 'cut') {
    sendJson(ctx.res, status, body);
    return;
  }
  const text = JSON.stringify(body);
  ctx.res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  ctx.res.write(text.slice(0, Math.floor(text.length / 2)), () => ctx.res.destroy());
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
