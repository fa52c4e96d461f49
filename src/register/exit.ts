/**
 * The register entry's part in the app's exit path. It follows the app, never leads it:
 *
 * - `beforeExit` (the loop ran dry): audit records, then spans, are flushed, bounded in time. The
 *   client stays open, so a call the app makes from its own `beforeExit` work is still checked.
 *   If the trace endpoint has not answered within the budget, the process ends with the app's
 *   exit code instead of waiting out the exporter's retries.
 * - SIGTERM / SIGINT: when the app listens for the signal itself, the app decides what happens;
 *   we only start a flush in the background and keep governing the calls its drain makes. When
 *   nothing else listens, we flush (bounded) and then die of the signal, as Node would have.
 * - `exit` (natural end, `process.exit()`, an uncaught exception): synchronous, so nothing more
 *   can be sent; what could not be delivered is counted on stderr with where it was going.
 */
import { diag, trace } from '@opentelemetry/api';
import type { AxonFlowClient } from '../client/client.js';
import type { AxonFlowInstrumentation } from '../instrumentation/instrumentation.js';
import { notice } from '../notices/index.js';
import type { AxonFlowAuditSpanProcessor } from '../processor/processor.js';
import type { DeliveryCountingExporter } from './delivery.js';
import type { RegisterHandle } from './start.js';
import type { StartedTelemetry } from './tracing.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/**
 * Longest wait for a final flush (audit records, then spans), unless `AXONFLOW_EXIT_FLUSH_TIMEOUT_MS`
 * says otherwise. A hung Collector or agent must not hold a process that is ending: after this,
 * we stop waiting and say what was not delivered.
 */
export const EXIT_FLUSH_BUDGET_MS = 3000;
/** When the trace endpoint has already failed, waiting for it again is pointless. */
const UNREACHABLE_BUDGET_MS = 500;

export interface ExitParts {
  instrumentation: AxonFlowInstrumentation;
  client: AxonFlowClient | undefined;
  auditProcessor: AxonFlowAuditSpanProcessor | undefined;
  /** The SDK that was started (its tracer provider, and NodeSDK's meter and logger providers). */
  sdk?: StartedTelemetry;
  delivery?: DeliveryCountingExporter[];
  /** The flush budget (`AXONFLOW_EXIT_FLUSH_TIMEOUT_MS`). @default EXIT_FLUSH_BUDGET_MS */
  budgetMs?: number;
}

/** Resolves when `work` settles or after `ms`, whichever is first; the timer never holds the loop. */
function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise(resolve => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void work
      .catch(err => diag.error('axonflow-otel: flush failed', err))
      .finally(() => {
        clearTimeout(timer);
        resolve();
      });
  });
}

export function installExitPath(parts: ExitParts): RegisterHandle {
  const { auditProcessor, sdk, client, delivery = [], budgetMs = EXIT_FLUSH_BUDGET_MS } = parts;

  const flushSpans = async () => {
    const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
    const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
    await delegate.forceFlush?.();
  };
  const budget = () =>
    delivery.some(d => d.unreachable) ? Math.min(UNREACHABLE_BUDGET_MS, budgetMs) : budgetMs;

  let flushing: Promise<void> | undefined;
  /** Audit first: its flush creates `axonflow.audit` spans, which the span flush then carries. */
  const flush = () => {
    flushing ??= bounded(
      (async () => {
        await auditProcessor?.forceFlush();
        if (sdk) await flushSpans();
      })(),
      budget(),
    ).finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      await flush();
      await bounded(
        (async () => {
          await auditProcessor?.shutdown();
          await sdk?.shutdown();
          await client?.close();
        })(),
        budget(),
      );
    })();
    return stopping;
  };

  process.on('beforeExit', () => {
    if (stopping) return;
    const stats = auditProcessor?.stats();
    const auditPending = stats ? stats.queued + stats.inFlight > 0 : false;
    // Spans may wait in the batch processor; one flush per dry loop is enough, and a flush with
    // nothing to send schedules nothing, so this does not keep the process alive.
    if (!auditPending && !sdk) return;
    void flush().then(() => {
      // The budget ran out with spans still on their way to an endpoint that does not answer:
      // the exporter's own retries (up to OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default) would
      // hold the exit. The app had reached its end, so end it as it would have ended, with its
      // exit code; the `exit` listener below says what was not delivered.
      if (delivery.some(d => d.inFlight > 0)) process.exit();
    });
  });

  for (const signal of SIGNALS) {
    const onSignal = () => {
      // Listeners the app added for this signal (ours excluded): counted before any of them
      // runs, since we are first in line and a `once` listener removes itself when called.
      if (process.listenerCount(signal) > 1) {
        void flush();
        return;
      }
      void shutdown().finally(() => {
        process.removeListener(signal, onSignal);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    process.prependListener(signal, onSignal);
  }

  process.once('exit', () => {
    const stats = auditProcessor?.stats();
    const lostAudit = stats ? stats.queued + stats.inFlight : 0;
    if (lostAudit > 0)
      notice(
        'exit:audit',
        `${lostAudit} audit record${lostAudit === 1 ? '' : 's'} could not be delivered to the AxonFlow agent before the process exited`,
      );
    for (const d of delivery) {
      const lost = d.failed + d.inFlight;
      if (lost > 0)
        notice(
          `exit:spans:${d.target}`,
          `${lost} span${lost === 1 ? '' : 's'} could not be delivered to ${d.target}${d.unreachable ? ' (the endpoint did not answer)' : ''}`,
        );
    }
  });

  return {
    instrumentation: parts.instrumentation,
    client,
    auditProcessor,
    shutdown,
  };
}
