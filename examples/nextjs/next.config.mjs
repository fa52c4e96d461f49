// Keep the instrumentation and OpenTelemetry out of the server bundle: they load hooks and
// exporters at run time. Model clients may stay bundled: route code governs them with
// `governClient` (see app/api/ask/route.ts).
export default {
  serverExternalPackages: ['axonflow-otel', '@opentelemetry/sdk-node', 'import-in-the-middle'],
};
