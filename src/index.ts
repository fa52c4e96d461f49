/**
 * axonflow-otel: OpenTelemetry instrumentation with AxonFlow AI governance for `openai` and
 * `@anthropic-ai/sdk`. This is the package's public surface.
 */
export * from './client/index.js';
export * from './instrumentation/index.js';
export * from './processor/index.js';
