/**
 * Starts governed tracing from the environment, the way `--require`/`--import
 * axonflow-otel/register` does: AxonFlowInstrumentation, the audit span processor and the
 * OpenTelemetry SDK with the exporters `OTEL_TRACES_EXPORTER` asks for, plus the final flush on the
 * app's own exit path (see `exit.ts`).
 *
 * Start-up cost is paid by every process the app starts, so only what the settings need is
 * loaded: the tracer provider is built from the trace SDK's parts (`tracing.ts`), the one OTLP
 * exporter the protocol names is required on demand, and `@opentelemetry/sdk-node` (every
 * exporter of every signal) only when metrics or logs exporters are asked for.
 *
 * It never stops the app: an invalid setting is named on stderr with its fix and its default is
 * used. `OTEL_SDK_DISABLED=true` starts no SDK (no spans, no export) but calls are still governed
 * and audited; only `AXONFLOW_GOVERNANCE=off` turns the checks off.
 */
import { isInternalThread } from 'node:worker_threads';
import { type TextMapPropagator, trace } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import {
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  type ResourceDetector,
} from '@opentelemetry/resources';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  type Sampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import { AxonFlowClient } from '../client/client.js';
import { AxonFlowInstrumentation, PROVIDER_MODULES } from '../instrumentation/instrumentation.js';
import type { Provider } from '../instrumentation/types.js';
import { notice } from '../notices/index.js';
import { AxonFlowAuditSpanProcessor } from '../processor/processor.js';
import { reportSettingProblems, tracesEndpoint } from '../settings/read.js';
import type { Settings } from '../settings/variables.js';
import { DeliveryCountingExporter } from './delivery.js';
import { installExitPath } from './exit.js';
import { preloadModules, registerEsmHook, requireModule } from './platform.js';
import { type OtlpProtocol, type RegisterSettings, readRegisterSettings } from './settings.js';
import {
  diagLoggerFromEnv,
  propagatorFromEnv,
  type StartedTelemetry,
  startTracing,
} from './tracing.js';

export interface RegisterHandle {
  instrumentation: AxonFlowInstrumentation;
  client: AxonFlowClient | undefined;
  auditProcessor: AxonFlowAuditSpanProcessor | undefined;
  /** Flushes and stops everything; idempotent. */
  shutdown(): Promise<void>;
}

const STARTED = Symbol.for('axonflow-otel.register.started');

type ExporterModule = { OTLPTraceExporter: new () => SpanExporter };

const NODE_SDK = '@opentelemetry/sdk-node';

function exporterModule(protocol: OtlpProtocol): string {
  return protocol === 'grpc'
    ? '@opentelemetry/exporter-trace-otlp-grpc'
    : protocol === 'http/json'
      ? '@opentelemetry/exporter-trace-otlp-http'
      : '@opentelemetry/exporter-trace-otlp-proto';
}

function otlpExporter(protocol: OtlpProtocol): SpanExporter {
  // Loaded on demand: only the protocol's own exporter (the gRPC one is heavy). Each exporter
  // reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT / HEADERS / TIMEOUT itself.
  return new (requireModule<ExporterModule>(exporterModule(protocol)).OTLPTraceExporter)();
}

/** Metrics or logs exporters asked for: those are NodeSDK's to build from the environment. */
function needsNodeSdk(settings: RegisterSettings): boolean {
  return settings.metricsRequested || settings.logsRequested;
}

/**
 * The ES module entry's first step: imports, as ES modules, the optional modules the start will
 * load for these settings (see `preloadModules`). Nothing when the start will not run them.
 */
export async function preloadFromEnv(
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  if (isInternalThread || (globalThis as Record<symbol, unknown>)[STARTED]) return;
  let names: string[];
  try {
    const settings = readRegisterSettings(env);
    if (settings.sdkDisabled || hasRegisteredProvider()) return;
    names = settings.tracesExporters
      .filter(kind => kind !== 'console')
      .map(() => exporterModule(settings.protocol));
    if (needsNodeSdk(settings)) names.push(NODE_SDK);
  } catch {
    return; // The start reads the settings again and reports.
  }
  await preloadModules([...new Set(names)]);
}

function batch(exporter: SpanExporter, s: Settings): SpanProcessor {
  // With explicit processors the NodeSDK no longer applies OTEL_BSP_*: honour them here.
  return new BatchSpanProcessor({
    exporter,
    scheduledDelayMillis: s.OTEL_BSP_SCHEDULE_DELAY,
    exportTimeoutMillis: s.OTEL_BSP_EXPORT_TIMEOUT,
    maxQueueSize: s.OTEL_BSP_MAX_QUEUE_SIZE,
    maxExportBatchSize: Math.min(s.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, s.OTEL_BSP_MAX_QUEUE_SIZE),
  });
}

/** The sampler the settings name (an invalid name was reported and replaced by the default). */
function sampler(s: Settings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(s.OTEL_TRACES_SAMPLER_ARG);
  switch (s.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * The process detector without `process.command_args`: command lines often carry secrets
 * (`--api-key=…`), and a resource is attached to every exported span.
 */
const processWithoutArgs: ResourceDetector = {
  detect(config) {
    const detected = processDetector.detect(config);
    const attributes = { ...detected.attributes };
    delete attributes['process.command_args'];
    delete attributes['process.command_line'];
    return { ...detected, attributes };
  },
};

function hasRegisteredProvider(): boolean {
  const provider = trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return delegate.constructor.name !== 'NoopTracerProvider';
}

/**
 * Reads the environment and starts governed tracing. Returns undefined when nothing is enabled
 * or when starting failed (reported on stderr; the app runs on).
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
  let client: AxonFlowClient | undefined;
  try {
    const settings = readRegisterSettings(env);
    reportSettingProblems(settings.problems);
    const providers = (
      ['openai', 'anthropic', 'groq', 'ai', 'google', 'bedrock', 'mistral', 'cohere'] as const
    ).filter(p => settings.components.has(p)) as Provider[];
    if (providers.length === 0) return undefined;
    client = settings.governance ? AxonFlowClient.fromEnv() : undefined;
    const instrumentation = new AxonFlowInstrumentation({
      enabledProviders: providers,
      governance: settings.governance,
      ...(client ? { client } : {}),
    });
    const joinExisting = !settings.sdkDisabled && hasRegisteredProvider();
    // Exporters (and whatever else the SDK start requires on demand) are loaded before the ESM
    // hook is registered: a synchronous require() made after module.register() can fail inside
    // Node's hook machinery ("resolveSync() is not implemented").
    const exporters = joinExisting || settings.sdkDisabled ? undefined : exportProcessors(settings);
    const withNodeSdk = needsNodeSdk(settings);
    const NodeSdk =
      exporters && withNodeSdk
        ? requireModule<typeof import('@opentelemetry/sdk-node')>(NODE_SDK).NodeSDK
        : undefined;
    let propagator: TextMapPropagator | null = null;
    if (exporters && !withNodeSdk) {
      // OTEL_LOG_LEVEL first, so that a warning about OTEL_PROPAGATORS is shown (NodeSDK sets
      // the logger in its constructor, after the exporters were made and before the rest).
      diagLoggerFromEnv();
      propagator = propagatorFromEnv();
    }
    registerEsmHook(providers.flatMap(p => PROVIDER_MODULES[p]));
    const auditProcessor =
      client && settings.components.has('axonflow-audit')
        ? new AxonFlowAuditSpanProcessor({ client })
        : undefined;

    if (joinExisting) {
      // Another SDK was started first: join it rather than fight over the global provider.
      registerInstrumentations({ instrumentations: [instrumentation] });
      notice(
        'register:join-existing',
        'an OpenTelemetry SDK is already registered: the instrumentation is attached to it. ' +
          'To send audit records, add `new AxonFlowAuditSpanProcessor()` to its spanProcessors (see README, "Programmatic setup").',
        { everyMs: Number.POSITIVE_INFINITY },
      );
      return installExitPath({
        instrumentation,
        client,
        auditProcessor: undefined,
        budgetMs: settings.all.AXONFLOW_EXIT_FLUSH_TIMEOUT_MS,
      });
    }

    if (settings.sdkDisabled || exporters === undefined) {
      // No tracer provider: spans are no-ops, and the audit processor receives every governed
      // call through the audit hand-off (as it does for calls the sampler drops).
      registerInstrumentations({ instrumentations: [instrumentation] });
      return installExitPath({
        instrumentation,
        client,
        auditProcessor,
        budgetMs: settings.all.AXONFLOW_EXIT_FLUSH_TIMEOUT_MS,
      });
    }

    const spanProcessors = [...exporters.processors, ...(auditProcessor ? [auditProcessor] : [])];
    const resourceDetectors = [envDetector, hostDetector, osDetector, processWithoutArgs];
    let sdk: StartedTelemetry;
    if (NodeSdk) {
      // Metrics or logs exporters asked for: NodeSDK builds those from the environment.
      const nodeSdk: NodeSDK = new NodeSdk({
        instrumentations: [instrumentation],
        spanProcessors,
        sampler: sampler(settings.all),
        resourceDetectors,
        ...(settings.metricsRequested ? {} : { metricReaders: [] }),
        ...(settings.logsRequested ? {} : { logRecordProcessors: [] }),
      });
      nodeSdk.start();
      sdk = nodeSdk;
    } else {
      sdk = startTracing({
        instrumentations: [instrumentation],
        spanProcessors,
        sampler: sampler(settings.all),
        resourceDetectors,
        propagator,
      });
    }
    return installExitPath({
      instrumentation,
      client,
      auditProcessor,
      sdk,
      delivery: exporters.delivery,
      budgetMs: settings.all.AXONFLOW_EXIT_FLUSH_TIMEOUT_MS,
    });
  } catch (err) {
    notice(
      'register:failed',
      `could not start (${(err as Error).message}). The app runs without axonflow-otel: calls are NOT governed.`,
      { everyMs: Number.POSITIVE_INFINITY },
    );
    client?.close().catch(() => undefined);
    return undefined;
  }
}

function exportProcessors(settings: RegisterSettings): {
  processors: SpanProcessor[];
  delivery: DeliveryCountingExporter[];
} {
  const processors: SpanProcessor[] = [];
  const delivery: DeliveryCountingExporter[] = [];
  for (const kind of settings.tracesExporters) {
    if (kind === 'console') {
      processors.push(new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() }));
      continue;
    }
    const counted = new DeliveryCountingExporter(
      otlpExporter(settings.protocol),
      tracesEndpoint(settings.all).href,
    );
    delivery.push(counted);
    processors.push(batch(counted, settings.all));
  }
  return { processors, delivery };
}
