// Next.js calls `register()` once per server instance, before any route runs. The register entry
// starts OpenTelemetry and AxonFlow governance from the `OTEL_*` and `AXONFLOW_*` variables; it
// runs on the Node.js runtime only (the Edge runtime has no module hooks and no `node:` APIs).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    await import('axonflow-otel/register');
  }
}
