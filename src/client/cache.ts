/**
 * Decision cache: an lru-cache of valid decisions (never fail-open results), keyed by a SHA-256
 * of everything that can change a decision (tenant, user token, request type, query, context,
 * data sources), so no raw prompt or token is kept as a key. Each entry lives for the configured
 * TTL or until the agent's `expires_at`, whichever is sooner. Concurrent identical lookups share
 * one in-flight agent request.
 *
 * Bounded twice: by entries (`max`) and by estimated bytes (`maxBytes`, with `sizeOf` per entry),
 * so a workload of unique prompts, or an agent that sends large replies, cannot grow it without
 * limit. An entry larger than `maxBytes` is not stored.
 */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** A SHA-256 base64url key (43 characters) at two bytes a character, plus its map slot. */
const KEY_BYTES = 43 * 2 + 64;

/**
 * The clock entries age by: lru-cache's default, `performance.now()`, but looked up at each read
 * rather than kept from when lru-cache was loaded, so that a replaced `performance` (a test's fake
 * clock) is the one used.
 */
const MONOTONIC = { now: () => performance.now() };

export class DecisionCache<V extends object> {
  readonly #lru: LRUCache<string, V> | undefined;
  readonly #inflight = new Map<string, Promise<V>>();
  readonly #ttlMs: number;

  constructor(
    options: { enabled: boolean; ttlMs: number; max: number; maxBytes: number },
    sizeOf: (value: V) => number,
  ) {
    this.#ttlMs = options.ttlMs;
    this.#lru = options.enabled
      ? new LRUCache<string, V>({
          max: options.max,
          ttl: options.ttlMs,
          maxSize: options.maxBytes,
          perf: MONOTONIC,
          // lru-cache wants a positive integer; the key (a 43-character hash) is counted too.
          sizeCalculation: value => Math.max(1, Math.ceil(sizeOf(value)) + KEY_BYTES),
        })
      : undefined;
  }

  get size(): number {
    return this.#lru?.size ?? 0;
  }

  /** Estimated bytes held, as counted against `maxBytes`. */
  get bytes(): number {
    return this.#lru?.calculatedSize ?? 0;
  }

  get(key: string): V | undefined {
    return this.#lru?.get(key);
  }

  /** Stores a decision for at most `min(ttl, expiresAtMs - now)`; an expired one is not stored. */
  set(key: string, value: V, expiresAtMs: number | undefined): void {
    if (!this.#lru) return;
    let ttl = this.#ttlMs;
    if (expiresAtMs !== undefined) ttl = Math.min(ttl, expiresAtMs - Date.now());
    if (!(ttl >= 1)) return;
    this.#lru.set(key, value, { ttl });
  }

  /**
   * Runs `load` once for all concurrent callers of the same key. The callers get `load`'s own
   * promise: the entry is removed on a side branch, so their await is not one promise longer.
   */
  coalesce<T extends V>(key: string, load: () => Promise<T>): Promise<T> {
    const pending = this.#inflight.get(key) as Promise<T> | undefined;
    if (pending) return pending;
    const promise = load();
    this.#inflight.set(key, promise);
    const settled = () => {
      this.#inflight.delete(key);
    };
    promise.then(settled, settled);
    return promise;
  }
}

/**
 * Hashes the parts of a request into a cache key. Parts are length-prefixed so that no two
 * different part lists can produce the same input (`["ab","c"]` vs `["a","bc"]`), and joined into
 * one string first: one `update` call costs far less than one per part.
 */
export function cacheKey(parts: readonly string[]): string {
  let input = '';
  for (const part of parts) input += `${part.length}:${part}`;
  return hash('sha256', input, 'base64url');
}

/**
 * JSON with object keys sorted, so `{a,b}` and `{b,a}` share a key. Returns undefined for values
 * that JSON cannot represent (cycles, BigInt), which then bypass the cache.
 *
 * Pre-check contexts are nearly always flat objects of primitives; they take a fast path that
 * avoids the replacer's per-node allocations (it was a fifth of a cached pre-check's cost).
 */
export function stableJson(value: unknown): string | undefined {
  try {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const flat = flatStableJson(value as Record<string, unknown>);
      if (flat !== undefined) return flat;
    }
    return JSON.stringify(value, (_key, v) => {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const sorted: Record<string, unknown> = Object.create(null);
        for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
        return sorted;
      }
      return v;
    });
  } catch {
    return undefined;
  }
}

/** The same output as the general path, for an object whose values are all primitives. */
function flatStableJson(value: Record<string, unknown>): string | undefined {
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  const keys = Object.keys(value);
  for (const k of keys) {
    const v = value[k];
    if (v !== null && typeof v === 'object') return undefined;
  }
  keys.sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const encoded = JSON.stringify(value[k]);
    if (encoded === undefined) continue; // functions, symbols, undefined: JSON leaves them out
    out += `${first ? '' : ','}${JSON.stringify(k)}:${encoded}`;
    first = false;
  }
  return `${out}}`;
}
