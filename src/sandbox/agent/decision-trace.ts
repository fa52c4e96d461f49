/**
 * The sandbox agent's own trace of its decisions, as the AxonFlow platform (8.2+) traces its: one
 * `axonflow.decision` span per pre-check, a child of the W3C trace context (`traceparent`,
 * `tracestate`) the request carries, so the app's call, its pre-check and the agent's decision
 * form one trace. Spans are exported over OTLP/HTTP JSON to the URL given, with a tracer provider
 * of its own (never the app's global one). Without a URL, only the received trace context is
 * recorded (for tests and the demo).
 */
import type { IncomingHttpHeaders } from 'node:http';
// The app's global propagator and tracer provider are not used on purpose: the sandbox may run
// inside an app under test, and must neither read nor change its set-up.
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { PACKAGE_VERSION } from '../../client/version.js';

const propagator = new W3CTraceContextPropagator();
/** Received trace contexts kept for inspection; older ones are forgotten. */
const MAX_KEPT = 1000;

export interface DecisionTrace {
  /** `traceparent` headers received on pre-checks, oldest first (empty string when absent). */
  readonly received: string[];
  /** Records one decision, from `startedAt` (ms since epoch) to now. */
  record(
    headers: IncomingHttpHeaders,
    startedAt: number,
    attributes: Record<string, string | boolean | string[]>,
  ): void;
  shutdown(): Promise<void>;
}

export function decisionTrace(otlpTracesUrl: string | undefined): DecisionTrace {
  const provider =
    otlpTracesUrl === undefined
      ? undefined
      : new TracerProvider({
          resource: resourceFromAttributes({
            'service.name': 'axonflow-agent-sandbox',
            'service.version': PACKAGE_VERSION,
          }),
          spanProcessors: [
            new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: otlpTracesUrl }) }),
          ],
        });
  const tracer = provider?.getTracer('axonflow-sandbox-agent', PACKAGE_VERSION);
  const received: string[] = [];
  return {
    received,
    record(headers, startedAt, attributes) {
      const traceparent = headers.traceparent;
      received.push(typeof traceparent === 'string' ? traceparent : '');
      if (received.length > MAX_KEPT) received.shift();
      if (tracer === undefined) return;
      const parent = propagator.extract(ROOT_CONTEXT, headers, {
        get: (carrier, key) => carrier[key],
        keys: carrier => Object.keys(carrier),
      });
      const span = tracer.startSpan(
        'axonflow.decision',
        { kind: SpanKind.SERVER, startTime: startedAt, attributes },
        parent,
      );
      span.end();
    },
    async shutdown() {
      await provider?.shutdown();
    },
  };
}
