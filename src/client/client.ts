/**
 * AxonFlowClient: the single entry point to the AxonFlow agent. Owns authentication headers, the
 * deadline/retry/breaker policy of every call, the decision cache, fail-open in production mode,
 * and the mapping from snake_case wire DTOs to the camelCase public results.
 *
 * Failure classes, decided in one place (`#run` and `#failOpenReason`), following the AxonFlow
 * Rust SDK: fail open on network errors and 5xx only (plus deadlines and 429, which are the same
 * unavailability), never on anything else.
 * - a decision is an answer, never an error, and never turned into an allow: any reply, whatever
 *   its HTTP status, from which pre-check `approved:false` (or `blocked:true`) or proxy
 *   `blocked:true` can be read is a deny, with its side fields read leniently (`reply.ts`), e.g.
 *   the platform's 402 budget deny and 403 tenant deny;
 * - unavailability (network, deadline, 5xx, 429) is retried within the deadline on non-mutating
 *   calls, counted by the breaker, and fails open in production mode (throws in sandbox mode);
 * - everything else blocks, in both modes, with a typed error and one rate-limited stderr line:
 *   auth (401, 403 without a deny: `AuthenticationError`), any other 4xx or a redirect
 *   (`RequestRejectedError`), and a 2xx reply with no readable boolean verdict, or a reply over
 *   the size cap (`InvalidResponseError`). The agent answered, but we cannot read an allow out of
 *   it: an uncheckable call is not an allowed one. None of these counts for the breaker, so an
 *   agent that keeps answering garbage cannot open the circuit and turn the blocks into
 *   fail-opens. The gate turns these errors into `UncheckedRequestError`.
 * - uncheckable input (a pre-check body over `maxCheckBytes`, or a 400/413/422 from the agent)
 *   blocks too, unless `onUncheckable: 'allow'`, which fails open with reason `uncheckable`.
 */
import { diag } from '@opentelemetry/api';
import type { z } from 'zod';
import { notice } from '../notices/index.js';
import { registerSecrets, scrub } from '../scrub/index.js';
import { type AxonDialect, type AxonStream, decodeAxonStream } from './axon-stream.js';
import { backoffDelay } from './backoff.js';
import { CircuitBreaker } from './breaker.js';
import { cacheKey, DecisionCache, stableJson } from './cache.js';
import {
  type AxonFlowClientConfig,
  configFromEnv,
  type ResolvedConfig,
  resolveConfig,
} from './config.js';
import {
  AuthenticationError,
  type AxonFlowError,
  ErrorCode,
  errorCode,
  errorStatus,
  InvalidResponseError,
  isAxonFlowError,
  PolicyViolationError,
  RequestRejectedError,
  sanitizeAgentText,
  TimeoutError,
  UnavailableError,
  UncheckedRequestError,
} from './errors/index.js';
import { scheduleHeartbeat } from './heartbeat.js';
import { PEEK_DECISION } from './internal.js';
import {
  type ClientResponseReading,
  isRecord,
  type PreCheckReading,
  readBlockedClientResponse,
  readPreCheckReply,
} from './reply.js';
import {
  type AgentReply,
  AgentTransport,
  Deadline,
  type DeadlineListener,
  JsonText,
  QUEUE_TIMEOUT,
} from './transport.js';
import type {
  AuditLLMCallRequest,
  AuditResult,
  CancelPlanResult,
  ConnectorMetadata,
  ConnectorResult,
  FailOpenReason,
  HealthStatus,
  Plan,
  PlanExecution,
  PolicyInfo,
  PreCheckRequest,
  PreCheckResult,
  ProxyLLMCallRequest,
  ProxyLLMCallResult,
} from './types.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';
import {
  type AuditRequest,
  AuditResultSchema,
  CancelPlanResponseSchema,
  type ClientRequest,
  ClientResponseSchema,
  ConnectorListSchema,
  ConnectorMetadataSchema,
  ErrorEnvelopeSchema,
  HealthResponseSchema,
  PlanExecutionResponseSchema,
  PlanResponseSchema,
  type PolicyEvaluationInfo,
  type PreCheckRequestWire,
} from './wire.js';

const FAIL_OPEN_PREFIX = 'AxonFlow unavailable (fail-open): ';
const UNCHECKABLE_PREFIX = 'AxonFlow could not check the request (fail-open): ';
/** Statuses by which the agent refuses to read a request: uncheckable input, not a failure. */
const UNCHECKABLE_STATUSES = new Set([400, 413, 422]);
/** Estimated bytes of a cached result besides its strings: the object, its arrays and dates. */
const ENTRY_OVERHEAD_BYTES = 512;
const LOG_WINDOW_MS = 60_000;
const CHAT_TYPES = new Set(['chat', 'llm_chat']);

const NO_POLICIES: readonly string[] = Object.freeze([]);

/** The pre-check result of a call that goes ahead unchecked (fail-open), with its reason. */
function failOpenResult(reason: FailOpenReason, error: string): PreCheckResult {
  return {
    approved: true,
    contextId: '',
    policies: NO_POLICIES,
    blockReason: undefined,
    expiresAt: undefined,
    requiresRedaction: false,
    rateLimit: undefined,
    failOpen: true,
    failOpenReason: reason,
    error,
    cached: false,
  };
}

/** Shared by every call while the circuit is open: a dead agent costs no allocation. */
const CIRCUIT_OPEN_RESULT: PreCheckResult = Object.freeze(
  failOpenResult(
    'circuit_open',
    `${FAIL_OPEN_PREFIX}circuit breaker open after repeated agent failures`,
  ),
);

/** A pre-check request's wire body and decision cache key, computed once per request. */
interface PreparedPreCheck {
  body: PreCheckRequestWire;
  key: string | undefined;
}

/** What `[PEEK_DECISION]` computed on a miss, for the `preCheck` of the same request. */
interface Peeked extends PreparedPreCheck {
  request: PreCheckRequest;
  query: string;
  userToken: string | undefined;
  context: Record<string, unknown> | undefined;
  dataSources: string[] | undefined;
}

/**
 * The deadline of one call (all its attempts). Waiting for a free connection is our queue, not
 * the agent: the agent's `timeoutMs` starts when the first attempt is written to a connection,
 * and a wait for one is bounded on its own (`max(queueTimeoutMs, timeoutMs)` from the call's
 * start). One timer at a time, cleared when the call ends (an AbortSignal.timeout's timer would
 * outlive the call). The queue timer is only armed when a request does wait: a free connection
 * takes it synchronously, and the common call then costs a single timer.
 */
class CallDeadline extends Deadline {
  /** When the call's first attempt was written to a connection. */
  dispatchedAt: number | undefined = undefined;
  readonly #queueMs: number;
  readonly #agentMs: number;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;
  #signal: AbortSignal | undefined = undefined;

  constructor(queueMs: number, agentMs: number, signal: AbortSignal | undefined) {
    super();
    this.#queueMs = queueMs;
    this.#agentMs = agentMs;
    if (signal) {
      if (signal.aborted) this.abort(signal.reason);
      else {
        this.#signal = signal;
        signal.addEventListener('abort', this, { once: true });
      }
    }
  }

  /** The caller's signal aborted (this object is its listener: no closure per call). */
  handleEvent(): void {
    this.abort(this.#signal?.reason);
  }

  override queued(): void {
    if (this.dispatchedAt === undefined && this.#timer === undefined && !this.aborted)
      this.#timer = setTimeout(queueExpired, this.#queueMs, this);
  }

  override dispatched(): void {
    if (this.dispatchedAt !== undefined) return;
    this.dispatchedAt = performance.now();
    clearTimeout(this.#timer);
    this.#timer = setTimeout(agentExpired, this.#agentMs, this);
  }

  /** The call is over: no timer or listener outlives it. */
  end(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener('abort', this);
  }
}

function queueExpired(deadline: CallDeadline): void {
  deadline.abort(QUEUE_TIMEOUT);
}

function agentExpired(deadline: CallDeadline): void {
  deadline.abort();
}

interface CallSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  timeoutMs: number;
  /** Mutations are never retried. */
  idempotent: boolean;
  signal?: AbortSignal;
}

/** Per-call options for calls made in the background (audit). */
export interface CallOptions {
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
  /** Aborts the call early (e.g. on shutdown). */
  signal?: AbortSignal;
  /** Retry within the deadline. @default true */
  retry?: boolean;
}

export class AxonFlowClient {
  readonly #cfg: ResolvedConfig;
  readonly #transport: AgentTransport;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #cache: DecisionCache<PreCheckResult | ProxyLLMCallResult>;
  #closing: Promise<void> | undefined;
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #lastBlockErrorAt = Number.NEGATIVE_INFINITY;
  #peeked: Peeked | undefined;

  /** @throws ConfigError naming the setting and the fix, when the configuration is invalid. */
  constructor(config: AxonFlowClientConfig = {}) {
    const cfg = resolveConfig(config);
    this.#cfg = cfg;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': `${PACKAGE_NAME}/${PACKAGE_VERSION}`,
      'x-axonflow-client': `${PACKAGE_NAME}/${PACKAGE_VERSION}`,
      authorization: `Basic ${Buffer.from(`${cfg.clientId}:${cfg.clientSecret ?? ''}`).toString('base64')}`,
      'x-client-id': cfg.clientId,
    };
    if (cfg.licenseKey) headers['x-license-key'] = cfg.licenseKey;
    this.#transport = new AgentTransport({
      origin: cfg.endpoint.origin,
      connections: cfg.connections,
      maxResponseBytes: cfg.maxResponseBytes,
      headers,
      basePath: cfg.endpoint.pathname.replace(/\/+$/, ''),
    });
    this.#breaker = cfg.breaker.enabled ? new CircuitBreaker(cfg.breaker) : undefined;
    this.#cache = new DecisionCache(cfg.cache, entrySize);
    registerSecrets(cfg.clientSecret, cfg.licenseKey, cfg.userToken, headers.authorization);
    if (cfg.telemetry) {
      scheduleHeartbeat({ endpoint: cfg.endpoint, mode: cfg.mode });
    }
  }

  /**
   * Builds a client from `AXONFLOW_*` environment variables; `overrides` win over them.
   * @throws ConfigError naming the variable and the fix.
   */
  static fromEnv(overrides: AxonFlowClientConfig = {}): AxonFlowClient {
    return new AxonFlowClient(configFromEnv(process.env, overrides));
  }

  get mode(): 'production' | 'sandbox' {
    return this.#cfg.mode;
  }

  /** The agent's base URL (never carries credentials). */
  get endpoint(): string {
    return this.#cfg.endpoint.href;
  }

  /** The client id sent to the agent (`community` when none was configured). */
  get clientId(): string {
    return this.#cfg.clientId;
  }

  /** Circuit breaker state, for diagnostics. */
  get breakerState(): 'closed' | 'open' | 'half_open' | 'disabled' {
    return this.#breaker?.state ?? 'disabled';
  }

  /** Number of decisions held in the cache. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Estimated bytes the cached decisions hold (bounded by `cache.maxBytes`). */
  get cacheBytes(): number {
    return this.#cache.bytes;
  }

  /** What the gate does with an approval that requires redaction (`onRedaction`). */
  get onRedaction(): 'block' | 'allow' {
    return this.#cfg.onRedaction;
  }

  /** What happens to a prompt that cannot be checked (`onUncheckable`). */
  get onUncheckable(): 'block' | 'allow' {
    return this.#cfg.onUncheckable;
  }

  /** Probes `GET /health`. Never throws; never blocked by the breaker. */
  async healthCheck(): Promise<HealthStatus> {
    const started = performance.now();
    try {
      const deadline = AbortSignal.timeout(this.#cfg.timeoutMs);
      const reply = await this.#transport.send(
        'GET',
        '/health',
        undefined,
        deadline,
        this.#cfg.timeoutMs,
      );
      const latencyMs = performance.now() - started;
      const parsed = HealthResponseSchema.safeParse(reply.body);
      if (!parsed.success) {
        return {
          status: 'unhealthy',
          version: undefined,
          latencyMs,
          error: `unexpected /health reply (HTTP ${reply.status})`,
        };
      }
      const ok = reply.status >= 200 && reply.status < 300 && parsed.data.status === 'healthy';
      return {
        status: ok ? 'healthy' : 'degraded',
        version: sanitizeAgentText(parsed.data.version, 64) || undefined,
        latencyMs,
        error: ok
          ? undefined
          : `agent reports ${sanitizeAgentText(parsed.data.status, 64)} (HTTP ${reply.status})`,
      };
    } catch (err) {
      return {
        status: 'unhealthy',
        version: undefined,
        latencyMs: performance.now() - started,
        error: isAxonFlowError(err) ? err.message : 'health check failed',
      };
    }
  }

  /**
   * Asks the agent for a policy decision on a prompt (`POST /api/policy/pre-check`). A deny is a
   * result with `approved: false`. In production mode an unavailable agent (network, deadline, 5xx,
   * 429) gives a result with `approved: true, failOpen: true`; in sandbox mode it throws.
   *
   * Throws in both modes when the call cannot be checked: `AuthenticationError` (401, 403 without
   * a deny), `RequestRejectedError` (other 4xx), `InvalidResponseError` (no readable verdict, or a
   * reply over the size cap), and `UncheckedRequestError` (`too_large`) for a request body over
   * `maxCheckBytes`, which is never sent. With `onUncheckable: 'allow'`, a body over the limit and
   * a 400/413/422 give a fail-open result with reason `uncheckable` instead.
   */
  async preCheck(request: PreCheckRequest): Promise<PreCheckResult> {
    const { body, key } = this.#takePeeked(request) ?? this.#preCheckRequest(request);
    if (key !== undefined) {
      const hit = this.#cache.get(key);
      if (hit) return hit as PreCheckResult;
    }
    // Measured (and serialised, once) before anything else: a prompt over the limit is never
    // sent, so no breaker state or coalescing can turn it into an allow.
    let text: JsonText;
    try {
      text = new JsonText(JSON.stringify(body));
    } catch {
      return this.#uncheckableInput(
        'error',
        'the pre-check body cannot be serialised as JSON (a BigInt or a cycle in the context?)',
      );
    }
    const bytes = Buffer.byteLength(text.text);
    if (bytes > this.#cfg.maxCheckBytes) {
      return this.#uncheckableInput(
        'too_large',
        `the pre-check body is ${bytes} bytes, over the ${this.#cfg.maxCheckBytes} bytes allowed (maxCheckBytes, AXONFLOW_MAX_CHECK_BYTES)`,
      );
    }
    // A dead agent must cost next to nothing: while the circuit is open, production mode answers
    // at once, without building an error (its stack trace was most of the cost).
    if (this.#breaker?.refusing && this.#cfg.mode === 'production') {
      notice(
        'fail-open:circuit_open',
        `calls proceed NOT governed (fail-open, circuit_open): the agent at ${this.#cfg.endpoint.origin} failed repeatedly; it is probed again every ${this.#cfg.breaker.resetTimeoutMs} ms`,
      );
      return CIRCUIT_OPEN_RESULT;
    }
    if (key !== undefined)
      return this.#cache.coalesce(key, () => this.#preCheckFromAgent(text, key));
    return this.#preCheckFromAgent(text, undefined);
  }

  /**
   * A request that cannot be checked before it is sent: blocked (`UncheckedRequestError`), or with
   * `onUncheckable: 'allow'` let through as a fail-open result with reason `uncheckable`.
   */
  #uncheckableInput(reason: 'too_large' | 'error', detail: string): PreCheckResult {
    if (this.#cfg.onUncheckable === 'allow') {
      notice(
        'fail-open:uncheckable',
        `calls proceed NOT governed (fail-open, uncheckable): ${detail}; AXONFLOW_ON_UNCHECKABLE=allow lets such calls through`,
      );
      return failOpenResult('uncheckable', UNCHECKABLE_PREFIX + detail);
    }
    const raise = reason === 'too_large' ? 'Raise AXONFLOW_MAX_CHECK_BYTES, or set' : 'Set';
    notice(
      `blocked:${reason}`,
      `calls are BLOCKED, not checked: ${detail}. ${raise} AXONFLOW_ON_UNCHECKABLE=allow to let such calls through unchecked`,
    );
    throw new UncheckedRequestError({ reason });
  }

  /**
   * @internal Not API: reached through `peekDecision` of `internal.ts`. The decision `preCheck`
   * would serve from the cache for this request, synchronously, or undefined. On a miss, the body
   * and key computed here are kept for the `preCheck` of this same request that follows.
   */
  [PEEK_DECISION](request: PreCheckRequest): PreCheckResult | undefined {
    const prepared = this.#preCheckRequest(request);
    const hit =
      prepared.key === undefined
        ? undefined
        : (this.#cache.get(prepared.key) as PreCheckResult | undefined);
    this.#peeked =
      hit === undefined
        ? {
            ...prepared,
            request,
            query: request.query,
            userToken: request.userToken,
            context: request.context,
            dataSources: request.dataSources,
          }
        : undefined;
    return hit;
  }

  /**
   * What the last peek computed, when it was for this very request, unchanged since (the same
   * object with the same field values); it is used once.
   */
  #takePeeked(request: PreCheckRequest): PreparedPreCheck | undefined {
    const peeked = this.#peeked;
    if (peeked === undefined) return undefined;
    this.#peeked = undefined;
    return peeked.request === request &&
      peeked.query === request.query &&
      peeked.userToken === request.userToken &&
      peeked.context === request.context &&
      peeked.dataSources === request.dataSources
      ? peeked
      : undefined;
  }

  #preCheckRequest(request: PreCheckRequest): PreparedPreCheck {
    const userToken = request.userToken || this.#cfg.userToken || 'anonymous';
    const body: PreCheckRequestWire = {
      user_token: userToken,
      client_id: this.#cfg.clientId,
      query: request.query,
      data_sources: request.dataSources ?? [],
      context: request.context ?? {},
    };
    const key = this.#decisionKey(
      'pre-check',
      userToken,
      request.query,
      body.context,
      body.data_sources,
    );
    return { body, key };
  }

  async #preCheckFromAgent(body: JsonText, key: string | undefined): Promise<PreCheckResult> {
    let reading: PreCheckReading;
    try {
      reading = await this.#run(
        {
          method: 'POST',
          path: '/api/policy/pre-check',
          body,
          timeoutMs: this.#cfg.timeoutMs,
          idempotent: true,
        },
        reply => this.#readPreCheck(reply),
      );
    } catch (err) {
      const reason = this.#failOpenReason(err, true);
      const prefix = reason === 'uncheckable' ? UNCHECKABLE_PREFIX : FAIL_OPEN_PREFIX;
      return failOpenResult(reason, prefix + (err as Error).message);
    }
    const result: PreCheckResult = {
      approved: reading.approved,
      contextId: reading.contextId,
      policies: Object.freeze(reading.policies),
      blockReason: reading.blockReason,
      expiresAt: reading.expiresAt,
      requiresRedaction: reading.requiresRedaction,
      rateLimit: reading.rateLimit,
      failOpen: false,
      failOpenReason: undefined,
      error: undefined,
      cached: false,
    };
    if (reading.malformed.length > 0) result.malformedFields = Object.freeze(reading.malformed);
    if (key !== undefined) {
      this.#cache.set(
        key,
        Object.freeze({ ...result, cached: true }),
        reading.expiresAt?.getTime(),
      );
    }
    return result;
  }

  /**
   * The verdict of a pre-check reply: a readable deny whatever the status (the platform sends
   * budget denies as 402 and tenant denies as 403); a readable allow only from a 2xx. A 2xx with
   * no readable boolean verdict is an `InvalidResponseError`, which blocks: the agent answered, so
   * this is not unavailability, and nothing in the reply says the call may go ahead.
   */
  #readPreCheck(reply: AgentReply): PreCheckReading {
    const reading = reply.invalidJson ? undefined : readPreCheckReply(reply.body);
    if (reading !== undefined && !reading.approved) return reading;
    const { status } = reply;
    if (status >= 200 && status < 300) {
      if (reading !== undefined) return reading;
      throw new InvalidResponseError(
        reply.invalidJson
          ? `AxonFlow agent reply to pre-check (HTTP ${status}) is not valid JSON`
          : `AxonFlow agent reply to pre-check (HTTP ${status}) has no boolean "approved" verdict`,
        { status },
      );
    }
    throw this.#statusError(reply);
  }

  /**
   * Records an LLM call for audit (`POST /api/audit/llm-call`). Throws typed errors in every mode:
   * its caller (the audit span processor) decides about retries and counting.
   */
  async auditLLMCall(
    request: AuditLLMCallRequest,
    options: CallOptions = {},
  ): Promise<AuditResult> {
    const usage = request.tokenUsage;
    const body: AuditRequest = {
      context_id: request.contextId,
      client_id: this.#cfg.clientId,
      response_summary: request.responseSummary,
      provider: request.provider,
      model: request.model,
      token_usage: {
        prompt_tokens: usage.promptTokens,
        completion_tokens: usage.completionTokens,
        total_tokens: usage.totalTokens ?? usage.promptTokens + usage.completionTokens,
      },
      latency_ms: Math.round(request.latencyMs),
      metadata: request.metadata ?? {},
    };
    const spec: CallSpec = {
      method: 'POST',
      path: '/api/audit/llm-call',
      body,
      timeoutMs: options.timeoutMs ?? this.#cfg.timeoutMs,
      idempotent: options.retry ?? true,
    };
    if (options.signal) spec.signal = options.signal;
    const wire = await this.#run(spec, reply => this.#expectOk(reply, AuditResultSchema, 'audit'));
    return { success: wire.success, auditId: wire.audit_id };
  }

  /**
   * Sends a request through the agent (`POST /api/request`). A policy block (403) is a result with
   * `blocked: true`; an exceeded budget (402) a result with `budgetInfo`. Chat-type results are
   * cached. In production mode an unavailable agent gives `success: true, failOpen: true`.
   */
  async proxyLLMCall(request: ProxyLLMCallRequest): Promise<ProxyLLMCallResult> {
    const requestType = request.requestType ?? 'chat';
    const body = this.#clientRequest(
      request.query,
      request.userToken,
      requestType,
      request.context,
    );
    const key = CHAT_TYPES.has(requestType)
      ? this.#decisionKey(`proxy:${requestType}`, body.user_token, body.query, body.context, [])
      : undefined;
    if (key !== undefined) {
      const hit = this.#cache.get(key);
      if (hit) return hit as ProxyLLMCallResult;
      return this.#cache.coalesce(key, () => this.#proxyFromAgent(body, key));
    }
    return this.#proxyFromAgent(body, undefined);
  }

  async #proxyFromAgent(body: ClientRequest, key: string | undefined): Promise<ProxyLLMCallResult> {
    let wire: ClientResponseReading;
    try {
      wire = await this.#run(
        {
          method: 'POST',
          path: '/api/request',
          body,
          timeoutMs: this.#cfg.requestTimeoutMs,
          idempotent: !isMutation(body.request_type),
        },
        reply => this.#expectClientResponse(reply),
      );
    } catch (err) {
      const reason = this.#failOpenReason(err, false);
      return {
        success: true,
        data: undefined,
        result: undefined,
        planId: undefined,
        requestId: undefined,
        metadata: undefined,
        error: FAIL_OPEN_PREFIX + (err as Error).message,
        blocked: false,
        blockReason: undefined,
        policyInfo: undefined,
        budgetInfo: undefined,
        failOpen: true,
        failOpenReason: reason,
        cached: false,
      };
    }
    const result = mapClientResponse(wire);
    if (key !== undefined)
      this.#cache.set(key, Object.freeze({ ...result, cached: true }), undefined);
    return result;
  }

  /**
   * Sends a request through the agent as a stream (`POST /api/request` with `stream: true`) and
   * decodes the SSE reply in the dialect asked for (`anthropic`, the default, or `openai`) into
   * typed events, with a `metadata` promise for the final `axon.metadata` frame.
   *
   * A policy block (403) surfaces as `PolicyViolationError` from the first iteration; other
   * failures as the client's typed errors. There is no fail-open here: a stream that cannot be
   * had has no content to stand in for it. `requestTimeoutMs` bounds the wait for the reply
   * headers; `signal` (or `abort()` on the result) stops the stream.
   */
  proxyLLMCallStream(
    request: ProxyLLMCallRequest & { dialect?: AxonDialect; signal?: AbortSignal },
  ): AxonStream {
    const dialect = request.dialect ?? 'anthropic';
    const body = {
      ...this.#clientRequest(
        request.query,
        request.userToken,
        request.requestType ?? 'chat',
        request.context,
      ),
      stream: true,
      dialect,
    };
    const transport = this.#transport;
    const timeoutMs = this.#cfg.requestTimeoutMs;
    const client = this;
    async function* bytes(): AsyncGenerator<Uint8Array> {
      const res = await transport.openStream('/api/request', body, request.signal, timeoutMs);
      const type = String(res.headers['content-type'] ?? '');
      if (res.statusCode !== 200 || !type.includes('text/event-stream')) {
        const reply = await transport.readReply(res.statusCode, res.body);
        const wire = client.#expectClientResponse(reply);
        if (wire.blocked) throw client.#violation(mapClientResponse(wire));
        throw new InvalidResponseError(
          `AxonFlow agent answered a streamed request without a stream (HTTP ${res.statusCode})`,
          { status: res.statusCode },
        );
      }
      try {
        yield* res.body;
      } finally {
        if (!res.body.destroyed) res.body.destroy();
      }
    }
    const options: Parameters<typeof decodeAxonStream>[1] = { dialect };
    if (request.signal) options.signal = request.signal;
    return decodeAxonStream(bytes(), options);
  }

  /** Queries an MCP connector through the agent (`request_type: mcp-query`). Fails open in production. */
  async queryConnector(
    connector: string,
    query: string,
    params: Record<string, unknown> = {},
  ): Promise<ConnectorResult> {
    const result = await this.proxyLLMCall({
      query,
      requestType: 'mcp-query',
      context: { connector, params },
    });
    if (result.blocked) throw this.#violation(result);
    return {
      success: result.success,
      data: result.data,
      error: result.error,
      meta: result.metadata,
      redacted: false,
      redactedFields: [],
      failOpen: result.failOpen,
    };
  }

  /** Lists the connectors the agent knows (`GET /api/v1/connectors`). */
  async listConnectors(): Promise<ConnectorMetadata[]> {
    const wire = await this.#run(
      {
        method: 'GET',
        path: '/api/v1/connectors',
        timeoutMs: this.#cfg.requestTimeoutMs,
        idempotent: true,
      },
      reply => this.#expectOk(reply, ConnectorListSchema, 'list connectors'),
    );
    return wire.connectors;
  }

  /** One connector's metadata (`GET /api/v1/connectors/{id}`). */
  getConnector(id: string): Promise<ConnectorMetadata> {
    return this.#run(
      {
        method: 'GET',
        path: `/api/v1/connectors/${encodeURIComponent(id)}`,
        timeoutMs: this.#cfg.requestTimeoutMs,
        idempotent: true,
      },
      reply => this.#expectOk(reply, ConnectorMetadataSchema, 'get connector'),
    );
  }

  /** Asks the agent to plan a multi-step task. A mutation: never cached, retried or failed open. */
  async generatePlan(query: string, domain?: string, userToken?: string): Promise<Plan> {
    const body = this.#clientRequest(
      query,
      userToken,
      'multi-agent-plan',
      domain ? { domain } : {},
    );
    const wire = await this.#mutation(body);
    const data = isRecord(wire.data) ? wire.data : {};
    const plan = this.#validate(
      PlanResponseSchema,
      { ...data, plan_id: wire.plan_id ?? data.plan_id },
      'generate plan',
      200,
    );
    return {
      planId: plan.plan_id,
      status: plan.status,
      steps: plan.steps,
      domain: plan.domain,
      complexity: plan.complexity,
      parallel: plan.parallel,
      estimatedDuration: plan.estimated_duration,
      metadata: plan.metadata,
      success: wire.success,
      version: plan.version,
      result: plan.result ?? wire.result ?? undefined,
      error: plan.error ?? wire.error ?? undefined,
    };
  }

  /** Executes a plan. A mutation: never cached, retried or failed open. */
  async executePlan(planId: string, userToken?: string): Promise<PlanExecution> {
    const body = this.#clientRequest('', userToken, 'execute-plan', { plan_id: planId });
    const wire = await this.#mutation(body);
    const data = isRecord(wire.data) ? wire.data : {};
    const exec = this.#validate(
      PlanExecutionResponseSchema,
      { plan_id: planId, ...data },
      'execute plan',
      200,
    );
    return mapExecution({
      ...exec,
      status: exec.status || (wire.success && !wire.blocked ? 'completed' : 'failed'),
      result: exec.result ?? wire.result ?? undefined,
      error: exec.error ?? wire.error ?? undefined,
    });
  }

  /** A plan's execution status (`GET /api/v1/plan/{id}`). */
  async getPlanStatus(planId: string): Promise<PlanExecution> {
    const wire = await this.#run(
      {
        method: 'GET',
        path: `/api/v1/plan/${encodeURIComponent(planId)}`,
        timeoutMs: this.#cfg.requestTimeoutMs,
        idempotent: true,
      },
      reply => this.#expectOk(reply, PlanExecutionResponseSchema, 'plan status'),
    );
    return mapExecution(wire);
  }

  /** Cancels a plan (`POST /api/v1/plan/{id}/cancel`). A mutation: never retried. */
  async cancelPlan(planId: string, reason?: string): Promise<CancelPlanResult> {
    const wire = await this.#run(
      {
        method: 'POST',
        path: `/api/v1/plan/${encodeURIComponent(planId)}/cancel`,
        body: { reason: reason ?? 'user_cancelled' },
        timeoutMs: this.#cfg.requestTimeoutMs,
        idempotent: false,
      },
      reply => this.#expectOk(reply, CancelPlanResponseSchema, 'cancel plan'),
    );
    return { planId: wire.plan_id || planId, status: wire.status, success: wire.success };
  }

  /** Releases the keep-alive sockets. Idempotent; later calls fail (or fail open). */
  close(): Promise<void> {
    this.#closing ??= this.#transport.close().catch(() => undefined);
    return this.#closing;
  }

  // --- internals ---------------------------------------------------------------------------------

  #clientRequest(
    query: string,
    userToken: string | undefined,
    requestType: string,
    context: Record<string, unknown> | undefined,
  ): ClientRequest {
    return {
      query,
      user_token: userToken || this.#cfg.userToken || 'anonymous',
      client_id: this.#cfg.clientId,
      request_type: requestType,
      context: context ?? {},
    };
  }

  async #mutation(body: ClientRequest): Promise<ClientResponseReading> {
    const wire = await this.#run(
      {
        method: 'POST',
        path: '/api/request',
        body,
        timeoutMs: this.#cfg.requestTimeoutMs,
        idempotent: false,
      },
      reply => this.#expectClientResponse(reply),
    );
    if (wire.blocked) throw this.#violation(mapClientResponse(wire));
    return wire;
  }

  #violation(result: ProxyLLMCallResult): PolicyViolationError {
    const init: ConstructorParameters<typeof PolicyViolationError>[0] = {
      policies: result.policyInfo?.policiesEvaluated ?? [],
      status: 403,
    };
    if (result.blockReason !== undefined) init.blockReason = result.blockReason;
    if (result.requestId !== undefined) init.contextId = result.requestId;
    return new PolicyViolationError(init);
  }

  /**
   * The cache key of a decision, or undefined when caching is off or the request cannot be keyed
   * (e.g. a context JSON cannot represent, which the agent could not receive either).
   */
  #decisionKey(
    kind: string,
    userToken: string,
    query: string,
    context: Record<string, unknown> | undefined,
    dataSources: readonly string[] | undefined,
  ): string | undefined {
    if (!this.#cfg.cache.enabled) return undefined;
    const ctx = stableJson(context ?? {});
    const sources = stableJson(dataSources ?? []);
    if (ctx === undefined || sources === undefined) return undefined;
    return cacheKey([
      this.#cfg.endpoint.origin,
      this.#cfg.clientId,
      kind,
      userToken,
      query,
      ctx,
      sources,
    ]);
  }

  /**
   * Runs one call under the breaker, with one overall deadline and retries (idempotent calls only)
   * for unavailability. `interpret` turns a reply into a result or throws a typed error.
   */
  async #run<T>(spec: CallSpec, interpret: (reply: AgentReply) => T): Promise<T> {
    const breaker = this.#breaker;
    if (breaker && !breaker.tryAcquire()) {
      throw new UnavailableError(
        'circuit_open',
        'circuit breaker open after repeated agent failures',
      );
    }
    const deadline = new CallDeadline(
      Math.max(this.#cfg.queueTimeoutMs, spec.timeoutMs),
      spec.timeoutMs,
      spec.signal,
    );
    try {
      return await this.#attempts(spec, interpret, deadline);
    } finally {
      deadline.end();
    }
  }

  async #attempts<T>(
    spec: CallSpec,
    interpret: (reply: AgentReply) => T,
    deadline: CallDeadline,
  ): Promise<T> {
    const breaker = this.#breaker;
    const attempts = spec.idempotent && this.#cfg.retry.enabled ? this.#cfg.retry.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await this.#transport.send(
          spec.method,
          spec.path,
          spec.body,
          deadline,
          spec.timeoutMs,
        );
        const result = interpret(reply);
        breaker?.onSuccess();
        return result;
      } catch (caught) {
        const err = asUnavailable(caught);
        const unavailable = unavailableReason(err);
        const retryable =
          unavailable !== undefined &&
          unavailable !== 'circuit_open' &&
          unavailable !== 'queue_timeout';
        const spent = performance.now() - (deadline.dispatchedAt ?? performance.now());
        const remaining = spec.timeoutMs - spent;
        if (retryable && attempt < attempts && !deadline.aborted) {
          const delay = Math.round(
            backoffDelay(attempt, {
              initialMs: this.#cfg.retry.initialDelayMs,
              maxMs: this.#cfg.retry.maxDelayMs,
            }),
          );
          if (remaining > delay) {
            // Scrubbed first: the agent's text may echo our credentials back.
            const said = (this.#scrubbed(err) as Error).message;
            this.#debug(`agent call failed (${said}); retry ${attempt} in ${delay} ms`);
            await sleep(delay, deadline);
            if (!deadline.aborted) continue;
          }
        }
        const failure =
          isAxonFlowError(err) || !deadline.aborted
            ? err
            : deadline.reason === QUEUE_TIMEOUT
              ? new UnavailableError(
                  'queue_timeout',
                  'no free connection to the AxonFlow agent in time',
                )
              : new TimeoutError(spec.timeoutMs);
        // Only unavailability counts. An agent that answers, even with garbage, is not down: were
        // its replies counted, an open circuit would turn the blocks they cause into fail-opens.
        // Our own queue is not the agent failing either.
        const failureCode = errorCode(failure);
        const agentDown =
          (failureCode === ErrorCode.UNAVAILABLE &&
            unavailableReason(failure) !== 'queue_timeout') ||
          failureCode === ErrorCode.TIMEOUT;
        if (agentDown) {
          breaker?.onFailure();
        } else {
          breaker?.onNeutral();
        }
        throw this.#scrubbed(failure);
      }
    }
  }

  /** Accepts a 2xx reply valid against `schema`; otherwise throws by status. */
  #expectOk<S extends z.ZodType>(reply: AgentReply, schema: S, what: string): z.infer<S> {
    if (reply.status >= 200 && reply.status < 300) return this.#validateReply(schema, reply, what);
    throw this.#statusError(reply);
  }

  /**
   * `/api/request` answers with 2xx and 402 (budget) as results, and a block (`blocked: true`,
   * usually 403) as a result whatever the status, with its side fields read leniently: a block
   * must never become an error that could fail open.
   */
  #expectClientResponse(reply: AgentReply): ClientResponseReading {
    const { status, body } = reply;
    if (!reply.invalidJson && isRecord(body) && body.blocked === true) {
      return readBlockedClientResponse(body);
    }
    const isAnswer =
      (status >= 200 && status < 300) ||
      (status === 402 && isRecord(body) && body.budget_info !== undefined);
    if (isAnswer) return this.#validateReply(ClientResponseSchema, reply, 'request');
    throw this.#statusError(reply);
  }

  #validateReply<S extends z.ZodType>(schema: S, reply: AgentReply, what: string): z.infer<S> {
    if (reply.invalidJson) {
      throw new InvalidResponseError(
        `AxonFlow agent reply to ${what} (HTTP ${reply.status}) is not valid JSON`,
        { status: reply.status },
      );
    }
    return this.#validate(schema, reply.body, what, reply.status);
  }

  #validate<S extends z.ZodType>(
    schema: S,
    body: unknown,
    what: string,
    status: number,
  ): z.infer<S> {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') || '(root)' : '(root)';
    throw new InvalidResponseError(
      `AxonFlow agent reply to ${what} (HTTP ${status}) has an unexpected shape at ${sanitizeAgentText(where, 64)}`,
      { status },
    );
  }

  #statusError(reply: AgentReply): AxonFlowError {
    const { status } = reply;
    const envelope = ErrorEnvelopeSchema.safeParse(reply.body);
    // The agent's own words stay out of messages (they reach logs and spans, and an agent may echo
    // the prompt back): only a debug diagnostic carries them, scrubbed and capped.
    if (envelope.success)
      this.#debug(`agent said (HTTP ${status}): ${scrub(envelope.data.error, 200)}`);
    if (status === 401 || status === 403) {
      return new AuthenticationError(`AxonFlow agent refused the credentials (HTTP ${status})`, {
        status,
      });
    }
    if (status === 429)
      return new UnavailableError('rate_limited', `AxonFlow agent rate limit (HTTP 429)`, {
        status,
      });
    if (status >= 500)
      return new UnavailableError('http_5xx', `AxonFlow agent error (HTTP ${status})`, {
        status,
      });
    if (status >= 300 && status < 400) {
      return new InvalidResponseError(
        `AxonFlow agent answered with a redirect (HTTP ${status}); set the endpoint to the final URL`,
        { status },
      );
    }
    return new RequestRejectedError(`AxonFlow agent rejected the request (HTTP ${status})`, {
      status,
    });
  }

  /**
   * Decides whether a failure may fail open, and returns the reason when it may: unavailability
   * in production mode, or (for a pre-check, with `onUncheckable: 'allow'`) a request the agent
   * refused to read. Rethrows otherwise, after one rate-limited stderr line for a failure that
   * blocks. Logs once per window, never per call.
   */
  #failOpenReason(err: unknown, preCheck: boolean): FailOpenReason {
    const production = this.#cfg.mode === 'production';
    let reason: FailOpenReason | undefined;
    if (production && errorCode(err) === ErrorCode.UNAVAILABLE) reason = unavailableReason(err);
    else if (production && errorCode(err) === ErrorCode.TIMEOUT) reason = 'timeout';
    else if (preCheck && this.#cfg.onUncheckable === 'allow' && isUncheckableInput(err))
      reason = 'uncheckable';
    if (reason === undefined) {
      this.#reportBlocked(err, preCheck);
      throw err;
    }
    const message = (err as Error).message;
    if (reason === 'uncheckable') {
      notice(
        'fail-open:uncheckable',
        `calls proceed NOT governed (fail-open, uncheckable): ${message}; AXONFLOW_ON_UNCHECKABLE=allow lets such calls through`,
      );
      return reason;
    }
    notice(
      `fail-open:${reason}`,
      `calls proceed NOT governed (fail-open, ${reason}): ${message}. Check that the agent at ${this.#cfg.endpoint.origin} is up (npx axonflow-otel doctor)`,
    );
    const now = Date.now();
    if (now - this.#lastWarnAt >= LOG_WINDOW_MS) {
      this.#lastWarnAt = now;
      diag.warn(`axonflow-otel: ${FAIL_OPEN_PREFIX}${message}`);
    }
    return reason;
  }

  /**
   * One stderr line per kind and minute (and a diag error) for a failure that blocks calls in
   * every mode: the agent answered, but not with a verdict we can act on.
   */
  #reportBlocked(err: unknown, preCheck: boolean): void {
    let kind: string;
    let fix: string;
    const code = errorCode(err);
    if (code === ErrorCode.AUTH) {
      kind = 'auth';
      fix =
        'until the credentials are fixed (AXONFLOW_CLIENT_ID, AXONFLOW_CLIENT_SECRET, AXONFLOW_LICENSE_KEY)';
    } else if (preCheck && isUncheckableInput(err)) {
      kind = 'uncheckable';
      fix =
        'when the agent refuses to read them; AXONFLOW_ON_UNCHECKABLE=allow lets such calls through unchecked';
    } else if (code === ErrorCode.INVALID_RESPONSE) {
      kind = 'invalid_response';
      fix = `while the agent's verdict cannot be read. Check that ${this.#cfg.endpoint.origin} is the AxonFlow agent (npx axonflow-otel doctor)`;
    } else if (code === ErrorCode.REQUEST_REJECTED) {
      kind = 'http_4xx';
      fix = `while the agent refuses them. Check that ${this.#cfg.endpoint.origin} is the AxonFlow agent (npx axonflow-otel doctor)`;
    } else {
      return; // sandbox-mode unavailability and our own errors: thrown as they are
    }
    const message = (err as Error).message;
    notice(`blocked:${kind}`, `${message}: calls are BLOCKED, not checked, ${fix}`);
    const now = Date.now();
    if (now - this.#lastBlockErrorAt >= LOG_WINDOW_MS) {
      this.#lastBlockErrorAt = now;
      diag.error(`axonflow-otel: ${message}; calls are blocked (not checked) until this is fixed`);
    }
  }

  /** Removes any configured secret an agent might have echoed back into an error message. */
  #scrubbed(err: unknown): unknown {
    if (!(err instanceof Error)) return err;
    const message = scrub(err.message, 2048);
    if (message !== err.message) err.message = message;
    return err;
  }

  /** A diagnostic at debug level, or info with `debug: true`. */
  #debug(message: string): void {
    if (this.#cfg.debug) diag.info(`axonflow-otel: ${message}`);
    else diag.debug(`axonflow-otel: ${message}`);
  }
}

function isMutation(requestType: string): boolean {
  return (
    requestType === 'execute-plan' ||
    requestType === 'generate-plan' ||
    requestType === 'multi-agent-plan' ||
    requestType === 'cancel-plan' ||
    requestType === 'update-plan'
  );
}

/** A 400, 413 or 422: the agent refused to read the request, so it could not be checked. */
function isUncheckableInput(err: unknown): boolean {
  if (errorCode(err) !== ErrorCode.REQUEST_REJECTED) return false;
  const status = errorStatus(err);
  return status !== undefined && UNCHECKABLE_STATUSES.has(status);
}

/** The `reason` of an `UnavailableError` (by its code), or undefined for any other failure. */
function unavailableReason(err: unknown): UnavailableError['reason'] | undefined {
  return errorCode(err) === ErrorCode.UNAVAILABLE ? (err as UnavailableError).reason : undefined;
}

/**
 * A reply cut off at the size cap (or unreadable) with a 5xx or 429 status is unavailability all
 * the same: the status said so before the body did.
 */
function asUnavailable(err: unknown): unknown {
  if (errorCode(err) !== ErrorCode.INVALID_RESPONSE) return err;
  const status = errorStatus(err);
  if (status === undefined) return err;
  if (status >= 500) {
    return new UnavailableError('http_5xx', `AxonFlow agent error (HTTP ${status})`, {
      status,
    });
  }
  if (status === 429) {
    return new UnavailableError('rate_limited', 'AxonFlow agent rate limit (HTTP 429)', {
      status: 429,
    });
  }
  return err;
}

/**
 * Estimated bytes of a cached result, for the cache's byte bound: its strings at two bytes a
 * character plus a fixed overhead. Pre-check strings are capped when read, so this stays small;
 * a proxy result counts its whole JSON (its `data` is the model's answer).
 */
function entrySize(value: PreCheckResult | ProxyLLMCallResult): number {
  if ('contextId' in value) {
    let chars =
      value.contextId.length + (value.blockReason?.length ?? 0) + (value.error?.length ?? 0);
    for (const p of value.policies) chars += p.length + 16;
    for (const f of value.malformedFields ?? []) chars += f.length + 16;
    return ENTRY_OVERHEAD_BYTES + 2 * chars;
  }
  try {
    return ENTRY_OVERHEAD_BYTES + 2 * (JSON.stringify(value)?.length ?? 0);
  } catch {
    return Number.MAX_SAFE_INTEGER; // never cached
  }
}

function mapPolicyInfo(info: PolicyEvaluationInfo | null | undefined): PolicyInfo | undefined {
  if (!info) return undefined;
  return {
    policiesEvaluated: info.policies_evaluated,
    staticChecks: info.static_checks,
    processingTime: info.processing_time,
    tenantId: info.tenant_id,
    codeArtifact: info.code_artifact,
  };
}

function mapClientResponse(wire: ClientResponseReading): ProxyLLMCallResult {
  const result: ProxyLLMCallResult = {
    success: wire.success,
    data: wire.data,
    result: wire.result ?? undefined,
    planId: wire.plan_id ?? undefined,
    requestId: wire.request_id ?? undefined,
    metadata: wire.metadata ?? undefined,
    error: wire.error ?? undefined,
    blocked: wire.blocked,
    blockReason: wire.block_reason ?? undefined,
    policyInfo: mapPolicyInfo(wire.policy_info),
    budgetInfo: wire.budget_info ?? undefined,
    failOpen: false,
    failOpenReason: undefined,
    cached: false,
  };
  if (wire.malformed !== undefined && wire.malformed.length > 0)
    result.malformedFields = Object.freeze([...wire.malformed]);
  return result;
}

function mapExecution(wire: z.infer<typeof PlanExecutionResponseSchema>): PlanExecution {
  return {
    planId: wire.plan_id,
    status: wire.status,
    workflowId: wire.workflow_id ?? undefined,
    result: wire.result ?? undefined,
    stepResults: wire.step_results,
    error: wire.error ?? undefined,
    duration: wire.duration,
    completedSteps: wire.completed_steps,
    totalSteps: wire.total_steps,
  };
}

/** Waits `ms`, or less when the deadline passes first. */
function sleep(ms: number, deadline: Deadline): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(done, ms);
    const listener: DeadlineListener = { onDeadline: done };
    function done() {
      clearTimeout(timer);
      deadline.unlisten(listener);
      resolve();
    }
    deadline.listen(listener);
  });
}
