/**
 * What the register entry makes of the settings (read by the settings layer, `../settings/`):
 * whether the OpenTelemetry SDK runs, which exporters, which instrumentations, and whether calls
 * are governed. `OTEL_SDK_DISABLED` switches tracing off, never governance: only
 * `AXONFLOW_GOVERNANCE=off` does that.
 */
import { readSettings, type SettingProblem, tracesProtocol } from '../settings/read.js';
import {
  COMPONENT_NAMES,
  type ComponentName,
  type OtlpProtocol,
  type Settings,
  type TracesExporter,
} from '../settings/variables.js';

export { COMPONENT_NAMES, type ComponentName, type OtlpProtocol, type TracesExporter };

type Env = Record<string, string | undefined>;

export interface RegisterSettings {
  /** OTEL_SDK_DISABLED=true: no tracer provider, no exporters; governance still runs. */
  sdkDisabled: boolean;
  tracesExporters: Exclude<TracesExporter, 'none'>[];
  protocol: OtlpProtocol;
  components: Set<ComponentName>;
  /** Calls are checked: AXONFLOW_GOVERNANCE is on and the agent URL is usable. */
  governance: boolean;
  /** Exporters the user asked for; otherwise none (no surprise OTLP metrics or logs traffic). */
  metricsRequested: boolean;
  logsRequested: boolean;
  /** The raw settings, for the parts that read more of them. */
  all: Settings;
  problems: SettingProblem[];
}

export function readRegisterSettings(env: Env): RegisterSettings {
  const { settings: s, problems, given, governable } = readSettings(env);
  const exporters = s.OTEL_TRACES_EXPORTER;
  const components = new Set<ComponentName>(
    s.OTEL_NODE_ENABLED_INSTRUMENTATIONS ?? COMPONENT_NAMES,
  );
  for (const name of s.OTEL_NODE_DISABLED_INSTRUMENTATIONS) components.delete(name);
  const requested = (values: string[]) => !(values.length === 1 && values[0] === 'none');
  return {
    sdkDisabled: s.OTEL_SDK_DISABLED,
    tracesExporters: exporters.includes('none')
      ? []
      : (exporters as Exclude<TracesExporter, 'none'>[]),
    protocol: tracesProtocol(s),
    components,
    governance: s.AXONFLOW_GOVERNANCE && governable,
    metricsRequested: given.has('OTEL_METRICS_EXPORTER') && requested(s.OTEL_METRICS_EXPORTER),
    logsRequested: given.has('OTEL_LOGS_EXPORTER') && requested(s.OTEL_LOGS_EXPORTER),
    all: s,
    problems,
  };
}
