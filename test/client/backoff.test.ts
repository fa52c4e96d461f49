import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from '../../src/client/backoff.js';

const client = { initialMs: 50, maxMs: 1000 };
const audit = { initialMs: 100, maxMs: 2000 };

/** A seeded generator (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('backoff', () => {
  it('doubles the ceiling from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(n => backoffCeiling(n, client))).toEqual([
      50, 100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 5, 6, 100, 5000].map(n => backoffCeiling(n, audit))).toEqual([
      100, 200, 1600, 2000, 2000, 2000,
    ]);
  });

  it('draws each delay at random below its ceiling (full jitter)', () => {
    expect(backoffDelay(1, audit, () => 0)).toBe(0);
    expect(backoffDelay(1, audit, () => 0.5)).toBe(50);
    expect(backoffDelay(3, client, () => 0.25)).toBe(50);
    expect(backoffDelay(9, audit, () => 0.999)).toBeCloseTo(1998);
    for (const options of [client, audit]) {
      const random = seeded(42);
      for (let attempt = 1; attempt <= 10; attempt++) {
        const ceiling = backoffCeiling(attempt, options);
        const delays = Array.from({ length: 500 }, () => backoffDelay(attempt, options, random));
        expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...delays)).toBeLessThan(ceiling);
        // Spread over the whole range, not bunched at one end.
        expect(Math.min(...delays)).toBeLessThan(ceiling * 0.1);
        expect(Math.max(...delays)).toBeGreaterThan(ceiling * 0.9);
      }
    }
  });

  it('never waits more than the ceiling, whatever the random source gives', () => {
    for (const bad of [1, 2, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const delay = backoffDelay(2, client, () => bad);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(100);
    }
    expect(backoffCeiling(0, client)).toBe(50);
    expect(backoffCeiling(Number.MAX_SAFE_INTEGER, client)).toBe(1000);
  });
});
