import { afterEach, describe, expect, it, vi } from 'vitest';
import { UnavailableError } from '../../src/client/errors/index.js';
import type { AuditClient } from '../../src/processor/index.js';
import { harness } from './harness.js';

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A client that is unavailable `failures` times, then stores the record; notes when it is called. */
function flakyClient(failures: number, calls: number[]): AuditClient {
  return {
    async auditLLMCall() {
      calls.push(performance.now());
      if (calls.length <= failures) throw new UnavailableError('http_5xx', 'down', { status: 503 });
      return { success: true, auditId: 'aud-1' };
    },
  };
}

describe('audit retries', () => {
  it('wait a delay drawn below 100, 200, 400 ms (full jitter, shared backoff)', async () => {
    vi.useFakeTimers();
    const calls: number[] = [];
    const h = harness({ client: flakyClient(3, calls), scheduledDelayMillis: 0 });
    // The top of each range: the ceiling doubles from 100 ms.
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    h.governedCall();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toHaveLength(4);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    expect(gaps[0]).toBeCloseTo(99, 0);
    expect(gaps[1]).toBeCloseTo(198, 0);
    expect(gaps[2]).toBeCloseTo(396, 0);
    expect(h.auditSpans()[0]!.attributes['axonflow.audit.attempts']).toBe(4);
    await h.processor.shutdown();
  });

  it('may retry at once when the draw is low', async () => {
    vi.useFakeTimers();
    const calls: number[] = [];
    const h = harness({ client: flakyClient(2, calls), scheduledDelayMillis: 0 });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    h.governedCall();
    await vi.advanceTimersByTimeAsync(50);
    expect(calls).toHaveLength(3);
    expect(calls[2]! - calls[0]!).toBeLessThan(5);
    await h.processor.shutdown();
  });
});
