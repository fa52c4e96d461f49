/**
 * AWS event-stream writer (`application/vnd.amazon.eventstream`), the binary framing Bedrock
 * Runtime streams in: each message is prelude (lengths + CRC), typed headers, payload, CRC,
 * encoded by `@smithy/eventstream-codec`, the codec the AWS SDK decodes with. An event carries
 * `:event-type` (the union member, e.g. `chunk`, `contentBlockDelta`), `:message-type: event`
 * and `:content-type: application/json`, and its JSON as payload. Like `SseStream` it honours the
 * `cut` and `stall-mid` faults, and stops producing once the client is gone.
 */
import type { ServerResponse } from 'node:http';
import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { EVENTS_BEFORE_FAULT, type Fault } from '../faults.js';
import { dropConnection } from './io.js';
import { isOpen } from './sse.js';

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

// The codec wants its UTF-8 helpers injected; node's Buffer does the job, so the sandbox needs
// no further package for it.
const toUtf8 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
const fromUtf8 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One event-stream message: an event named `eventType` whose payload is `payload` as JSON. */
export function encodeEvent(eventType: string, payload: unknown): Uint8Array {
  const message: Message = {
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':message-type': { type: 'string', value: 'event' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  };
  return codec.encode(message);
}

/** Decodes one encoded message back to its headers and JSON payload (for tests and tools). */
export function decodeEvent(bytes: Uint8Array): {
  headers: Record<string, unknown>;
  body: unknown;
} {
  const { headers, body } = codec.decode(bytes);
  const plain: Record<string, unknown> = {};
  for (const [name, header] of Object.entries(headers)) plain[name] = header.value;
  return { headers: plain, body: JSON.parse(toUtf8(body)) };
}

/** An event-stream response that can break on purpose, as `SseStream` does for SSE. */
export class AwsEventStream {
  readonly #res: ServerResponse;
  readonly #fault: Fault | undefined;
  #sent = 0;
  #stopped = false;

  constructor(
    res: ServerResponse,
    options: { fault?: Fault; headers?: Record<string, string> } = {},
  ) {
    this.#res = res;
    const kind = options.fault?.kind;
    this.#fault = kind === 'cut' || kind === 'stall-mid' ? options.fault : undefined;
    res.writeHead(200, { 'content-type': EVENT_STREAM_CONTENT_TYPE, ...options.headers });
    // Headers now, so the client's first byte is the stream start, not the first event.
    res.flushHeaders();
  }

  /** False once the stream must stop producing (client gone, or a fault struck). */
  async send(eventType: string, payload: unknown): Promise<boolean> {
    if (this.#stopped) return false;
    const written = isOpen(this.#res)
      ? await new Promise<boolean>(resolve => {
          this.#res.write(encodeEvent(eventType, payload), err =>
            resolve(!err && !this.#res.destroyed),
          );
        })
      : false;
    if (!written) {
      this.#stopped = true;
      return false;
    }
    this.#sent++;
    if (this.#fault && this.#sent >= EVENTS_BEFORE_FAULT) {
      this.#stopped = true;
      if (this.#fault.kind === 'cut') dropConnection(this.#res);
      return false;
    }
    return true;
  }

  async sendAll(events: readonly { eventType: string; payload: unknown }[]): Promise<boolean> {
    for (const { eventType, payload } of events) {
      if (!(await this.send(eventType, payload))) return false;
    }
    return true;
  }

  end(): void {
    if (!this.#stopped && isOpen(this.#res)) this.#res.end();
  }
}
