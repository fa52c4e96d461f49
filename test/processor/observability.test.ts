import { context, diag } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  type DataPoint,
  MeterProvider,
  MetricReader,
  type SumMetricData,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  createAlwaysRecordSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachAuditData } from '../../src/audit/index.js';
import { AxonFlowClient } from '../../src/client/index.js';
import { type AuditClient, AxonFlowAuditSpanProcessor } from '../../src/processor/index.js';
import { json, type ScriptedAgent, startScriptedAgent } from '../helpers/scripted-agent.js';
import { AUDIT_PATH, auditData, captureDiag, type Harness, harness } from './harness.js';

/** A metric reader that exports nothing: the test collects when it wants to read. */
class ManualReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

async function counters(reader: ManualReader): Promise<Record<string, DataPoint<number>[]>> {
  const { resourceMetrics } = await reader.collect();
  const out: Record<string, DataPoint<number>[]> = {};
  for (const scope of resourceMetrics.scopeMetrics) {
    if (scope.scope.name !== 'axonflow-otel') continue;
    for (const metric of scope.metrics) {
      out[metric.descriptor.name] = (metric as SumMetricData).dataPoints;
    }
  }
  return out;
}

let agent: ScriptedAgent;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  captureDiag();
  agent = await startScriptedAgent((_req, res) =>
    json(res, 200, { success: true, audit_id: 'aud-1' }),
  );
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await agent.close();
  diag.disable();
});

function withHarness(h: Harness): Harness {
  cleanups.push(() => h.processor.shutdown());
  return h;
}

function newClient(): AxonFlowClient {
  const c = new AxonFlowClient({ endpoint: agent.url, telemetry: false });
  cleanups.push(() => c.close());
  return c;
}

describe('metrics', () => {
  it('counts exported, failed, skipped and dropped records on the configured meter provider', async () => {
    const reader = new ManualReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    cleanups.push(() => meterProvider.shutdown());
    let n = 0;
    agent.handle((_req, res) => {
      if (++n === 2) json(res, 400, { error: 'Invalid or expired context' });
      else json(res, 200, { success: true, audit_id: `aud-${n}` });
    });
    const h = withHarness(harness({ client: newClient(), meterProvider, concurrency: 1 }));
    h.governedCall();
    h.governedCall();
    h.governedCall();
    h.governedCall({ contextId: undefined, skipReason: 'fail_open:network' });
    await h.processor.forceFlush();
    await h.processor.shutdown();
    h.governedCall(); // after shutdown: dropped

    const points = await counters(reader);
    expect(points['axonflow.audit.exported']?.map(p => p.value)).toEqual([2]);
    expect(points['axonflow.audit.failed']).toEqual([
      expect.objectContaining({
        value: 1,
        attributes: { 'error.type': 'AXONFLOW_REQUEST_REJECTED' },
      }),
    ]);
    expect(points['axonflow.audit.skipped']).toEqual([
      expect.objectContaining({
        value: 1,
        attributes: { 'axonflow.audit.skip_reason': 'fail_open:network' },
      }),
    ]);
    expect(points['axonflow.audit.dropped']).toEqual([
      expect.objectContaining({
        value: 1,
        attributes: { 'axonflow.audit.drop_reason': 'shutdown' },
      }),
    ]);
    expect(h.processor.stats()).toMatchObject({ exported: 2, failed: 1, skipped: 1, dropped: 1 });
  });

  it('counts queue-full drops', async () => {
    const reader = new ManualReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    cleanups.push(() => meterProvider.shutdown());
    agent.handle(() => {});
    const h = withHarness(
      harness({
        client: newClient(),
        meterProvider,
        maxQueueSize: 2,
        scheduledDelayMillis: 600_000,
        exportTimeoutMillis: 200,
      }),
    );
    for (let i = 0; i < 7; i++) h.governedCall();
    const points = await counters(reader);
    expect(points['axonflow.audit.dropped']).toEqual([
      expect.objectContaining({
        value: 5,
        attributes: { 'axonflow.audit.drop_reason': 'queue_full' },
      }),
    ]);
  });
});

describe('tracing of the export itself', () => {
  let instrumentation: UndiciInstrumentation;

  beforeEach(() => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    cleanups.push(() => {
      context.disable();
    });
  });

  function instrumentUndici(h: Harness): void {
    instrumentation = new UndiciInstrumentation();
    instrumentation.setTracerProvider(h.provider);
    instrumentation.enable();
    cleanups.push(() => instrumentation.disable());
  }

  function httpSpans(h: Harness) {
    return h.exporter
      .getFinishedSpans()
      .filter(s => s.name !== 'axonflow.audit' && s.name !== 'chat gpt-4o');
  }

  it('sends with tracing suppressed, so an HTTP instrumentation records no span for it', async () => {
    // A client of our own that does not suppress anything: only the processor can.
    const plain: AuditClient = {
      async auditLLMCall(req) {
        const res = await request(`${agent.url}${AUDIT_PATH}`, {
          method: 'POST',
          body: JSON.stringify(req),
          headers: { 'content-type': 'application/json' },
        });
        const body = (await res.body.json()) as { audit_id: string };
        return { success: true, auditId: body.audit_id };
      },
    };
    const h = withHarness(harness({ client: plain }));
    instrumentUndici(h);

    // The instrumentation works: a request of the app's own gets a span.
    const res = await request(`${agent.url}/health`);
    await res.body.dump();
    expect(httpSpans(h)).toHaveLength(1);

    h.governedCall();
    await h.processor.forceFlush();
    expect(agent.count(AUDIT_PATH)).toBe(1);
    expect(h.auditSpans()).toHaveLength(1);
    expect(httpSpans(h)).toHaveLength(1);
  });

  it('records the audit span even when the call span ended in a suppressed context', async () => {
    const h = withHarness(harness({ client: newClient(), scheduledDelayMillis: 5 }));
    instrumentUndici(h);
    const span = h.provider.getTracer('app').startSpan('chat gpt-4o');
    attachAuditData(span, auditData());
    const suppressed = suppressTracing(context.active());
    context.with(suppressed, () => span.end());
    await context.with(suppressed, () => h.processor.forceFlush());
    expect(h.processor.stats().exported).toBe(1);
    const [audit] = h.auditSpans();
    expect(audit).toBeDefined();
    expect(audit!.attributes['axonflow.audit_id']).toBe('aud-1');
    expect(httpSpans(h)).toHaveLength(0);
  });

  it('does not audit its own audit spans', async () => {
    const h = withHarness(harness({ client: newClient() }));
    for (let i = 0; i < 3; i++) h.governedCall();
    await h.processor.forceFlush();
    await h.processor.forceFlush();
    expect(h.auditSpans()).toHaveLength(3);
    expect(agent.count(AUDIT_PATH)).toBe(3);
  });
});

describe('sampling', () => {
  it('audits a call whose span is recorded but not sampled', async () => {
    const processor = new AxonFlowAuditSpanProcessor({ client: newClient() });
    const provider = new TracerProvider({
      sampler: createAlwaysRecordSampler(new AlwaysOffSampler()),
      spanProcessors: [processor],
    });
    cleanups.push(() => provider.shutdown());
    const span = provider.getTracer('app').startSpan('chat gpt-4o');
    expect(span.isRecording()).toBe(true);
    attachAuditData(span, auditData());
    span.end();
    await processor.forceFlush();
    expect(agent.count(AUDIT_PATH)).toBe(1);
    expect(processor.stats().exported).toBe(1);
  });
});
