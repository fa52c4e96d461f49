/**
 * Counts what a span exporter delivered, so that at exit we can say how many spans could not be
 * delivered and where they were going, instead of waiting in silence for a Collector that is not
 * there. Wraps the exporter; changes nothing it sends.
 */
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { maskUrl } from '../settings/mask.js';

/** ExportResultCode.SUCCESS, without importing the enum's runtime module for one constant. */
const SUCCESS = 0;

export class DeliveryCountingExporter implements SpanExporter {
  readonly #inner: SpanExporter;
  /** Where the spans go, masked for printing. */
  readonly target: string;
  delivered = 0;
  failed = 0;
  inFlight = 0;
  /** True after a failed export, until one succeeds: the endpoint is not answering. */
  unreachable = false;

  constructor(inner: SpanExporter, target: string) {
    this.#inner = inner;
    this.target = maskUrl(target);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const n = spans.length;
    this.inFlight += n;
    let settled = false;
    this.#inner.export(spans, result => {
      if (!settled) {
        settled = true;
        this.inFlight -= n;
        if (result.code === SUCCESS) {
          this.delivered += n;
          this.unreachable = false;
        } else {
          this.failed += n;
          this.unreachable = true;
        }
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}
