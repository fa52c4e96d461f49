/**
 * The scrub part: the one pass every text we put on a span status, a log line or a notice goes
 * through. It removes what must never be recorded — bearer tokens, `sk-` / `sk-ant-` style API
 * keys, `Authorization` and key-like header or parameter values, and every secret the package
 * was configured with (client secret, license key, user token, the providers' API keys from the
 * environment) — and it removes control characters and caps the length, so that text from the
 * network cannot forge log lines or blow up an attribute.
 *
 * The registry of known secrets lives on a `Symbol.for` global so both builds of the package
 * (ES modules and CommonJS) scrub the same values.
 */

const REGISTRY = Symbol.for('axonflow-otel.scrub.secrets');
const REDACTED = '[REDACTED]';
/** Shorter values are not treated as secrets: replacing them would mangle ordinary text. */
const MIN_SECRET_LENGTH = 6;
/** Environment variables whose values are provider keys, scrubbed wherever they appear. */
const KEY_VARIABLES = [
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
  'AZURE_OPENAI_API_KEY',
  'GROQ_API_KEY',
  'AXONFLOW_CLIENT_SECRET',
  'AXONFLOW_LICENSE_KEY',
  'AXONFLOW_USER_TOKEN',
];

const g = globalThis as Record<symbol, Set<string> | undefined>;
g[REGISTRY] ??= new Set<string>();
const secrets: Set<string> = g[REGISTRY];

/** Adds values to scrub wherever they appear (ignored when empty or very short). */
export function registerSecrets(...values: (string | undefined)[]): void {
  for (const value of values) {
    if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
  }
}

let envRead = false;

const PATTERNS: [RegExp, string][] = [
  // `Bearer <token>` and `Basic <credentials>`, in headers or prose.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, `$1 ${REDACTED}`],
  // API keys shaped like OpenAI's and Anthropic's (`sk-…`, `sk-proj-…`, `sk-ant-…`).
  [/\bsk-[A-Za-z0-9_-]{6,}/g, `sk-${REDACTED}`],
  // `authorization: …`, `x-api-key=…`, `"license_key": "…"` and their kin.
  [
    /\b(authorization|proxy-authorization|x-api-key|api[-_]?key|x-license-key|license[-_]?key|client[-_]?secret|access[-_]?token|password)(["']?\s*[:=]\s*["']?)(?:(?:Bearer|Basic)\s+)?[^\s"',;&}]+/gi,
    `$1$2${REDACTED}`,
  ],
];

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

/** `text` without secrets or control characters, at most `max` characters long. */
export function scrub(text: unknown, max = 512): string {
  if (!envRead) {
    envRead = true;
    for (const name of KEY_VARIABLES) registerSecrets(process.env[name]?.trim());
  }
  let out = typeof text === 'string' ? text : String(text ?? '');
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  out = out.replace(CONTROL, ' ');
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
