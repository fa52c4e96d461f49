/** Helpers to turn sandbox SSE frames into bytes and parsed events, without a server. */
import { encodeFrame, type SseFrame } from '../../../src/sandbox/http/sse.js';

export function framesToText(frames: readonly SseFrame[]): string {
  return frames.map(encodeFrame).join('');
}

/** An async body yielding `text` in chunks of `size` bytes (1 splits every multi-byte char). */
export async function* bytes(text: string, size = 64): AsyncGenerator<Uint8Array> {
  const all = new TextEncoder().encode(text);
  for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
}

export function parsed(frames: readonly SseFrame[]): { event?: string; data: any }[] {
  return frames.map(f => ({
    ...(f.event === undefined ? {} : { event: f.event }),
    data: f.data === '[DONE]' ? '[DONE]' : JSON.parse(f.data),
  }));
}
