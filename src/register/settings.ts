/**
 * The settings the register entry reads from the environment: which standard `OTEL_*`
 * variables it honours itself (the NodeSDK reads the rest: service name, resource attributes,
 * sampler, log level, OTLP endpoint and headers), and the `AXONFLOW_*` switches. Every invalid
 * value throws a ConfigError naming the variable and the accepted values.
 */
import { ConfigError } from '../client/errors.js';

type Env = Record<string, string | undefined>;

export type TracesExporter = 'otlp' | 'console' | 'none';
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** Names accepted by OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS. */
export const COMPONENT_NAMES = ['openai', 'anthropic', 'axonflow-audit'] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

export interface RegisterSettings {
  /** OTEL_SDK_DISABLED=true: patch nothing, start nothing. */
  disabled: boolean;
  tracesExporters: TracesExporter[];
  protocol: OtlpProtocol;
  components: Set<ComponentName>;
  governance: boolean;
  /** Exporters the user asked for; otherwise none (no surprise OTLP metrics or logs traffic). */
  metricsRequested: boolean;
  logsRequested: boolean;
}

function list(env: Env, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map(s => s.trim().toLowerCase())
    .filter(Boolean);
}

function bool(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return undefined;
  if (['true', '1', 'on', 'yes'].includes(raw)) return true;
  if (['false', '0', 'off', 'no'].includes(raw)) return false;
  throw new ConfigError(
    name,
    `${name}=${JSON.stringify(env[name])} is not a boolean: use true or false`,
  );
}

export function readSettings(env: Env): RegisterSettings {
  const disabled = bool(env, 'OTEL_SDK_DISABLED') ?? false;

  const exporters = list(env, 'OTEL_TRACES_EXPORTER') ?? ['otlp'];
  for (const e of exporters) {
    if (e !== 'otlp' && e !== 'console' && e !== 'none') {
      throw new ConfigError(
        'OTEL_TRACES_EXPORTER',
        `OTEL_TRACES_EXPORTER=${JSON.stringify(env.OTEL_TRACES_EXPORTER)} names an unknown exporter "${e}": use otlp, console or none (comma-separated)`,
      );
    }
  }
  const tracesExporters = exporters.includes('none') ? [] : (exporters as TracesExporter[]);

  const protocolVar = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = (env[protocolVar]?.trim().toLowerCase() || 'http/protobuf') as OtlpProtocol;
  if (!['http/protobuf', 'http/json', 'grpc'].includes(protocol)) {
    throw new ConfigError(
      protocolVar,
      `${protocolVar}=${JSON.stringify(env[protocolVar])} is not a known protocol: use http/protobuf, http/json or grpc`,
    );
  }

  const components = new Set<ComponentName>(COMPONENT_NAMES);
  const enabled = list(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  if (enabled) {
    // Other names belong to other instrumentation packages: not ours to reject.
    for (const name of COMPONENT_NAMES) if (!enabled.includes(name)) components.delete(name);
  }
  for (const name of list(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? []) {
    components.delete(name as ComponentName);
  }

  const governance = bool(env, 'AXONFLOW_GOVERNANCE') ?? true;
  const requested = (name: string) => {
    const values = list(env, name);
    return values !== undefined && !(values.length === 1 && values[0] === 'none');
  };
  return {
    disabled,
    tracesExporters,
    protocol,
    components,
    governance,
    metricsRequested: requested('OTEL_METRICS_EXPORTER'),
    logsRequested: requested('OTEL_LOGS_EXPORTER'),
  };
}
