import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cacheKey, DecisionCache, stableJson } from '../../src/client/cache.js';

describe('cache keys', () => {
  it('are the same for the same object in any key order, flat or nested', () => {
    expect(stableJson({ b: 1, a: 'x', c: null })).toBe(stableJson({ c: null, a: 'x', b: 1 }));
    expect(stableJson({ b: { y: 1, x: 2 }, a: [3] })).toBe(
      stableJson({ a: [3], b: { x: 2, y: 1 } }),
    );
  });

  it('give the flat fast path exactly the output of the general path', () => {
    const flat = {
      model: 'gpt',
      provider: 'openai',
      n: 2,
      ok: true,
      none: null,
      skip: undefined,
      f: () => 1,
    };
    const general = JSON.stringify(
      Object.fromEntries(
        Object.keys(flat)
          .sort()
          .map(k => [k, (flat as Record<string, unknown>)[k]]),
      ),
    );
    expect(stableJson(flat)).toBe(general);
    expect(stableJson({})).toBe('{}');
  });

  it('tell values JSON cannot hold apart by refusing them', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(stableJson(cyclic)).toBeUndefined();
    expect(stableJson({ big: 10n })).toBeUndefined();
  });

  it('cannot collide by moving text between parts, and hold no raw input', () => {
    expect(cacheKey(['ab', 'c'])).not.toBe(cacheKey(['a', 'bc']));
    const key = cacheKey(['tenant', 'user-token-secret', 'my SSN is 123-45-6789']);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain('secret');
  });
});

describe('decision cache lifetimes (fake clock: no real waiting)', () => {
  interface Decision {
    id: string;
  }
  const sizeOf = (d: Decision) => d.id.length * 2;
  const make = (options: Partial<ConstructorParameters<typeof DecisionCache>[0]> = {}) =>
    new DecisionCache<Decision>(
      { enabled: true, ttlMs: 60_000, max: 100, maxBytes: 1_000_000, ...options },
      sizeOf,
    );

  beforeEach(() => {
    // Date (for `expires_at`), performance (entry ages) and timers (lru-cache's clock reuse).
    vi.useFakeTimers();
    // A fake performance clock starts at 0, which lru-cache takes for "no start time"; a real
    // process is always past it.
    vi.advanceTimersByTime(1_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps an entry for exactly its TTL', () => {
    const cache = make({ ttlMs: 1_000 });
    cache.set('k', { id: 'a' }, undefined);
    vi.advanceTimersByTime(1_000);
    expect(cache.get('k')).toEqual({ id: 'a' });
    vi.advanceTimersByTime(1);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('ends an entry at expires_at when that comes before the TTL', () => {
    const cache = make({ ttlMs: 60_000 });
    cache.set('k', { id: 'a' }, Date.now() + 250);
    vi.advanceTimersByTime(250);
    expect(cache.get('k')).toEqual({ id: 'a' });
    vi.advanceTimersByTime(1);
    expect(cache.get('k')).toBeUndefined();
  });

  it('never keeps an entry past its TTL because expires_at is later', () => {
    const cache = make({ ttlMs: 1_000 });
    cache.set('k', { id: 'a' }, Date.now() + 5 * 60_000);
    vi.advanceTimersByTime(1_001);
    expect(cache.get('k')).toBeUndefined();
  });

  it('does not store a decision that has expired, or expires within the millisecond', () => {
    const cache = make();
    cache.set('past', { id: 'a' }, Date.now() - 1);
    cache.set('now', { id: 'b' }, Date.now());
    cache.set('sub-ms', { id: 'c' }, Date.now() + 0.5);
    expect(cache.size).toBe(0);
    cache.set('one-ms', { id: 'd' }, Date.now() + 1);
    expect(cache.get('one-ms')).toEqual({ id: 'd' });
  });

  it('stores nothing when disabled', () => {
    const cache = make({ enabled: false });
    cache.set('k', { id: 'a' }, undefined);
    expect(cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('shares one load among concurrent callers and forgets it once it settles', async () => {
    const cache = make();
    let loads = 0;
    const load = () =>
      new Promise<Decision>(resolve => {
        loads += 1;
        setTimeout(() => resolve({ id: `load-${loads}` }), 100);
      });
    const first = cache.coalesce('k', load);
    const second = cache.coalesce('k', load);
    await vi.advanceTimersByTimeAsync(100);
    expect(await first).toEqual({ id: 'load-1' });
    expect(await second).toBe(await first);
    const third = cache.coalesce('k', load);
    await vi.advanceTimersByTimeAsync(100);
    expect(await third).toEqual({ id: 'load-2' });
    expect(loads).toBe(2);
  });
});
