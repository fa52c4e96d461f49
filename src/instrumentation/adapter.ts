/** What the governed call needs to know about one patched SDK method. */
import type { Attributes } from '@opentelemetry/api';
import type { CallInput, ResponseRecord } from './messages.js';
import type { Provider } from './types.js';

export interface CallAdapter {
  readonly provider: Provider;
  readonly operation: 'chat' | 'embeddings';
  /**
   * The request as messages: every part the provider will see (see `messages.ts`). Governed, it
   * reads the body snapshot taken at the gate (plain JSON data, exactly what is sent); with
   * governance off, for content capture only, `create()`'s own params. Must not throw on any
   * JSON value; a throw is our bug and lets the call through unchecked.
   */
  input(params: any): CallInput;
  /** Request attributes of the inference span (model, parameters, stream). */
  requestAttributes(params: any): Attributes;
  /** Reads a complete (non-streamed) response. */
  onResult(record: ResponseRecord, data: any): void;
  /** Reads one streamed chunk or event. Must be cheap: it runs for every chunk. */
  onChunk(record: ResponseRecord, chunk: any): void;
}
