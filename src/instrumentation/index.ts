/**
 * The instrumentation part: the OpenTelemetry instrumentation class, which patches the LLM client
 * packages (one folder per client family: `stainless/`) and hands each model request to the
 * decision pipeline (`src/pipeline/`). Public surface: the instrumentation class and its config,
 * the supported SDK ranges, and the per-call context helper.
 *
 * Left out on purpose: the span, attribute and metric names (`src/semconv/`: the README's "The
 * span tree" documents them as strings, the stable contract, and most are the GenAI conventions'
 * own); the pipeline and the adapters; `getAxonFlowContext` (how the pipeline reads what
 * `withAxonFlowContext` set); `satisfies` (the version range check).
 */
export { type AxonFlowCallContext, withAxonFlowContext } from '../pipeline/call-context.js';
export {
  type AxonFlowEmbeddingModelMiddleware,
  type AxonFlowLanguageModelMiddleware,
  axonflowEmbeddingMiddleware,
  axonflowMiddleware,
} from './ai-sdk/middleware.js';
export { type GovernClientOptions, governClient } from './explicit.js';
export { AxonFlowInstrumentation, SUPPORTED_VERSIONS } from './instrumentation.js';
export type { AxonFlowInstrumentationConfig, Provider } from './types.js';
