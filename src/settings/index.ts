/**
 * The settings part: the one place the package reads its environment (`AXONFLOW_*` and the
 * `OTEL_*` variables it interprets). The client, the instrumentation, the audit processor, the
 * register entry, the heartbeat and `doctor` all read through it.
 */
export {
  readSettings,
  reportSettingProblems,
  type SettingProblem,
  type SettingsReading,
  telemetryAllowed,
  tracesEndpoint,
  tracesProtocol,
} from './read.js';
export {
  COMPONENT_NAMES,
  type ComponentName,
  FALSE_WORDS,
  MAX_TIMER_MS,
  type OtlpProtocol,
  parseBoolean,
  type Settings,
  TRUE_WORDS,
  type TracesExporter,
  VARIABLES,
  type Variable,
  type VariableName,
} from './variables.js';
