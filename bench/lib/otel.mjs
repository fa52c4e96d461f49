// The OpenTelemetry set-up every scenario shares, as an app would have it: an AsyncLocalStorage
// context manager and one TracerProvider with a BatchSpanProcessor in front of a no-op exporter.
// The exporter only counts spans; `capture()` keeps the spans of a short verification run so a
// suite can check which instrumentation produced them.
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export function setupOtel() {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  let exported = 0;
  let captured;
  const exporter = {
    export(spans, done) {
      exported += spans.length;
      if (captured) captured.push(...spans);
      done({ code: 0 });
    },
    shutdown: () => Promise.resolve(),
    forceFlush: () => Promise.resolve(),
  };
  const provider = new TracerProvider({
    spanProcessors: [new BatchSpanProcessor({ exporter })],
  });
  trace.setGlobalTracerProvider(provider);
  return {
    provider,
    tracer: provider.getTracer('bench-floor'),
    flush: () => provider.forceFlush(),
    get exported() {
      return exported;
    },
    /** Runs `fn` and returns the spans it produced (flushed): name, scope name, attributes. */
    async capture(fn) {
      await provider.forceFlush();
      captured = [];
      try {
        await fn();
        await provider.forceFlush();
        return captured.map(s => ({
          name: s.name,
          scope: (s.instrumentationScope ?? s.instrumentationLibrary)?.name,
          attributes: s.attributes,
        }));
      } finally {
        captured = undefined;
      }
    },
  };
}
