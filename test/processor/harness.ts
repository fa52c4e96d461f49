/**
 * Test harness of the audit span processor: a real TracerProvider with the processor and an
 * in-memory exporter, "governed call" spans carrying audit data through the real hand-off, and a
 * diag logger that keeps what the library logs.
 */
import {
  type DiagLogger,
  DiagLogLevel,
  diag,
  ProxyTracerProvider,
  type Span,
  SpanKind,
} from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { type AuditData, attachAuditData } from '../../src/audit/index.js';
import {
  AxonFlowAuditSpanProcessor,
  type AxonFlowAuditSpanProcessorConfig,
} from '../../src/processor/index.js';

export const AUDIT_PATH = '/api/audit/llm-call';
export const SUMMARY = 'The capital of France is Paris. [summary-marker-7d1e]';

export interface Harness {
  processor: AxonFlowAuditSpanProcessor;
  provider: TracerProvider;
  exporter: InMemorySpanExporter;
  /** Starts and ends a `chat` span with audit data attached, like the instrumentation does. */
  governedCall(data?: Partial<AuditData>): Span;
  /** Exported spans named `axonflow.audit`. */
  auditSpans(): ReadableSpan[];
}

export function auditData(overrides: Partial<AuditData> = {}): AuditData {
  return {
    contextId: 'ctx-1',
    skipReason: undefined,
    provider: 'openai',
    model: 'gpt-4o',
    tokenUsage: { promptTokens: 12, completionTokens: 8 },
    latencyMs: 123.4,
    responseSummary: SUMMARY,
    metadata: { operation: 'chat' },
    ...overrides,
  };
}

export function harness(config: AxonFlowAuditSpanProcessorConfig = {}): Harness {
  // The processor is one of the provider's own processors: a proxy lets it name the provider
  // before the provider exists.
  const proxy = new ProxyTracerProvider();
  const processor = new AxonFlowAuditSpanProcessor({ tracerProvider: proxy, ...config });
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [processor, new SimpleSpanProcessor({ exporter })],
  });
  proxy.setDelegate(provider);
  const tracer = provider.getTracer('test-app');
  let n = 0;
  return {
    processor,
    provider,
    exporter,
    governedCall(data = {}) {
      n++;
      const span = tracer.startSpan(`chat ${data.model ?? 'gpt-4o'}`, {
        kind: SpanKind.CLIENT,
        attributes: { 'gen_ai.operation.name': 'chat' },
      });
      attachAuditData(span, auditData({ contextId: `ctx-${n}`, ...data }));
      span.end();
      return span;
    },
    auditSpans: () => exporter.getFinishedSpans().filter(s => s.name === 'axonflow.audit'),
  };
}

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug' | 'verbose';
  message: string;
}

/** Installs a diag logger that records every line; call `diag.disable()` afterwards. */
export function captureDiag(): LogLine[] {
  const lines: LogLine[] = [];
  const keep =
    (level: LogLine['level']) =>
    (message: string, ...args: unknown[]) =>
      lines.push({ level, message: [message, ...args.map(String)].join(' ') });
  const logger: DiagLogger = {
    error: keep('error'),
    warn: keep('warn'),
    info: keep('info'),
    debug: keep('debug'),
    verbose: keep('verbose'),
  };
  diag.disable();
  diag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
  return lines;
}

/** Resolves when `check` returns true, polling; rejects after `timeoutMs` (a deadline only). */
export async function until(
  check: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}
