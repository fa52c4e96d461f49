/**
 * What the GenAI-conventions tests share: both lines of each SDK (the current major and the one
 * before it, installed under aliases), a metric reader to read the instrumentation's histograms
 * from, and span helpers for the usage rule.
 */
import * as anthropicModule from '@anthropic-ai/sdk';
import type { Attributes } from '@opentelemetry/api';
import {
  type Histogram,
  type HistogramMetricData,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import * as anthropicV0 from 'anthropic-sdk-v0';
import * as openaiModule from 'openai';
import * as openaiV6 from 'openai-v6';
import type { AxonFlowInstrumentation } from '../../src/index.js';

export interface SdkLine {
  name: string;
  openai: typeof openaiModule | typeof openaiV6;
  anthropic: typeof anthropicModule | typeof anthropicV0;
}

export const SDK_LINES: SdkLine[] = [
  { name: 'openai 7 and @anthropic-ai/sdk 1.x', openai: openaiModule, anthropic: anthropicModule },
  {
    name: 'openai 6 (openai-v6) and @anthropic-ai/sdk 0.x (anthropic-sdk-v0)',
    openai: openaiV6,
    anthropic: anthropicV0,
  },
];

/** A metric reader that exports nothing: the test collects when it wants to read. */
class ManualReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

export interface HistogramPoint {
  attributes: Attributes;
  count: number;
  sum: number;
}

export interface Metrics {
  /** The data points of one of the instrumentation's histograms, by metric name. */
  points(name: string): Promise<HistogramPoint[]>;
  close(): Promise<void>;
}

/** A fresh meter provider on the instrumentation: each test reads only its own calls. */
export function attachMetrics(instrumentation: AxonFlowInstrumentation): Metrics {
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  instrumentation.setMeterProvider(meterProvider);
  return {
    async points(name) {
      const { resourceMetrics } = await reader.collect();
      const out: HistogramPoint[] = [];
      for (const scope of resourceMetrics.scopeMetrics) {
        if (scope.scope.name !== 'axonflow-otel') continue;
        for (const metric of scope.metrics) {
          if (metric.descriptor.name !== name) continue;
          for (const point of (metric as HistogramMetricData).dataPoints) {
            const value = point.value as Histogram;
            out.push({ attributes: point.attributes, count: value.count, sum: value.sum ?? 0 });
          }
        }
      }
      return out;
    },
    close: () => meterProvider.shutdown(),
  };
}

/** `server.address` and `server.port` of a base URL, as the conventions spell them. */
export function serverOf(baseURL: string): Attributes {
  const url = new URL(baseURL);
  return {
    'server.address': url.hostname.replace(/^\[(.*)\]$/, '$1'),
    'server.port': Number(url.port),
  };
}

export function usageKeys(span: ReadableSpan): string[] {
  return Object.keys(span.attributes).filter(key => key.startsWith('gen_ai.usage.'));
}

/** The spans that carry token usage (`gen_ai.usage.input_tokens`). */
export function usageSpans(spans: ReadableSpan[]): ReadableSpan[] {
  return spans.filter(s => s.attributes['gen_ai.usage.input_tokens'] !== undefined);
}
