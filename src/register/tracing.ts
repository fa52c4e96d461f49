/**
 * The tracing half of what `NodeSDK.start()` sets up, built from the trace SDK's own parts: the
 * AsyncLocalStorage context manager, the propagator `OTEL_PROPAGATORS` names, the resource from
 * the detectors given, span limits from `OTEL_*_LIMIT`, and a `TracerProvider` registered as the
 * global one. `@opentelemetry/sdk-node` loads every exporter of every signal (traces, metrics,
 * logs, Zipkin, Prometheus) when it is required, most of a second of CPU at start-up; the
 * register entry uses it only when metrics or logs exporters are asked for.
 *
 * Each step reads the same variables, with the same helpers and defaults, as `NodeSDK` 0.301
 * does (`sdk.ts`, `utils.ts`), so an app sees the same tracer provider either way. What is left
 * out is the logger provider `NodeSDK` registers when it is given no log processors: it drops
 * every record, as the API's no-op one does.
 */
import {
  context,
  DiagConsoleLogger,
  diag,
  propagation,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  diagLogLevelFromString,
  getNumberFromEnv,
  getStringFromEnv,
  getStringListFromEnv,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { defaultResource, detectResources, type ResourceDetector } from '@opentelemetry/resources';
import {
  type Sampler,
  type SpanLimits,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { requireModule } from './platform.js';

/** What the exit path needs of whichever SDK was started. */
export interface StartedTelemetry {
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  instrumentations: Instrumentation[];
  /** From `propagatorFromEnv()`, called before the ES module hook is registered (it may load B3). */
  propagator: TextMapPropagator | null;
  spanProcessors: SpanProcessor[];
  sampler: Sampler;
  resourceDetectors: ResourceDetector[];
}

type B3Module = typeof import('@opentelemetry/propagator-b3');

/**
 * B3 is a dependency of `@opentelemetry/sdk-node`, not of this package: resolved from there, and
 * only when `OTEL_PROPAGATORS` names it.
 */
function b3(): B3Module {
  return requireModule<B3Module>('@opentelemetry/propagator-b3', '@opentelemetry/sdk-node');
}

/**
 * `OTEL_PROPAGATORS` as NodeSDK reads it: unset means W3C trace context + baggage; `none` (or
 * only unknown names) means no propagator is registered; unknown names are warned about.
 */
export function propagatorFromEnv(): TextMapPropagator | null {
  const names = getStringListFromEnv('OTEL_PROPAGATORS');
  if (names == null) {
    return new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    });
  }
  if (names.includes('none')) return null;
  const factories: Record<string, () => TextMapPropagator> = {
    tracecontext: () => new W3CTraceContextPropagator(),
    baggage: () => new W3CBaggagePropagator(),
    b3: () => new (b3().B3Propagator)(),
    b3multi: () => {
      const { B3Propagator, B3InjectEncoding } = b3();
      return new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
    },
  };
  const unique = [...new Set(names)];
  const valid: TextMapPropagator[] = [];
  for (const name of unique) {
    const factory = Object.hasOwn(factories, name) ? factories[name] : undefined;
    if (!factory) {
      diag.warn(`Propagator "${name}" requested through environment variable is unavailable.`);
      continue;
    }
    valid.push(factory());
  }
  if (valid.length === 0) return null;
  if (unique.length === 1) return valid[0]!;
  return new CompositePropagator({ propagators: valid });
}

/** Span limits from the environment; unset ones keep the TracerProvider's defaults. */
function spanLimitsFromEnv(): SpanLimits {
  return {
    attributeCountLimit:
      getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ??
      getNumberFromEnv('OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit:
      getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ??
      getNumberFromEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    eventCountLimit: getNumberFromEnv('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: getNumberFromEnv('OTEL_SPAN_LINK_COUNT_LIMIT'),
    attributePerEventCountLimit:
      getNumberFromEnv('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT') ??
      getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'),
    attributePerLinkCountLimit:
      getNumberFromEnv('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT') ??
      getNumberFromEnv('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'),
  };
}

/** `OTEL_LOG_LEVEL` turns on the console diagnostic logger, as NodeSDK's constructor does. */
export function diagLoggerFromEnv(): void {
  const logLevel = getStringFromEnv('OTEL_LOG_LEVEL');
  if (logLevel != null) {
    diag.setLogger(new DiagConsoleLogger(), { logLevel: diagLogLevelFromString(logLevel) });
  }
}

/**
 * Registers the instrumentations, the context manager, the propagator and (when there is a span
 * processor) the tracer provider, in NodeSDK's order. The caller has set the diagnostic logger
 * (`diagLoggerFromEnv`) and read the propagator.
 */
export function startTracing(options: TracingOptions): StartedTelemetry {
  // The resource starts from the SDK defaults before any detector runs, as in NodeSDK's constructor.
  let resource = defaultResource();
  registerInstrumentations({ instrumentations: options.instrumentations });

  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);

  if (options.propagator) propagation.setGlobalPropagator(options.propagator);

  resource = resource.merge(detectResources({ detectors: options.resourceDetectors }));

  // No span processor, no tracer provider: spans stay the API's no-ops (NodeSDK does the same).
  if (options.spanProcessors.length === 0) return { shutdown: () => Promise.resolve() };
  const provider = new TracerProvider({
    sampler: options.sampler,
    spanLimits: spanLimitsFromEnv(),
    resource,
    spanProcessors: options.spanProcessors,
  });
  trace.setGlobalTracerProvider(provider);
  return { shutdown: () => provider.shutdown() };
}
