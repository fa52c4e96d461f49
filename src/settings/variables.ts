/**
 * Every environment variable the package reads, in one table: its default, what it means and how
 * its value is read. The README's configuration table is checked against this table by a test,
 * so the two cannot drift. Reading (with the one rule for invalid values) is in `read.ts`.
 *
 * To add a setting: add a row here, read it from `Settings` where it is used, and add its line to
 * the README's table.
 */

/** The one boolean vocabulary, for every switch. */
export const TRUE_WORDS = ['true', '1', 'yes', 'on'] as const;
export const FALSE_WORDS = ['false', '0', 'no', 'off'] as const;

/** Node's timers hold at most a signed 32-bit millisecond count; larger values fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

export type Parsed<T> =
  | { ok: true; value: T; warning?: { problem: string; fix: string } }
  | { ok: false; problem: string; fix: string };

export interface Variable<T> {
  name: string;
  /** Value used when unset, empty or invalid. */
  default: T;
  /** The default as the README shows it. */
  defaultText: string;
  meaning: string;
  /** Secret: never printed, masked by `doctor`. */
  secret?: boolean;
  /** The package cannot govern without a valid value: an invalid one turns governance off, loudly. */
  critical?: boolean;
  /** Read by the OpenTelemetry SDK or exporter itself; we validate it and document it. */
  readByOtel?: boolean;
  parse(raw: string): Parsed<T>;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string, fix: string): Parsed<T> => ({ ok: false, problem, fix });

export function parseBoolean(raw: string): Parsed<boolean> {
  const word = raw.trim().toLowerCase();
  if ((TRUE_WORDS as readonly string[]).includes(word)) return ok(true);
  if ((FALSE_WORDS as readonly string[]).includes(word)) return ok(false);
  return bad('is not a boolean', `use one of ${[...TRUE_WORDS, ...FALSE_WORDS].join('/')}`);
}

function integer(min: number, max: number, unit = '') {
  return (raw: string): Parsed<number> => {
    const text = raw.trim();
    const value = /^[+]?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value))
      return bad('is not a whole number', `use a whole number from ${min} to ${max}${unit}`);
    if (value < min || value > max)
      return bad(`is out of range`, `use a whole number from ${min} to ${max}${unit}`);
    return ok(value);
  };
}

function ratio(raw: string): Parsed<number> {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1)
    return bad('is not a number from 0 to 1', 'use a ratio such as 0.25');
  return ok(value);
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string): Parsed<T> => {
    const word = raw.trim().toLowerCase() as T;
    return values.includes(word)
      ? ok(word)
      : bad('is not a known value', `use ${values.join(', ')}`);
  };
}

function listOf<T extends string>(values: readonly T[]) {
  return (raw: string): Parsed<T[]> => {
    const items = raw
      .split(',')
      .map(s => s.trim().toLowerCase())
      .filter(Boolean);
    const unknown = items.filter(i => !values.includes(i as T));
    if (unknown.length > 0)
      return bad(
        `names ${unknown.map(u => `"${u}"`).join(', ')}, which ${unknown.length > 1 ? 'are' : 'is'} not known`,
        `use ${values.join(', ')} (comma-separated)`,
      );
    return ok(items as T[]);
  };
}

/**
 * Instrumentation names: unknown ones are named with the known ones listed, and the known ones
 * still apply; a list with no known name at all falls back to the default.
 */
function componentList(raw: string): Parsed<ComponentName[]> {
  const items = raw
    .split(',')
    .map(s => s.trim().toLowerCase())
    .filter(Boolean);
  const known = items.filter((i): i is ComponentName =>
    COMPONENT_NAMES.includes(i as ComponentName),
  );
  const unknown = items.filter(i => !known.includes(i as ComponentName));
  if (unknown.length === 0) return ok(known);
  const problem = `names ${unknown.map(u => `"${u}"`).join(', ')}, not an instrumentation of axonflow-otel`;
  const fix = `the known names are ${COMPONENT_NAMES.join(', ')}`;
  return known.length === 0
    ? bad(problem, fix)
    : { ok: true, value: known, warning: { problem, fix } };
}

function httpUrl(raw: string): Parsed<URL> {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return bad('is not a URL', 'use an http:// or https:// URL such as http://localhost:8080');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return bad('is not an http:// or https:// URL', 'use an http:// or https:// URL');
  return ok(url);
}

/** Text that can travel in an HTTP header: visible ASCII and inner spaces, nothing else. */
function headerText(raw: string): Parsed<string> {
  const text = raw.trim();
  if (!/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(text))
    return bad(
      'holds characters an HTTP header cannot carry (control characters, line breaks or non-ASCII)',
      'use printable ASCII only',
    );
  return ok(text);
}

function anyText(raw: string): Parsed<string> {
  return ok(raw.trim());
}

export const MODES = ['production', 'sandbox'] as const;
export const TRACES_EXPORTERS = ['otlp', 'console', 'none'] as const;
export const SIGNAL_EXPORTERS = ['otlp', 'console', 'prometheus', 'none'] as const;
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
/** Names accepted by OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS. */
export const COMPONENT_NAMES = [
  'openai',
  'anthropic',
  'groq',
  'ai',
  'google',
  'bedrock',
  'mistral',
  'cohere',
  'axonflow-audit',
] as const;
/** Content-capture values other instrumentations use, read as booleans here. */
const CAPTURE_TRUE = ['span_only', 'span_and_event', 'event_only'];
const CAPTURE_FALSE = ['no_content'];

export type TracesExporter = (typeof TRACES_EXPORTERS)[number];
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
export type ComponentName = (typeof COMPONENT_NAMES)[number];
export type Sampler = (typeof SAMPLERS)[number];

const v = <T>(variable: Variable<T>): Variable<T> => variable;

export const VARIABLES = {
  AXONFLOW_AGENT_URL: v<URL>({
    name: 'AXONFLOW_AGENT_URL',
    default: new URL('http://localhost:8080'),
    defaultText: '`http://localhost:8080`',
    meaning: 'The AxonFlow agent',
    critical: true,
    parse: raw => {
      const url = httpUrl(raw);
      if (url.ok && (url.value.username || url.value.password))
        return bad(
          'carries credentials in the URL',
          'remove user:password@ and set AXONFLOW_CLIENT_ID / AXONFLOW_CLIENT_SECRET',
        );
      return url;
    },
  }),
  AXONFLOW_CLIENT_ID: v<string>({
    name: 'AXONFLOW_CLIENT_ID',
    default: 'community',
    defaultText: '`community`',
    meaning: 'Client id (Basic auth user, `X-Client-ID`)',
    parse: headerText,
  }),
  AXONFLOW_CLIENT_SECRET: v<string | undefined>({
    name: 'AXONFLOW_CLIENT_SECRET',
    default: undefined,
    defaultText: '—',
    meaning: 'Client secret (Basic auth password only)',
    secret: true,
    parse: anyText,
  }),
  AXONFLOW_LICENSE_KEY: v<string | undefined>({
    name: 'AXONFLOW_LICENSE_KEY',
    default: undefined,
    defaultText: '—',
    meaning: 'Sent as `X-License-Key`, only when set',
    secret: true,
    parse: headerText,
  }),
  AXONFLOW_USER_TOKEN: v<string | undefined>({
    name: 'AXONFLOW_USER_TOKEN',
    default: undefined,
    defaultText: '`anonymous`',
    meaning: 'User token when `withAxonFlowContext` gives none',
    secret: true,
    parse: anyText,
  }),
  AXONFLOW_MODE: v<(typeof MODES)[number]>({
    name: 'AXONFLOW_MODE',
    default: 'production',
    defaultText: '`production`',
    meaning: '`production` fails open when the agent is unavailable; `sandbox` throws',
    parse: oneOf(MODES),
  }),
  AXONFLOW_GOVERNANCE: v<boolean>({
    name: 'AXONFLOW_GOVERNANCE',
    default: true,
    defaultText: '`on`',
    meaning: '`off`: tracing only, no agent calls, no audit. The only switch that turns checks off',
    parse: parseBoolean,
  }),
  AXONFLOW_TIMEOUT_MS: v<number>({
    name: 'AXONFLOW_TIMEOUT_MS',
    default: 1000,
    defaultText: '`1000`',
    meaning:
      'Overall deadline of a pre-check (connect, headers, whole body, retries) and of an audit call',
    parse: integer(1, MAX_TIMER_MS, ' ms'),
  }),
  AXONFLOW_REQUEST_TIMEOUT_MS: v<number>({
    name: 'AXONFLOW_REQUEST_TIMEOUT_MS',
    default: 30_000,
    defaultText: '`30000`',
    meaning: 'Deadline of proxy, connector and plan calls',
    parse: integer(1, MAX_TIMER_MS, ' ms'),
  }),
  AXONFLOW_CONNECTIONS: v<number>({
    name: 'AXONFLOW_CONNECTIONS',
    default: 512,
    defaultText: '`512`',
    meaning: 'Most keep-alive connections to the agent; calls beyond wait for one',
    parse: integer(1, 65_536),
  }),
  AXONFLOW_QUEUE_TIMEOUT_MS: v<number>({
    name: 'AXONFLOW_QUEUE_TIMEOUT_MS',
    default: 10_000,
    defaultText: '`10000`',
    meaning:
      'Longest wait for a free connection; `AXONFLOW_TIMEOUT_MS` only starts when the request is sent',
    parse: integer(1, MAX_TIMER_MS, ' ms'),
  }),
  AXONFLOW_RETRY_MAX_ATTEMPTS: v<number>({
    name: 'AXONFLOW_RETRY_MAX_ATTEMPTS',
    default: 2,
    defaultText: '`2`',
    meaning: 'Attempts (first included) on network errors, 5xx and 429; never for mutations',
    parse: integer(1, 10),
  }),
  AXONFLOW_BREAKER_THRESHOLD: v<number>({
    name: 'AXONFLOW_BREAKER_THRESHOLD',
    default: 5,
    defaultText: '`5`',
    meaning: 'Consecutive unavailability failures that open the circuit',
    parse: integer(1, 1_000_000),
  }),
  AXONFLOW_BREAKER_RESET_MS: v<number>({
    name: 'AXONFLOW_BREAKER_RESET_MS',
    default: 10_000,
    defaultText: '`10000`',
    meaning: 'How long the circuit stays open before one probe',
    parse: integer(1, MAX_TIMER_MS, ' ms'),
  }),
  AXONFLOW_CACHE: v<boolean>({
    name: 'AXONFLOW_CACHE',
    default: true,
    defaultText: '`on`',
    meaning: 'Cache valid decisions (never fail-open results)',
    parse: parseBoolean,
  }),
  AXONFLOW_CACHE_TTL_MS: v<number>({
    name: 'AXONFLOW_CACHE_TTL_MS',
    default: 60_000,
    defaultText: '`60000`',
    meaning: "Longest reuse of a decision; the agent's `expires_at` shortens it",
    parse: integer(1, MAX_TIMER_MS, ' ms'),
  }),
  AXONFLOW_CACHE_MAX: v<number>({
    name: 'AXONFLOW_CACHE_MAX',
    default: 10_000,
    defaultText: '`10000`',
    meaning: 'Most cached decisions (LRU)',
    parse: integer(1, 10_000_000),
  }),
  AXONFLOW_CACHE_MAX_BYTES: v<number>({
    name: 'AXONFLOW_CACHE_MAX_BYTES',
    default: 16 * 1024 * 1024,
    defaultText: '`16777216`',
    meaning: 'Most bytes the cached decisions take (LRU, estimated per entry)',
    parse: integer(1024, 2 ** 40, ' bytes'),
  }),
  AXONFLOW_MAX_CHECK_BYTES: v<number>({
    name: 'AXONFLOW_MAX_CHECK_BYTES',
    default: 1024 * 1024,
    defaultText: '`1048576`',
    meaning:
      'Largest pre-check body (JSON bytes of prompt and context) sent to the agent; a larger prompt is uncheckable',
    parse: integer(64, 2 ** 31, ' bytes'),
  }),
  AXONFLOW_ON_UNCHECKABLE: v<'block' | 'allow'>({
    name: 'AXONFLOW_ON_UNCHECKABLE',
    default: 'block',
    defaultText: '`block`',
    meaning:
      '`block` keeps an uncheckable prompt (over the size limit, or refused by the agent with 400/413/422) from the model; `allow` lets it through, marked fail-open `uncheckable`',
    parse: oneOf(['block', 'allow'] as const),
  }),
  AXONFLOW_ON_REDACTION: v<'block' | 'allow'>({
    name: 'AXONFLOW_ON_REDACTION',
    default: 'block',
    defaultText: '`block`',
    meaning:
      '`block` keeps a call the agent approves only with redaction (`requires_redaction`) from the model; `allow` sends it unredacted, marked `axonflow.redaction_required`',
    parse: oneOf(['block', 'allow'] as const),
  }),
  AXONFLOW_RESPONSE_SUMMARY_CHARS: v<number>({
    name: 'AXONFLOW_RESPONSE_SUMMARY_CHARS',
    default: 100,
    defaultText: '`100`',
    meaning: 'Characters of the response sent as the audit summary',
    parse: integer(0, 65_536),
  }),
  AXONFLOW_EXIT_FLUSH_TIMEOUT_MS: v<number>({
    name: 'AXONFLOW_EXIT_FLUSH_TIMEOUT_MS',
    default: 3000,
    defaultText: '`3000`',
    meaning:
      'Longest wait, when the process ends, for audit records and then spans to be delivered; 500 ms once the trace endpoint has failed',
    parse: integer(100, 600_000),
  }),
  AXONFLOW_ALLOW_INSECURE_HTTP: v<boolean>({
    name: 'AXONFLOW_ALLOW_INSECURE_HTTP',
    default: false,
    defaultText: '`false`',
    meaning: 'Allow credentials over `http://` to a non-loopback agent',
    parse: parseBoolean,
  }),
  AXONFLOW_DEBUG: v<boolean>({
    name: 'AXONFLOW_DEBUG',
    default: false,
    defaultText: '`false`',
    meaning: 'Our diagnostics at info level instead of debug',
    parse: parseBoolean,
  }),
  AXONFLOW_NOTICES: v<boolean>({
    name: 'AXONFLOW_NOTICES',
    default: true,
    defaultText: '`on`',
    meaning:
      'One stderr line (rate-limited) whenever calls go unchecked or a setting is invalid; `off` silences it',
    parse: parseBoolean,
  }),
  AXONFLOW_TELEMETRY: v<boolean>({
    name: 'AXONFLOW_TELEMETRY',
    default: true,
    defaultText: '`on`',
    meaning: '`off` disables the weekly anonymous heartbeat',
    parse: parseBoolean,
  }),
  DO_NOT_TRACK: v<boolean>({
    name: 'DO_NOT_TRACK',
    default: false,
    defaultText: '`false`',
    meaning: 'Any true value disables the heartbeat too',
    parse: parseBoolean,
  }),
  AXONFLOW_CHECKPOINT_URL: v<URL | undefined>({
    name: 'AXONFLOW_CHECKPOINT_URL',
    default: undefined,
    defaultText: "AxonFlow's checkpoint",
    meaning: 'Where the heartbeat goes',
    parse: httpUrl,
  }),
  OTEL_SDK_DISABLED: v<boolean>({
    name: 'OTEL_SDK_DISABLED',
    default: false,
    defaultText: '`false`',
    meaning: '`true`: no spans and no export; calls are still governed',
    parse: parseBoolean,
  }),
  OTEL_TRACES_EXPORTER: v<TracesExporter[]>({
    name: 'OTEL_TRACES_EXPORTER',
    default: ['otlp'],
    defaultText: '`otlp`',
    meaning: '`otlp`, `console`, `none` (comma-separated)',
    parse: listOf(TRACES_EXPORTERS),
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: v<URL | undefined>({
    name: 'OTEL_EXPORTER_OTLP_ENDPOINT',
    default: undefined,
    defaultText: '`http://localhost:4318`',
    meaning: 'Collector base URL (gRPC: `http://localhost:4317`)',
    readByOtel: true,
    parse: httpUrl,
  }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: v<URL | undefined>({
    name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    default: undefined,
    defaultText: '—',
    meaning: 'Full traces URL; wins over the base URL',
    readByOtel: true,
    parse: httpUrl,
  }),
  OTEL_EXPORTER_OTLP_HEADERS: v<string | undefined>({
    name: 'OTEL_EXPORTER_OTLP_HEADERS',
    default: undefined,
    defaultText: '—',
    meaning: 'Exporter headers, e.g. an API key for a hosted backend',
    secret: true,
    readByOtel: true,
    parse: anyText,
  }),
  OTEL_SERVICE_NAME: v<string | undefined>({
    name: 'OTEL_SERVICE_NAME',
    default: undefined,
    defaultText: '`unknown_service:node`',
    meaning: 'Service name of the resource',
    readByOtel: true,
    parse: anyText,
  }),
  OTEL_RESOURCE_ATTRIBUTES: v<string | undefined>({
    name: 'OTEL_RESOURCE_ATTRIBUTES',
    default: undefined,
    defaultText: '—',
    meaning: 'More resource attributes (`key=value,…`)',
    readByOtel: true,
    parse: anyText,
  }),
  OTEL_EXPORTER_OTLP_PROTOCOL: v<OtlpProtocol>({
    name: 'OTEL_EXPORTER_OTLP_PROTOCOL',
    default: 'http/protobuf',
    defaultText: '`http/protobuf`',
    meaning: '`http/protobuf`, `http/json`, `grpc`',
    parse: oneOf(OTLP_PROTOCOLS),
  }),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: v<OtlpProtocol | undefined>({
    name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    default: undefined,
    defaultText: '—',
    meaning: 'Protocol for traces; wins over the general one',
    parse: oneOf(OTLP_PROTOCOLS),
  }),
  OTEL_TRACES_SAMPLER: v<Sampler>({
    name: 'OTEL_TRACES_SAMPLER',
    default: 'parentbased_always_on',
    defaultText: '`parentbased_always_on`',
    meaning: 'Sampling (governance and audit do not depend on it)',
    parse: oneOf(SAMPLERS),
  }),
  OTEL_TRACES_SAMPLER_ARG: v<number>({
    name: 'OTEL_TRACES_SAMPLER_ARG',
    default: 1,
    defaultText: '`1`',
    meaning: 'Ratio for the `traceidratio` samplers',
    parse: ratio,
  }),
  OTEL_BSP_SCHEDULE_DELAY: v<number>({
    name: 'OTEL_BSP_SCHEDULE_DELAY',
    default: 5000,
    defaultText: '`5000`',
    meaning: 'Batch span processor: delay between exports, ms',
    parse: integer(0, MAX_TIMER_MS, ' ms'),
  }),
  OTEL_BSP_EXPORT_TIMEOUT: v<number>({
    name: 'OTEL_BSP_EXPORT_TIMEOUT',
    default: 30_000,
    defaultText: '`30000`',
    meaning: 'Batch span processor: longest export, ms',
    parse: integer(1, MAX_TIMER_MS, ' ms'),
  }),
  OTEL_BSP_MAX_QUEUE_SIZE: v<number>({
    name: 'OTEL_BSP_MAX_QUEUE_SIZE',
    default: 2048,
    defaultText: '`2048`',
    meaning: 'Batch span processor: spans held at most',
    parse: integer(1, 10_000_000),
  }),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: v<number>({
    name: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
    default: 512,
    defaultText: '`512`',
    meaning: 'Batch span processor: spans per export',
    parse: integer(1, 10_000_000),
  }),
  OTEL_LOG_LEVEL: v<(typeof LOG_LEVELS)[number]>({
    name: 'OTEL_LOG_LEVEL',
    default: 'info',
    defaultText: '`info`',
    meaning: 'Detailed diagnostics of the SDK and of this package',
    readByOtel: true,
    parse: oneOf(LOG_LEVELS),
  }),
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: v<ComponentName[] | undefined>({
    name: 'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
    default: undefined,
    defaultText: 'all',
    meaning:
      'Only these: `openai`, `anthropic`, `groq`, `ai` (the Vercel AI SDK), `google`, `bedrock`, `mistral`, `cohere`, `axonflow-audit`',
    parse: componentList,
  }),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: v<ComponentName[]>({
    name: 'OTEL_NODE_DISABLED_INSTRUMENTATIONS',
    default: [],
    defaultText: 'none',
    meaning: 'All but these (same names)',
    parse: componentList,
  }),
  OTEL_METRICS_EXPORTER: v<string[]>({
    name: 'OTEL_METRICS_EXPORTER',
    default: ['none'],
    defaultText: 'none',
    meaning: 'Metrics exporters; only started when you set them',
    parse: listOf(SIGNAL_EXPORTERS),
  }),
  OTEL_LOGS_EXPORTER: v<string[]>({
    name: 'OTEL_LOGS_EXPORTER',
    default: ['none'],
    defaultText: 'none',
    meaning: 'Logs exporters; only started when you set them',
    parse: listOf(SIGNAL_EXPORTERS),
  }),
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: v<boolean>({
    name: 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
    default: false,
    defaultText: '`false`',
    meaning: 'Record prompts and completions on spans',
    parse: raw => {
      const word = raw.trim().toLowerCase();
      if (CAPTURE_TRUE.includes(word)) return ok(true);
      if (CAPTURE_FALSE.includes(word)) return ok(false);
      return parseBoolean(raw);
    },
  }),
  OTEL_SEMCONV_STABILITY_OPT_IN: v<boolean>({
    name: 'OTEL_SEMCONV_STABILITY_OPT_IN',
    default: false,
    defaultText: 'none',
    meaning:
      "With `gen_ai_latest_experimental`: the GenAI conventions' newer development names (`gen_ai.usage.cache_write.input_tokens`); other values belong to other instrumentations",
    // A shared list: values for other instrumentations (`http`, `database`, …) are not ours to judge.
    parse: raw =>
      ok(
        raw
          .split(',')
          .map(item => item.trim().toLowerCase())
          .includes('gen_ai_latest_experimental'),
      ),
  }),
} as const;

export type VariableName = keyof typeof VARIABLES;
export type Settings = {
  -readonly [K in VariableName]: (typeof VARIABLES)[K] extends Variable<infer T> ? T : never;
};
