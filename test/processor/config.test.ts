import { ProxyTracerProvider } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../../src/client/index.js';
import type { AuditClient } from '../../src/processor/index.js';
import {
  AxonFlowAuditSpanProcessor,
  type AxonFlowAuditSpanProcessorConfig,
} from '../../src/processor/index.js';
import { RingBuffer } from '../../src/processor/ring-buffer.js';
import { harness, until } from './harness.js';

function configError(config: unknown): ConfigError {
  try {
    new AxonFlowAuditSpanProcessor(config as AxonFlowAuditSpanProcessorConfig);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(ErrorCode.CONFIG);
    return err as ConfigError;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(config)}`);
}

describe('configuration', () => {
  it('works with no options at all', async () => {
    const p = new AxonFlowAuditSpanProcessor();
    expect(p.stats()).toEqual({
      queued: 0,
      concurrency: 8,
      inFlight: 0,
      exported: 0,
      dropped: 0,
      failed: 0,
      skipped: 0,
    });
    await p.shutdown();
  });

  it.each([
    ['maxQueueSize', 0],
    ['maxQueueSize', 1.5],
    ['maxQueueSize', Number.NaN],
    ['maxQueueSize', '2048'],
    ['maxExportBatchSize', 0],
    ['maxExportBatchSize', -1],
    ['concurrency', 0],
    ['concurrency', Number.POSITIVE_INFINITY],
    ['minConcurrency', 0],
    ['minConcurrency', 2.5],
    ['scheduledDelayMillis', -1],
    ['scheduledDelayMillis', 2 ** 31],
    ['exportTimeoutMillis', 0],
    ['exportTimeoutMillis', Number.NaN],
    ['client', null],
    ['client', 'http://localhost:8080'],
    ['tracerProvider', {}],
    ['meterProvider', { getTracer() {} }],
  ])('rejects %s = %s, naming the option', (setting, value) => {
    const err = configError({ [setting]: value });
    expect(err.setting).toBe(setting);
    expect(err.message).toContain(setting);
  });

  it('rejects a batch size larger than the queue', () => {
    const err = configError({ maxQueueSize: 100, maxExportBatchSize: 101 });
    expect(err.setting).toBe('maxExportBatchSize');
    expect(err.message).toContain('maxQueueSize (100)');
  });

  it('rejects a minConcurrency above concurrency', () => {
    const err = configError({ concurrency: 4, minConcurrency: 5 });
    expect(err.setting).toBe('minConcurrency');
    expect(err.message).toContain('concurrency (4)');
  });

  it('lowers the default minConcurrency to a small concurrency', async () => {
    const p = new AxonFlowAuditSpanProcessor({ concurrency: 3 });
    expect(p.stats().concurrency).toBe(3);
    await p.shutdown();
  });

  it('lowers the default batch size to a small queue, so a full queue starts sending', async () => {
    const sink: AuditClient = { auditLLMCall: async () => ({ success: true, auditId: 'a' }) };
    const h = harness({ client: sink, maxQueueSize: 3, scheduledDelayMillis: 600_000 });
    for (let i = 0; i < 3; i++) h.governedCall();
    await until(() => h.processor.stats().exported === 3, 5000, 'the send of a full queue');
    await h.processor.shutdown();
  });

  it('accepts a tracer provider that is only complete later', async () => {
    const p = new AxonFlowAuditSpanProcessor({ tracerProvider: new ProxyTracerProvider() });
    await p.shutdown();
  });

  it('rejects a config that is not an object', () => {
    expect(configError(42).setting).toBe('config');
  });
});

describe('RingBuffer', () => {
  it('is a bounded FIFO that wraps around', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.shift()).toBeUndefined();
    expect([ring.push(1), ring.push(2), ring.push(3), ring.push(4)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(ring.size).toBe(3);
    expect(ring.shift()).toBe(1);
    expect(ring.push(5)).toBe(true);
    expect(ring.peek()).toBe(2);
    const out: number[] = [];
    for (let v = ring.shift(); v !== undefined; v = ring.shift()) out.push(v);
    expect(out).toEqual([2, 3, 5]);
    expect(ring.size).toBe(0);
    for (let i = 0; i < 10; i++) {
      ring.push(i);
      expect(ring.shift()).toBe(i);
    }
  });
});
