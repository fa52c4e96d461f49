/**
 * Server-sent events writer. Frames are written one `res.write` each so a client sees them as
 * they are produced, and every write checks that the client is still there: a stream whose client
 * went away stops producing instead of buffering into a dead socket. `SseStream` adds the
 * `cut` / `stall-mid` faults that model and agent streams share.
 */
import type { ServerResponse } from 'node:http';
import { EVENTS_BEFORE_FAULT, type Fault } from '../faults.js';
import { dropConnection, isHttp2 } from './io.js';

export interface SseFrame {
  /** The `event:` field; omitted for OpenAI-style data-only streams. */
  event?: string;
  data: string;
}

export function encodeFrame(frame: SseFrame): string {
  const lines = frame.data.split('\n').map(line => `data: ${line}`);
  return `${frame.event === undefined ? '' : `event: ${frame.event}\n`}${lines.join('\n')}\n\n`;
}

export function startSse(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...(isHttp2(res) ? {} : { connection: 'keep-alive' }),
    ...headers,
  });
  // Headers go out now, so a client's "time to first byte" is the stream start, not the first token.
  res.flushHeaders();
}

export function isOpen(res: ServerResponse): boolean {
  return !res.destroyed && !res.writableEnded;
}

/** Writes one frame; resolves once it is handed to the socket. False when the client is gone. */
export function writeFrame(res: ServerResponse, frame: SseFrame): Promise<boolean> {
  if (!isOpen(res)) return Promise.resolve(false);
  return new Promise(resolve => {
    res.write(encodeFrame(frame), err => resolve(!err && !res.destroyed));
  });
}

/** JSON `data:` frame, optionally named. */
export function jsonFrame(data: unknown, event?: string): SseFrame {
  return event === undefined
    ? { data: JSON.stringify(data) }
    : { event, data: JSON.stringify(data) };
}

/**
 * An SSE response that can break on purpose: with a `cut` fault it drops the connection after a
 * few events, with `stall-mid` it goes silent but keeps the connection open.
 */
export class SseStream {
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
    startSse(res, options.headers);
  }

  /** False once the stream must stop producing (client gone, or a fault struck). */
  async send(frame: SseFrame): Promise<boolean> {
    if (this.#stopped) return false;
    if (!(await writeFrame(this.#res, frame))) {
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

  async sendAll(frames: readonly SseFrame[]): Promise<boolean> {
    for (const frame of frames) if (!(await this.send(frame))) return false;
    return true;
  }

  end(): void {
    if (!this.#stopped && isOpen(this.#res)) this.#res.end();
  }
}
