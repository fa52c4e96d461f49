/**
 * The instrumentation part: patches the LLM SDKs, runs the governed call lifecycle and emits the
 * GenAI spans and metrics. Public surface: the instrumentation class, its config, the per-call
 * context helper, and the span and attribute names users may want to query on.
 */
export { type AxonFlowCallContext, withAxonFlowContext } from './context.js';
export { AxonFlowInstrumentation, SUPPORTED_VERSIONS } from './instrumentation.js';
export * as semconv from './semconv.js';
export type { AxonFlowInstrumentationConfig, Provider } from './types.js';
