/**
 * The adaptive concurrency limit on its own: pure arithmetic on the latencies, backlogs and times
 * it is given, so every step is checked exactly.
 */
import { describe, expect, it } from 'vitest';
import {
  BASELINE_WINDOW_MS,
  ConcurrencyLimit,
  LATENCY_TOLERANCE,
} from '../../src/processor/limit.js';

/** `n` sends started and answered in `latencyMs`, with the limit binding (records waiting) or not. */
function answer(limit: ConcurrencyLimit, n: number, latencyMs: number, waiting: number, now = 0) {
  for (let i = 0; i < n; i++) {
    limit.start();
    limit.onAnswer(latencyMs, waiting > 0, now);
  }
}

describe('ConcurrencyLimit', () => {
  it('starts at the floor', () => {
    expect(new ConcurrencyLimit(8, 128).current).toBe(8);
  });

  it('doubles per round of answers while records wait and latency holds (slow start)', () => {
    const limit = new ConcurrencyLimit(8, 128);
    answer(limit, 8, 50, 100);
    expect(limit.current).toBe(16);
    answer(limit, 16, 50, 100);
    expect(limit.current).toBe(32);
  });

  it('does not grow while the limit does not bind (no record waits, or senders are idle)', () => {
    const limit = new ConcurrencyLimit(8, 128);
    answer(limit, 100, 50, 0);
    expect(limit.current).toBe(8);
  });

  it('never grows past the cap', () => {
    const limit = new ConcurrencyLimit(2, 10);
    answer(limit, 1000, 50, 100);
    expect(limit.current).toBe(10);
  });

  it('holds when latency grows past the tolerance, then only creeps (one per round)', () => {
    const limit = new ConcurrencyLimit(8, 128);
    answer(limit, 8, 50, 100);
    expect(limit.current).toBe(16);
    // Slower answers: the smoothed latency passes the tolerance within a few, then no growth.
    answer(limit, 5, 50 * LATENCY_TOLERANCE * 2, 100);
    const held = limit.current;
    expect(held).toBeLessThanOrEqual(18);
    answer(limit, 50, 50 * LATENCY_TOLERANCE * 2, 100);
    expect(limit.current).toBe(held);
    // Latency back to normal: slow start is over, 32 answers (two rounds) add about two, where
    // slow start would have added 32.
    answer(limit, 32, 50, 100);
    expect(limit.current).toBeGreaterThanOrEqual(held + 1);
    expect(limit.current).toBeLessThanOrEqual(held + 3);
  });

  it('reads latency smoothed: one slow answer neither stops growth nor one fast answer starts it', () => {
    const limit = new ConcurrencyLimit(8, 128);
    answer(limit, 7, 50, 100);
    answer(limit, 1, 50 * LATENCY_TOLERANCE * 2, 100);
    expect(limit.current).toBe(16);
    const held = new ConcurrencyLimit(8, 128);
    answer(held, 20, 500, 0);
    answer(held, 1, 50, 0);
    // The fastest is now 50 ms, but recent sends average far above 75 ms: no growth.
    answer(held, 1, 50, 100);
    expect(held.current).toBe(8);
  });

  it('halves on overload, once per round of sends, never below the floor', () => {
    const limit = new ConcurrencyLimit(4, 128);
    answer(limit, 4 + 8 + 16, 50, 100);
    expect(limit.current).toBe(32);
    // 32 sends in flight fail: only the first cuts, the others started before the cut.
    const ordinals = Array.from({ length: 32 }, () => limit.start());
    for (const ordinal of ordinals) limit.onOverload(ordinal);
    expect(limit.current).toBe(16);
    // A send started after the cut cuts again.
    limit.onOverload(limit.start());
    expect(limit.current).toBe(8);
    limit.onOverload(limit.start());
    limit.onOverload(limit.start());
    limit.onOverload(limit.start());
    expect(limit.current).toBe(4);
  });

  it('grows again after a cut, one per round (the cut ended slow start)', () => {
    const limit = new ConcurrencyLimit(4, 128);
    answer(limit, 4 + 8, 50, 100);
    expect(limit.current).toBe(16);
    limit.onOverload(limit.start());
    expect(limit.current).toBe(8);
    answer(limit, 8, 50, 100);
    expect(limit.current).toBe(8);
    answer(limit, 1, 50, 100);
    expect(limit.current).toBe(9);
  });

  it('follows an agent that became slower for good, after two baseline windows', () => {
    const limit = new ConcurrencyLimit(1, 128);
    // Fast answers, no backlog: the baseline is 1 ms.
    answer(limit, 10, 1, 0, 0);
    // Now 50 ms answers with a backlog: far above the tolerance, no growth.
    answer(limit, 10, 50, 100, 1);
    expect(limit.current).toBe(1);
    answer(limit, 10, 50, 100, BASELINE_WINDOW_MS + 1);
    expect(limit.current).toBe(1);
    // Two windows later the 1 ms answers are forgotten: 50 ms is the baseline, growth resumes.
    answer(limit, 1, 50, 100, 2 * BASELINE_WINDOW_MS + 2);
    expect(limit.current).toBe(2);
  });
});
