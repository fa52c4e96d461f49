import { describe, expect, it } from 'vitest';
import { cacheKey, stableJson } from '../../src/client/cache.js';

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
