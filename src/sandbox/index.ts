/**
 * The AxonFlow sandbox: a local, AxonFlow-compatible agent plus a deterministic local model on one
 * loopback HTTP port, for development and tests without the platform or a provider account.
 *
 * - agent routes at `/` (health, pre-check, audit, `/api/request` incl. AXON streaming, plans,
 *   connectors), in community mode: no license, no auth;
 * - model routes at `/v1` (OpenAI chat completions, responses, embeddings, legacy completions,
 *   images, speech; Anthropic messages, token counting, legacy completions, message batches;
 *   Mistral chat and embeddings), the OpenAI ones also at `/openai/v1` for clients with that
 *   base path (groq-sdk); and the cloud dialects: Bedrock Runtime at `/model/{id}/…`, Claude and
 *   Gemini on Vertex AI at `…/projects/{p}/locations/{l}/publishers/…`, the Gemini API at
 *   `/v1beta/models/…` (and `/v1/models/…`), Cohere at `/v2/chat` and `/v2/embed`.
 *
 * The port speaks HTTP/1.1 and, for the AWS SDK's Bedrock client, HTTP/2 cleartext (see
 * `http/listener.ts`). `startSandbox()` resolves once the port is bound. The handle counts
 * requests, can stop and restart the agent (to exercise fail-open), queue faults, and `close()`
 * ends everything, including stalled requests, so tests leave no open handles. See
 * docs/sandbox.md for the routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditRecord } from './agent/audit-store.js';
import { AuditStore } from './agent/audit-store.js';
import type { AgentState } from './agent/common.js';
import { ContextStore, DEFAULT_CONTEXT_TTL_MS } from './agent/contexts.js';
import { decisionTrace } from './agent/decision-trace.js';
import { PlanStore } from './agent/plans.js';
import { agentRoutes, renderAgentError } from './agent/routes.js';
import { FAULT_HEADER, type Fault, FaultQueue, parseFault } from './faults.js';
import { DEFAULT_MAX_BODY_BYTES, dropConnection, sendEnvelope } from './http/io.js';
import { createListener } from './http/listener.js';
import { dispatch, type ErrorRenderer, type Route, type RouteContext } from './http/router.js';
import { isModelPath, modelRoutes, renderModelError } from './model/routes.js';

// Public surface (the `axonflow-otel/sandbox` entry): `startSandbox`, the handle and options types
// below, and the types the handle's methods take and return. Left out on purpose: the fault header
// and model prefix (`faults.ts`; docs/sandbox.md documents them as strings) and `parseFault`; the
// static policies and their engine (`policies.ts`, `policy-engine.ts`: internals that follow the
// platform's); the AXON flow events and dialect adapters (`axon-dialects.ts`; the dialect type is
// the root entry's `AxonDialect`).
export type { AuditRecord } from './agent/audit-store.js';
export type { Fault } from './faults.js';

export interface SandboxOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; loopback by default. The sandbox has no auth: keep it on loopback. */
  host?: string;
  /** Append every audit record to this file as a JSON line (created if missing). */
  auditFile?: string;
  /** Lifetime of pre-check / request contexts; the platform's is 5 minutes. */
  contextTtlMs?: number;
  /** Largest accepted request body; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * Answer a pre-check that only flags PII (e-mail, phone, date, booking reference) with
   * `requires_redaction: true`, as an agent that wants request-side redaction would. Off by
   * default: the platform's community agent lets such a request proceed, the policy listed in
   * `policies`, and sends no `requires_redaction`. @default false
   */
  askRedaction?: boolean;
  /**
   * OTLP/HTTP (JSON) traces URL the agent sends its own `axonflow.decision` spans to, one per
   * pre-check, each a child of the trace context the pre-check carried. The `sandbox` command
   * takes it from `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`.
   * @default none: no spans
   */
  decisionTracesUrl?: string;
}

/**
 * How a stopped agent behaves: `unavailable` answers 503, `reset` drops every connection,
 * `stall` accepts requests and never answers.
 */
export type AgentOutage = 'unavailable' | 'reset' | 'stall';

export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:43817`. */
  readonly url: string;
  /** The agent's endpoint (same as `url`). */
  readonly agentUrl: string;
  /** Base URL for OpenAI-style clients: `${url}/v1`. Anthropic clients take `url`. */
  readonly modelUrl: string;
  readonly port: number;
  /** Audit records so far, oldest first. */
  audits(): AuditRecord[];
  /**
   * Requests received on model paths (including faulted ones): `/v1/*`, `/openai/v1/*`,
   * `/v1beta*`, `/v1alpha/*`, `/model/*`, `/projects/*` and `/v2/*`.
   */
  modelRequests(): number;
  /** Requests received on agent routes (including those refused while stopped). */
  agentRequests(): number;
  /** The `traceparent` header of each pre-check answered, oldest first ('' when absent). */
  preCheckTraceparents(): string[];
  resetCounters(): void;
  /** Makes every agent route fail the given way until `startAgent()`; model routes keep working. */
  stopAgent(outage?: AgentOutage): void;
  startAgent(): void;
  /** Queues a fault for the next `times` model requests (default 1). */
  injectModelFault(fault: Fault | string, times?: number): void;
  /** Queues a fault for the next `times` agent requests (default 1). */
  injectAgentFault(fault: Fault | string, times?: number): void;
  clearFaults(): void;
  /** Stops listening, drops open connections (stalled ones too) and flushes the audit file. */
  close(): Promise<void>;
}

interface Family {
  routes: Route[];
  renderError: ErrorRenderer;
  faults: FaultQueue;
  count: number;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const audits = new AuditStore(options.auditFile);
  await audits.open();
  const state: AgentState = {
    contexts: new ContextStore(options.contextTtlMs ?? DEFAULT_CONTEXT_TTL_MS),
    audits,
    plans: new PlanStore(),
    maxBodyBytes,
    askRedaction: options.askRedaction ?? false,
    decisions: decisionTrace(options.decisionTracesUrl),
    startedAt: Date.now(),
  };
  const agent: Family = {
    routes: agentRoutes(state),
    renderError: renderAgentError,
    faults: new FaultQueue(),
    count: 0,
  };
  const model: Family = {
    routes: modelRoutes({ maxBodyBytes }),
    renderError: renderModelError,
    faults: new FaultQueue(),
    count: 0,
  };
  let outage: AgentOutage | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    } catch {
      sendEnvelope(res, 400, 'Invalid request target');
      return;
    }
    const isModel = isModelPath(url.pathname);
    const family = isModel ? model : agent;
    family.count++;
    if (!isModel && outage !== undefined) {
      if (outage === 'unavailable') {
        sendEnvelope(res, 503, 'AxonFlow agent unavailable (sandbox agent stopped)');
      } else if (outage === 'reset') {
        req.socket.destroy();
      }
      return;
    }
    const fault = family.faults.take() ?? parseFault(req.headers[FAULT_HEADER]);
    const ctx: RouteContext = { req, res, url, params: {}, fault };
    switch (fault?.kind) {
      case 'stall':
        return;
      case 'reset':
        dropConnection(res);
        return;
      case 'status':
        family.renderError(ctx, fault.status, 'Fault injected by the AxonFlow sandbox');
        return;
    }
    await dispatch(family.routes, ctx, family.renderError);
  };

  const server = createListener((req, res) => {
    handle(req, res).catch(err => {
      // dispatch() already catches handler errors; this is the last line of defence.
      console.error('[axonflow-sandbox] request failed:', err);
      if (!res.headersSent) sendEnvelope(res, 500, 'Internal sandbox error');
      else res.destroy();
    });
  });
  server.http1.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  const { port } = await server.listen(options.port ?? 0, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const toFault = (fault: Fault | string): Fault => {
    const parsed = typeof fault === 'string' ? parseFault(fault) : fault;
    if (!parsed) throw new TypeError(`Unknown sandbox fault: ${String(fault)}`);
    return parsed;
  };
  let closing: Promise<void> | undefined;

  return {
    url,
    agentUrl: url,
    modelUrl: `${url}/v1`,
    port,
    audits: () => audits.list(),
    modelRequests: () => model.count,
    agentRequests: () => agent.count,
    preCheckTraceparents: () => [...state.decisions.received],
    resetCounters: () => {
      model.count = 0;
      agent.count = 0;
    },
    stopAgent: (how = 'unavailable') => {
      outage = how;
      // Connections already stalled or kept alive would otherwise still reach the old agent.
      if (how !== 'unavailable') server.closeIdleConnections();
    },
    startAgent: () => {
      outage = undefined;
    },
    injectModelFault: (fault, times = 1) => model.faults.push(toFault(fault), times),
    injectAgentFault: (fault, times = 1) => agent.faults.push(toFault(fault), times),
    clearFaults: () => {
      model.faults.clear();
      agent.faults.clear();
    },
    close: () => {
      closing ??= server
        .close()
        .then(() => audits.flush())
        .then(() => state.decisions.shutdown());
      return closing;
    },
  };
}
