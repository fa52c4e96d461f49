/**
 * Configuration of the AxonFlowClient: the public option types with their defaults, the parsing
 * of `AXONFLOW_*` environment variables, and the validation that makes bad configuration fail
 * fast at construction with a message naming the setting and the fix.
 */
import { readSettings, reportSettingProblems, telemetryAllowed } from '../settings/read.js';
import { MAX_TIMER_MS } from '../settings/variables.js';
import { ConfigError } from './errors/index.js';

export type Mode = 'production' | 'sandbox';

export interface CacheOptions {
  /** Cache pre-check decisions and chat-type proxy results. @default true (`AXONFLOW_CACHE`) */
  enabled?: boolean;
  /**
   * Upper bound on how long a decision is reused. The agent's `expires_at` shortens it further;
   * a decision that has already expired is never cached. @default 60000 (`AXONFLOW_CACHE_TTL_MS`)
   */
  ttlMs?: number;
  /**
   * Most entries kept; the least recently used is evicted first. Must be a finite positive number:
   * an unbounded decision cache is a memory leak under a workload of unique prompts.
   * @default 10000 (`AXONFLOW_CACHE_MAX`)
   */
  max?: number;
  /**
   * Most bytes the cached decisions may take, estimated per entry (its strings at two bytes a
   * character, plus a fixed overhead for the entry; a proxy result counts its whole JSON). The
   * least recently used entries are evicted to stay under it, and an entry larger than the whole
   * bound is not cached. Works with `max`: whichever bound is reached first evicts. Agent strings
   * are capped (256 characters, 64 policy names) before they are cached, so a pre-check decision
   * stays small whatever the agent sends. @default 16777216 (16 MiB, `AXONFLOW_CACHE_MAX_BYTES`)
   */
  maxBytes?: number;
}

/** What the gate does with a call it cannot check, or one the agent wants redacted. */
export type GatePolicy = 'block' | 'allow';

export interface RetryOptions {
  /** Retry transport errors, 5xx and 429 on non-mutating calls. @default true */
  enabled?: boolean;
  /**
   * Attempts in total, the first included. Retries always stay inside the call's deadline.
   * @default 2 (`AXONFLOW_RETRY_MAX_ATTEMPTS`)
   */
  maxAttempts?: number;
  /**
   * Ceiling of the delay before the first retry; doubled for each further one. Each delay is drawn
   * at random below its ceiling (full jitter, see `backoff.ts`). @default 50
   */
  initialDelayMs?: number;
  /** Cap on the ceiling of one retry delay. @default 1000 */
  maxDelayMs?: number;
}

export interface BreakerOptions {
  /** Stop calling a failing agent for a while. @default true */
  enabled?: boolean;
  /**
   * Consecutive unavailability failures (network, timeout, 5xx, 429, invalid reply) that open
   * the circuit. Auth errors never count. @default 5 (`AXONFLOW_BREAKER_THRESHOLD`)
   */
  failureThreshold?: number;
  /**
   * How long the circuit stays open before one half-open probe is let through.
   * @default 10000 (`AXONFLOW_BREAKER_RESET_MS`)
   */
  resetTimeoutMs?: number;
}

export interface AxonFlowClientConfig {
  /** Base URL of the AxonFlow agent. @default 'http://localhost:8080' (`AXONFLOW_AGENT_URL`) */
  endpoint?: string;
  /** Client id; `community` when absent. (`AXONFLOW_CLIENT_ID`) */
  clientId?: string;
  /** Client secret, sent only as HTTP Basic auth. (`AXONFLOW_CLIENT_SECRET`) */
  clientSecret?: string;
  /** License key, sent as `X-License-Key` only when set. (`AXONFLOW_LICENSE_KEY`) */
  licenseKey?: string;
  /** Default user token for calls that do not name one. (`AXONFLOW_USER_TOKEN`) */
  userToken?: string;
  /**
   * `production` fails open when the agent is unavailable (the LLM call goes ahead, flagged);
   * `sandbox` throws a typed error on every failure. A policy deny is a deny in both.
   * @default 'production' (`AXONFLOW_MODE`)
   */
  mode?: Mode;
  /**
   * Overall deadline, in ms, of a hot-path call (pre-check, audit, health): connect, headers and
   * the whole body, retries included. A slow-drip reply cannot outlive it.
   * @default 1000 (`AXONFLOW_TIMEOUT_MS`)
   */
  timeoutMs?: number;
  /**
   * Overall deadline, in ms, of the other calls (proxy, connectors, plans), which may run an LLM
   * on the agent's side. @default 30000 (`AXONFLOW_REQUEST_TIMEOUT_MS`)
   */
  requestTimeoutMs?: number;
  /**
   * Largest agent reply accepted, in bytes; larger replies are cut off and rejected. Streamed
   * replies (`proxyLLMCallStream`) are not bounded by it, only a non-stream answer to them.
   * @default 1048576
   */
  maxResponseBytes?: number;
  /**
   * Most keep-alive connections to the agent. Over HTTP/1.1 a connection carries one request at a
   * time, so this is how many calls can be at the agent at once: a burst of up to this many
   * concurrent pre-checks takes one agent round trip, and calls beyond it wait for a free
   * connection, a full round trip each time the pool turns over. That wait is ours, not the
   * agent's, so it does not count against `timeoutMs` (see `queueTimeoutMs`). Connections are
   * opened on demand and closed after 30 s idle, so a quiet app holds few.
   *
   * The default takes a burst of 500 distinct pre-checks in one round (about 6 KB of heap per
   * open connection). It is bounded because every request in flight is also ours to read in time:
   * the deadline runs from dispatch, and with 1024 in flight a busy process read hundreds of
   * replies too late (4 to 13 % of a 2,000-call burst timed out where 512 and 256 had none), and
   * because each connection is a socket and a concurrent request on the agent's side. The audit
   * processor shares the pool (see its `concurrency`). An https agent that speaks HTTP/2 is used
   * over it (undici negotiates it by ALPN), with many requests per connection. Streamed proxy
   * calls (`proxyLLMCallStream`) have a pool of their own, with the same bound, made on the first
   * stream. @default 512 (`AXONFLOW_CONNECTIONS`)
   */
  connections?: number;
  /**
   * Longest wait for a free connection before a call is sent. `timeoutMs` starts only when the
   * request is written to a connection, so a burst does not turn queueing into timeouts (and
   * fail-opens); this bounds the queueing itself. A call that waits longer fails open (production
   * mode) with reason `queue_timeout`, which never counts toward the circuit breaker.
   * @default 10000 (`AXONFLOW_QUEUE_TIMEOUT_MS`)
   */
  queueTimeoutMs?: number;
  cache?: CacheOptions;
  retry?: RetryOptions;
  breaker?: BreakerOptions;
  /**
   * Log our diagnostics at `info` instead of `debug` level, through OpenTelemetry's `diag` logger.
   * @default false (`AXONFLOW_DEBUG`)
   */
  debug?: boolean;
  /**
   * Allow credentials over plain `http://` to a host that is not loopback. Off by default, since
   * anyone on the path could read them. @default false (`AXONFLOW_ALLOW_INSECURE_HTTP`)
   */
  allowInsecureHttp?: boolean;
  /**
   * Send the weekly anonymous telemetry heartbeat. `AXONFLOW_TELEMETRY=off` or `DO_NOT_TRACK=1`
   * turn it off whatever this says. @default true
   */
  telemetry?: boolean;
  /**
   * Largest pre-check request body, in bytes of JSON (prompt, context and ids), that is sent to
   * the agent. A larger one is not sent: the call is uncheckable and `onUncheckable` decides
   * (blocked by default, `UncheckedRequestError` with reason `too_large`). Applies to
   * `preCheck` (the gate), not to proxy calls.
   * @default 1048576 (1 MiB, `AXONFLOW_MAX_CHECK_BYTES`)
   */
  maxCheckBytes?: number;
  /**
   * A call whose prompt cannot be checked: larger than `maxCheckBytes`, or refused unread by the
   * agent (HTTP 400, 413, 422). `block` keeps it from the model (`UncheckedRequestError`, code
   * `AXONFLOW_UNCHECKED`); `allow` lets it through unchecked, as a fail-open result with reason
   * `uncheckable` (never cached, reported on stderr once a minute). Applies in both modes. Other
   * failures are not affected: unavailability follows `mode`; 401, other 4xx and unreadable
   * verdicts always block. @default 'block' (`AXONFLOW_ON_UNCHECKABLE`)
   */
  onUncheckable?: GatePolicy;
  /**
   * An approval with `requires_redaction: true`. The pre-check reply carries no redacted text, so
   * the gate cannot apply the redaction: `block` keeps the call from the model
   * (`RedactionRequiredError`, code `AXONFLOW_REDACTION_REQUIRED`); `allow` sends the prompt
   * unredacted, marked `axonflow.redaction_required=true` on the spans. Read by the
   * instrumentation's gate; `preCheck` itself returns the approval as the agent gave it.
   * @default 'block' (`AXONFLOW_ON_REDACTION`)
   */
  onRedaction?: GatePolicy;
}

export interface ResolvedConfig {
  endpoint: URL;
  clientId: string;
  clientSecret: string | undefined;
  licenseKey: string | undefined;
  userToken: string | undefined;
  mode: Mode;
  timeoutMs: number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  connections: number;
  queueTimeoutMs: number;
  cache: Required<CacheOptions>;
  retry: Required<RetryOptions>;
  breaker: Required<BreakerOptions>;
  debug: boolean;
  telemetry: boolean;
  maxCheckBytes: number;
  onUncheckable: GatePolicy;
  onRedaction: GatePolicy;
}

export const DEFAULT_ENDPOINT = 'http://localhost:8080';

function positive(
  setting: string,
  value: number | undefined,
  fallback: number,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(
      setting,
      `${setting} must be a finite number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A deadline: Node's timers fire at once past 2^31-1 ms, which would make every call time out. */
function deadline(setting: string, value: number | undefined, fallback: number): number {
  return positive(setting, value, fallback, 1, MAX_TIMER_MS);
}

/** Header text: visible ASCII, so a stray line break cannot make every request fail. */
function headerValue(setting: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[\x20-\x7e]+$/.test(value)) {
    throw new ConfigError(
      setting,
      `${setting} holds characters an HTTP header cannot carry (control characters, line breaks or non-ASCII): use printable ASCII only`,
    );
  }
  return value;
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    /^127(?:\.\d{1,3}){3}$/.test(host)
  );
}

/** Validates and fills in defaults. Throws `ConfigError` naming the setting and the fix. */
export function resolveConfig(config: AxonFlowClientConfig): ResolvedConfig {
  const raw = config.endpoint ?? DEFAULT_ENDPOINT;
  let endpoint: URL;
  try {
    endpoint = new URL(raw);
  } catch {
    throw new ConfigError(
      'endpoint',
      'endpoint is not a valid URL: set AXONFLOW_AGENT_URL (or `endpoint`) to e.g. http://localhost:8080',
    );
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new ConfigError('endpoint', 'endpoint must use http:// or https://');
  }
  if (endpoint.username || endpoint.password) {
    throw new ConfigError(
      'endpoint',
      'endpoint must not carry credentials in the URL: use clientId/clientSecret (AXONFLOW_CLIENT_ID, AXONFLOW_CLIENT_SECRET)',
    );
  }
  const mode = config.mode ?? 'production';
  if (mode !== 'production' && mode !== 'sandbox') {
    throw new ConfigError(
      'mode',
      `mode must be 'production' or 'sandbox', got ${JSON.stringify(mode)}`,
    );
  }
  const secretSent = Boolean(config.clientSecret || config.licenseKey || config.userToken);
  if (
    secretSent &&
    endpoint.protocol === 'http:' &&
    !isLoopbackHost(endpoint.hostname) &&
    !config.allowInsecureHttp
  ) {
    throw new ConfigError(
      'endpoint',
      `refusing to send credentials over plain http:// to ${endpoint.host}: use https://, or set allowInsecureHttp: true (AXONFLOW_ALLOW_INSECURE_HTTP=1) if the network is trusted`,
    );
  }
  const max = config.cache?.max;
  if (max !== undefined && (!Number.isFinite(max) || max < 1)) {
    throw new ConfigError(
      'cache.max',
      `cache.max must be a finite number >= 1 (an unbounded decision cache grows without limit), got ${max}; to turn caching off set cache.enabled: false (AXONFLOW_CACHE=off)`,
    );
  }
  const retryAttempts = positive('retry.maxAttempts', config.retry?.maxAttempts, 2);
  const gatePolicy = (setting: string, value: GatePolicy | undefined): GatePolicy => {
    if (value === undefined) return 'block';
    if (value !== 'block' && value !== 'allow') {
      throw new ConfigError(
        setting,
        `${setting} must be 'block' or 'allow', got ${JSON.stringify(value)}`,
      );
    }
    return value;
  };
  return {
    endpoint,
    clientId: headerValue('clientId', config.clientId) ?? 'community',
    clientSecret: config.clientSecret || undefined,
    licenseKey: headerValue('licenseKey', config.licenseKey),
    userToken: config.userToken || undefined,
    mode,
    timeoutMs: deadline('timeoutMs', config.timeoutMs, 1000),
    requestTimeoutMs: deadline('requestTimeoutMs', config.requestTimeoutMs, 30_000),
    maxResponseBytes: positive('maxResponseBytes', config.maxResponseBytes, 1024 * 1024),
    connections: positive('connections', config.connections, 512),
    queueTimeoutMs: deadline('queueTimeoutMs', config.queueTimeoutMs, 10_000),
    cache: {
      enabled: config.cache?.enabled ?? true,
      ttlMs: deadline('cache.ttlMs', config.cache?.ttlMs, 60_000),
      max: max ?? 10_000,
      maxBytes: Math.floor(
        positive('cache.maxBytes', config.cache?.maxBytes, 16 * 1024 * 1024, 1024),
      ),
    },
    retry: {
      enabled: config.retry?.enabled ?? true,
      maxAttempts: Math.floor(retryAttempts),
      initialDelayMs: positive('retry.initialDelayMs', config.retry?.initialDelayMs, 50, 0),
      maxDelayMs: positive('retry.maxDelayMs', config.retry?.maxDelayMs, 1000, 0),
    },
    breaker: {
      enabled: config.breaker?.enabled ?? true,
      failureThreshold: positive('breaker.failureThreshold', config.breaker?.failureThreshold, 5),
      resetTimeoutMs: deadline('breaker.resetTimeoutMs', config.breaker?.resetTimeoutMs, 10_000),
    },
    debug: config.debug ?? false,
    telemetry: config.telemetry ?? true,
    maxCheckBytes: positive('maxCheckBytes', config.maxCheckBytes, 1024 * 1024, 64),
    onUncheckable: gatePolicy('onUncheckable', config.onUncheckable),
    onRedaction: gatePolicy('onRedaction', config.onRedaction),
  };
}

type Env = Record<string, string | undefined>;

/**
 * Reads `AXONFLOW_*` variables into a config through the settings layer: an invalid value is
 * reported on stderr and its default used. Throws `ConfigError` only when governance cannot run
 * (an agent URL that cannot be parsed). Values in `overrides` win over the environment.
 */
export function configFromEnv(
  env: Env,
  overrides: AxonFlowClientConfig = {},
): AxonFlowClientConfig {
  const { settings: s, problems, given, governable } = readSettings(env);
  reportSettingProblems(problems);
  if (!governable && overrides.endpoint === undefined) {
    const problem = problems.find(p => p.critical);
    throw new ConfigError(problem?.name ?? 'AXONFLOW_AGENT_URL', problem?.message ?? 'invalid');
  }
  const fromEnv: AxonFlowClientConfig = {
    endpoint: given.has('AXONFLOW_AGENT_URL')
      ? String(env.AXONFLOW_AGENT_URL).trim()
      : DEFAULT_ENDPOINT,
    clientId: s.AXONFLOW_CLIENT_ID,
    mode: s.AXONFLOW_MODE,
    timeoutMs: s.AXONFLOW_TIMEOUT_MS,
    requestTimeoutMs: s.AXONFLOW_REQUEST_TIMEOUT_MS,
    debug: s.AXONFLOW_DEBUG,
    allowInsecureHttp: s.AXONFLOW_ALLOW_INSECURE_HTTP,
    cache: {
      enabled: s.AXONFLOW_CACHE,
      ttlMs: s.AXONFLOW_CACHE_TTL_MS,
      max: s.AXONFLOW_CACHE_MAX,
      maxBytes: s.AXONFLOW_CACHE_MAX_BYTES,
    },
    retry: { maxAttempts: s.AXONFLOW_RETRY_MAX_ATTEMPTS },
    breaker: {
      failureThreshold: s.AXONFLOW_BREAKER_THRESHOLD,
      resetTimeoutMs: s.AXONFLOW_BREAKER_RESET_MS,
    },
    telemetry: telemetryAllowed(s),
    maxCheckBytes: s.AXONFLOW_MAX_CHECK_BYTES,
    connections: s.AXONFLOW_CONNECTIONS,
    queueTimeoutMs: s.AXONFLOW_QUEUE_TIMEOUT_MS,
    onUncheckable: s.AXONFLOW_ON_UNCHECKABLE,
    onRedaction: s.AXONFLOW_ON_REDACTION,
  };
  if (given.has('AXONFLOW_CLIENT_SECRET')) fromEnv.clientSecret = s.AXONFLOW_CLIENT_SECRET;
  if (given.has('AXONFLOW_LICENSE_KEY')) fromEnv.licenseKey = s.AXONFLOW_LICENSE_KEY;
  if (given.has('AXONFLOW_USER_TOKEN')) fromEnv.userToken = s.AXONFLOW_USER_TOKEN;
  return {
    ...fromEnv,
    ...overrides,
    cache: { ...fromEnv.cache, ...overrides.cache },
    retry: { ...fromEnv.retry, ...overrides.retry },
    breaker: { ...fromEnv.breaker, ...overrides.breaker },
  };
}
