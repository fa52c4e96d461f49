/**
 * Starts governed tracing from the environment, the way `--require`/`--import
 * axonflow-otel/register` does: the OpenTelemetry Node SDK with AxonFlowInstrumentation, the
 * audit span processor and the exporters `OTEL_TRACES_EXPORTER` asks for, plus shutdown (flush
 * of spans and audit records) on SIGTERM, SIGINT and `beforeExit`.
 *
 * It never stops the app: invalid configuration is reported at once on stderr, naming the
 * variable and the fix, and the app then runs uninstrumented.
 */
import { isInternalThread } from 'node:worker_threads';
import { diag, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { AxonFlowClient } from '../client/client.js';
import { AxonFlowInstrumentation } from '../instrumentation/instrumentation.js';
import type { Provider } from '../instrumentation/types.js';
import { AxonFlowAuditSpanProcessor } from '../processor/processor.js';
import { registerEsmHook, requireModule } from './platform.js';
import { type OtlpProtocol, type RegisterSettings, readSettings } from './settings.js';

export interface RegisterHandle {
  instrumentation: AxonFlowInstrumentation;
  client: AxonFlowClient | undefined;
  auditProcessor: AxonFlowAuditSpanProcessor | undefined;
  /** Flushes and stops everything; idempotent. */
  shutdown(): Promise<void>;
}

const STARTED = Symbol.for('axonflow-otel.register.started');
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/**
 * Longest wait for the final flush (audit records, then spans). A hung Collector or agent must
 * not hold a process that was told to stop: after this, we stop waiting.
 */
const SHUTDOWN_TIMEOUT_MS = 5000;

function bounded(work: Promise<void>, ms: number): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(() => {
      diag.warn(`axonflow-otel: shutdown did not finish within ${ms} ms; not waiting any longer`);
      resolve();
    }, ms);
    void work.finally(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function report(message: string): void {
  // Before any diag logger exists: stderr is the one place a user starting the app will look.
  process.stderr.write(`axonflow-otel: ${message}\n`);
}

type ExporterModule = { OTLPTraceExporter: new () => SpanExporter };

function otlpExporter(protocol: OtlpProtocol): SpanExporter {
  // Loaded on demand (the gRPC one is heavy). Each exporter reads
  // OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT / HEADERS / TIMEOUT itself.
  const name =
    protocol === 'grpc'
      ? '@opentelemetry/exporter-trace-otlp-grpc'
      : protocol === 'http/json'
        ? '@opentelemetry/exporter-trace-otlp-http'
        : '@opentelemetry/exporter-trace-otlp-proto';
  return new (requireModule<ExporterModule>(name).OTLPTraceExporter)();
}

function envInt(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  const value = raw ? Number(raw) : Number.NaN;
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

function batch(exporter: SpanExporter): SpanProcessor {
  // With explicit processors the NodeSDK no longer applies OTEL_BSP_*: honour them here.
  const options: ConstructorParameters<typeof BatchSpanProcessor>[0] = { exporter };
  const delay = envInt('OTEL_BSP_SCHEDULE_DELAY');
  const timeout = envInt('OTEL_BSP_EXPORT_TIMEOUT');
  const queue = envInt('OTEL_BSP_MAX_QUEUE_SIZE');
  const size = envInt('OTEL_BSP_MAX_EXPORT_BATCH_SIZE');
  if (delay !== undefined) options.scheduledDelayMillis = delay;
  if (timeout !== undefined) options.exportTimeoutMillis = timeout;
  if (queue !== undefined) options.maxQueueSize = queue;
  if (size !== undefined) options.maxExportBatchSize = size;
  return new BatchSpanProcessor(options);
}

function exportProcessors(settings: RegisterSettings): SpanProcessor[] {
  const processors: SpanProcessor[] = [];
  for (const kind of settings.tracesExporters) {
    if (kind === 'console')
      processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
    else processors.push(batch(otlpExporter(settings.protocol)));
  }
  return processors;
}

function hasRegisteredProvider(): boolean {
  const provider = trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return delegate.constructor.name !== 'NoopTracerProvider';
}

/**
 * Reads the environment and starts governed tracing. Returns undefined when disabled
 * (`OTEL_SDK_DISABLED=true`), when nothing is enabled, or when the configuration is invalid.
 */
export function startFromEnv(
  env: Record<string, string | undefined> = process.env,
): RegisterHandle | undefined {
  // Node also runs `--require` preloads in its internal module-hooks thread: nothing to do there.
  if (isInternalThread) return undefined;
  const g = globalThis as Record<symbol, { handle: RegisterHandle | undefined } | undefined>;
  // Both `--require` and `--import` may be given (and both builds loaded): start once.
  g[STARTED] ??= { handle: start(env) };
  return g[STARTED].handle;
}

function start(env: Record<string, string | undefined>): RegisterHandle | undefined {
  let settings: RegisterSettings;
  let client: AxonFlowClient | undefined;
  try {
    settings = readSettings(env);
    if (settings.disabled) return undefined;
    const providers = (['openai', 'anthropic'] as const).filter(p =>
      settings.components.has(p),
    ) as Provider[];
    if (providers.length === 0) return undefined;
    client = settings.governance ? AxonFlowClient.fromEnv() : undefined;
    const instrumentation = new AxonFlowInstrumentation({
      enabledProviders: providers,
      governance: settings.governance,
      ...(client ? { client } : {}),
    });
    const joinExisting = hasRegisteredProvider();
    // Exporters are loaded before the ESM hook is registered: a synchronous require() made
    // after module.register() can fail inside Node's hook machinery ("resolveSync() is not
    // implemented").
    const exporters = joinExisting ? [] : exportProcessors(settings);
    registerEsmHook(providers.map(p => (p === 'openai' ? 'openai' : '@anthropic-ai/sdk')));
    const auditProcessor =
      client && settings.components.has('axonflow-audit')
        ? new AxonFlowAuditSpanProcessor({ client })
        : undefined;

    if (joinExisting) {
      // Another SDK was started first: join it rather than fight over the global provider.
      registerInstrumentations({ instrumentations: [instrumentation] });
      report(
        'an OpenTelemetry SDK is already registered: the instrumentation is attached to it. ' +
          'To send audit records, add `new AxonFlowAuditSpanProcessor()` to its spanProcessors (see README, "Programmatic setup").',
      );
      return handle(instrumentation, client, undefined, async () => {
        await client?.close();
      });
    }

    const spanProcessors = [...exporters, ...(auditProcessor ? [auditProcessor] : [])];
    const sdk = new NodeSDK({
      instrumentations: [instrumentation],
      spanProcessors,
      ...(settings.metricsRequested ? {} : { metricReaders: [] }),
      ...(settings.logsRequested ? {} : { logRecordProcessors: [] }),
    });
    sdk.start();
    return handle(instrumentation, client, auditProcessor, async () => {
      // Audit first: its flush creates `axonflow.audit` spans, which the exporters' own
      // shutdown (run concurrently by the provider) would otherwise miss.
      await auditProcessor?.forceFlush();
      await sdk.shutdown();
      await client?.close();
    });
  } catch (err) {
    report(`${(err as Error).message}. The app runs without axonflow-otel.`);
    client?.close().catch(() => undefined);
    return undefined;
  }
}

function handle(
  instrumentation: AxonFlowInstrumentation,
  client: AxonFlowClient | undefined,
  auditProcessor: AxonFlowAuditSpanProcessor | undefined,
  stop: () => Promise<void>,
): RegisterHandle {
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= bounded(
      stop().catch(err => diag.error('axonflow-otel: shutdown failed', err)),
      SHUTDOWN_TIMEOUT_MS,
    );
    return stopping;
  };
  // `beforeExit` fires when the loop is empty; the flush keeps it alive until done, then the
  // process exits normally. `once`, so the flush itself does not re-trigger it.
  process.once('beforeExit', () => void shutdown());
  for (const signal of SHUTDOWN_SIGNALS) {
    const onSignal = () => {
      void shutdown().finally(() => {
        // If the app listens for the signal, it decides what happens; otherwise do what Node
        // would have done without our listener: die of the signal.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    process.once(signal, onSignal);
  }
  return { instrumentation, client, auditProcessor, shutdown };
}
