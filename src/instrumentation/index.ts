/**
 * The instrumentation part: patches the LLM SDKs, runs the governed call lifecycle and emits the
 * GenAI spans and metrics. Public surface: the instrumentation class and its config, the
 * supported SDK ranges, and the per-call context helper.
 *
 * Left out on purpose: the span, attribute and metric names (`semconv.ts`: the README's "The span
 * tree" documents them as strings, the stable contract, and most are the GenAI conventions' own);
 * the governed call and its adapters (`governed-call.ts`, `openai.ts`, `anthropic.ts`,
 * `messages.ts`); `getAxonFlowContext` (how the instrumentation reads what `withAxonFlowContext`
 * set); `satisfies` (the version range check).
 */
export { type AxonFlowCallContext, withAxonFlowContext } from './context.js';
export { AxonFlowInstrumentation, SUPPORTED_VERSIONS } from './instrumentation.js';
export type { AxonFlowInstrumentationConfig, Provider } from './types.js';
