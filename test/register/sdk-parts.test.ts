/**
 * What the register entry registers with the OpenTelemetry API, read back by an app in a child
 * process: the tracer provider it builds from the trace SDK's parts (without loading
 * `@opentelemetry/sdk-node`), with the `OTEL_*` semantics NodeSDK has, and NodeSDK itself when
 * metrics are asked for.
 */
import { describe, expect, it } from 'vitest';
import { BUILT } from '../faults/harness.js';
import { runNode } from '../helpers/child.js';

const APP = 'test/register/fixtures/sdk-parts.cjs';
const BASE = {
  AXONFLOW_AGENT_URL: 'http://127.0.0.1:9',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
  OTEL_BSP_SCHEDULE_DELAY: '600000',
  AXONFLOW_EXIT_FLUSH_TIMEOUT_MS: '100',
};

interface Registered {
  provider: string;
  sampler: string;
  attributeCountLimit: number;
  headers: string[];
  contextManager: string;
  resource: string[];
  serviceName: string;
  meterProvider: string;
  sdkNodeLoaded: boolean;
}

async function registered(flag: string, env: Record<string, string> = {}) {
  const run = await runNode([flag, 'axonflow-otel/register', APP], { ...BASE, ...env });
  expect(run.code).toBe(0);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  return { out: JSON.parse(line) as Registered, stderr: run.stderr };
}

describe.skipIf(!BUILT)('the SDK the register entry starts', () => {
  it.each(['--require', '--import'])(
    '%s: W3C trace context and baggage, AsyncLocalStorage, parent-based sampling, the resource without command args, no sdk-node',
    async flag => {
      const { out } = await registered(flag, { OTEL_SERVICE_NAME: 'parts' });
      expect(out.provider).toMatch(/^TracerProvider/);
      expect(out.sampler).toMatch(/^ParentBased\{root=AlwaysOnSampler/);
      expect(out.attributeCountLimit).toBe(128);
      expect(out.headers).toEqual(['baggage', 'traceparent']);
      expect(out.contextManager).toBe('AsyncLocalStorageContextManager');
      expect(out.serviceName).toBe('parts');
      expect(out.resource).toEqual(
        expect.arrayContaining(['host.name', 'os.type', 'process.pid', 'telemetry.sdk.name']),
      );
      expect(out.resource).not.toContain('process.command_args');
      expect(out.meterProvider).toBe('NoopMeterProvider');
      // require.cache shows CommonJS loads only; the ES module build imports nothing of sdk-node either.
      if (flag === '--require') expect(out.sdkNodeLoaded).toBe(false);
    },
  );

  it('reads OTEL_PROPAGATORS (B3 included), OTEL_TRACES_SAMPLER and span limits as NodeSDK does; OTEL_LOG_LEVEL shows the warning about an unknown propagator', async () => {
    const { out, stderr } = await registered('--require', {
      OTEL_PROPAGATORS: 'b3multi,tracecontext,nope',
      OTEL_LOG_LEVEL: 'warn',
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_ATTRIBUTE_COUNT_LIMIT: '7',
    });
    expect(out.headers).toEqual(['traceparent', 'x-b3-sampled', 'x-b3-spanid', 'x-b3-traceid']);
    expect(out.sampler).toBe('TraceIdRatioBased{0.25}');
    expect(out.attributeCountLimit).toBe(7);
    expect(stderr).toContain(
      'Propagator "nope" requested through environment variable is unavailable',
    );
    const none = await registered('--import', { OTEL_PROPAGATORS: 'none' });
    expect(none.out.headers).toEqual([]);
  });

  it.each(['--require', '--import'])(
    '%s: metrics exporters asked for start NodeSDK, with its meter provider',
    async flag => {
      const { out } = await registered(flag, {
        OTEL_METRICS_EXPORTER: 'console',
        OTEL_METRIC_EXPORT_INTERVAL: '600000',
      });
      expect(out.meterProvider).toMatch(/^MeterProvider/);
      expect(out.provider).toMatch(/^TracerProvider/);
      expect(out.headers).toEqual(['baggage', 'traceparent']);
    },
  );
});
