/**
 * Reads the environment into `Settings` with one rule for every variable: an invalid value is
 * named (with what is wrong and the fix), its default is used instead, and governance stays on.
 * Only a setting governance cannot run without (the agent URL) turns governance off, loudly.
 *
 * Empty values: an empty `AXONFLOW_*` variable is reported (it usually means a deployment template
 * lost its value) and its default used; an empty `OTEL_*` variable counts as unset, as the
 * OpenTelemetry specification says.
 */
import { notice } from '../notices/index.js';
import { maskUrl } from './mask.js';
import { type Settings, VARIABLES, type Variable, type VariableName } from './variables.js';

type Env = Record<string, string | undefined>;

export interface SettingProblem {
  name: VariableName;
  /** One line: the variable, what is wrong, the fix and what happens instead. Never a secret. */
  message: string;
  /** True when governance cannot run because of it. */
  critical: boolean;
}

export interface SettingsReading {
  settings: Settings;
  problems: SettingProblem[];
  /** Variables given a valid, non-empty value (the rest hold their default). */
  given: Set<VariableName>;
  /** False when a critical setting is invalid: calls cannot be checked. */
  governable: boolean;
}

function shown(variable: Variable<unknown>, raw: string): string {
  if (variable.secret) return `${variable.name} (value hidden)`;
  // A URL may carry credentials or a key in its query: print it masked.
  let value = raw;
  if (raw.includes('://')) {
    const masked = maskUrl(raw.trim());
    value = masked === '(not a URL)' ? raw.replace(/\/\/[^/@]*@/, '//***@') : masked;
  }
  return `${variable.name}=${JSON.stringify(value)}`;
}

export function readSettings(env: Env = process.env): SettingsReading {
  const settings = {} as Record<string, unknown>;
  const problems: SettingProblem[] = [];
  const given = new Set<VariableName>();
  let governable = true;
  for (const [key, variable] of Object.entries(VARIABLES) as [VariableName, Variable<unknown>][]) {
    settings[key] = variable.default;
    const raw = env[key];
    if (raw === undefined) continue;
    if (raw.trim() === '') {
      if (key.startsWith('AXONFLOW_'))
        problems.push({
          name: key,
          message: `${key} is set but empty: set a value or unset it; using the default ${variable.defaultText}`,
          critical: false,
        });
      continue;
    }
    const parsed = variable.parse(raw);
    if (parsed.ok) {
      settings[key] = parsed.value;
      given.add(key);
      if (parsed.warning)
        problems.push({
          name: key,
          message: `${shown(variable, raw)} ${parsed.warning.problem}: ${parsed.warning.fix}; ignoring those`,
          critical: false,
        });
      continue;
    }
    const critical = variable.critical === true;
    if (critical) governable = false;
    problems.push({
      name: key,
      message: `${shown(variable, raw)} ${parsed.problem}: ${parsed.fix}; ${
        critical
          ? 'calls are NOT governed until this is fixed'
          : `using the default ${variable.defaultText}`
      }`,
      critical,
    });
  }
  return { settings: settings as Settings, problems, given, governable };
}

/** Prints each problem once per process (see `notices/`): the variable, what is wrong, the fix. */
export function reportSettingProblems(problems: readonly SettingProblem[]): void {
  for (const problem of problems) {
    notice(`setting:${problem.name}`, problem.message, { everyMs: Number.POSITIVE_INFINITY });
  }
}

/** The protocol traces are exported with: the traces-specific variable wins. */
export function tracesProtocol(settings: Settings) {
  return settings.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? settings.OTEL_EXPORTER_OTLP_PROTOCOL;
}

/** Where the OTLP trace exporter sends, as it resolves it (full URL for HTTP, base for gRPC). */
export function tracesEndpoint(settings: Settings): URL {
  const protocol = tracesProtocol(settings);
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
    return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (protocol === 'grpc')
    return settings.OTEL_EXPORTER_OTLP_ENDPOINT ?? new URL('http://localhost:4317');
  const base =
    settings.OTEL_EXPORTER_OTLP_ENDPOINT?.href.replace(/\/+$/, '') ?? 'http://localhost:4318';
  return new URL(`${base}/v1/traces`);
}

/** Telemetry heartbeat allowed: neither `AXONFLOW_TELEMETRY` off nor any true `DO_NOT_TRACK`. */
export function telemetryAllowed(settings: Settings): boolean {
  return settings.AXONFLOW_TELEMETRY && !settings.DO_NOT_TRACK;
}
