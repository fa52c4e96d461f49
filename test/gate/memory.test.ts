/**
 * Bounded memory against a hostile agent: every agent string is capped before it is kept (context
 * ids over 256 characters are dropped, block reasons and policy names capped at 256 characters,
 * at most 64 policy names), and the decision cache is bounded in bytes as well as in entries
 * (`cache.maxBytes`, `AXONFLOW_CACHE_MAX_BYTES`). A deny stays a deny throughout.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/client/config.js';
import { ErrorCode, PolicyViolationError } from '../../src/index.js';
import { approve, json } from '../helpers/scripted-agent.js';
import { type GateWorld, PRE_CHECK, startGateWorld } from './world.js';

const MB = 1024 * 1024;
const HUGE_ID_CHARS = 900 * 1024;

/** A full garbage collection, so heap readings compare what is retained. */
function collect(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A deny whose context id is 900 KB: under the 1 MiB reply cap, far over anything kept. */
const HUGE_DENY = Buffer.from(
  JSON.stringify({
    approved: false,
    block_reason: 'Monthly budget exceeded',
    policies: ['budget_cap'],
    context_id: 'c'.repeat(HUGE_ID_CHARS),
  }),
);

let w: GateWorld;

beforeAll(async () => {
  w = await startGateWorld();
});

afterAll(async () => {
  await w.close();
});

beforeEach(() => {
  w.reset();
  w.agent.handle(approve());
});

describe('a hostile agent cannot grow our memory', () => {
  it('2,000 denies each carrying a 900 KB context_id: heap growth stays small, the cache stays small, every deny still denies', async () => {
    const gc = collect();
    w.agent.handle((_q, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': HUGE_DENY.length,
      });
      res.end(HUGE_DENY);
    });
    const c = w.client({ timeoutMs: 10_000 });
    gc();
    const baseline = process.memoryUsage().heapUsed;
    const TOTAL = 2000;
    const BATCH = 200;
    const PARALLEL = 8;
    let denied = 0;
    for (let done = 0; done < TOTAL; done += BATCH) {
      for (let i = done; i < done + BATCH; i += PARALLEL) {
        const results = await Promise.all(
          Array.from({ length: PARALLEL }, (_, k) => c.preCheck({ query: `deny me ${i + k}` })),
        );
        for (const r of results) {
          expect(r.approved).toBe(false);
          expect(r.contextId).toBe('');
          expect(r.malformedFields).toEqual(['context_id']);
          denied++;
        }
      }
      gc();
      const growth = process.memoryUsage().heapUsed - baseline;
      // Kept, each 900 KB id would be 180 MB per batch. Capped, all 2,000 decisions are ~2 MB.
      expect(growth, `heap growth after ${done + BATCH} denies`).toBeLessThan(32 * MB);
    }
    expect(denied).toBe(TOTAL);
    expect(w.agent.count(PRE_CHECK)).toBe(TOTAL);
    expect(c.cacheSize).toBe(TOTAL);
    expect(c.cacheBytes).toBeLessThan(TOTAL * 2048);
    // Still denies from the cache.
    const again = await c.preCheck({ query: 'deny me 1999' });
    expect(again).toMatchObject({ approved: false, cached: true });
    expect(w.agent.count(PRE_CHECK)).toBe(TOTAL);
  }, 120_000);

  it('caps block reasons, policy names and the number of policies before keeping them', async () => {
    w.agent.handle((_q, res) =>
      json(res, 200, {
        approved: false,
        context_id: 'x'.repeat(300),
        block_reason: `Denied ${'because '.repeat(1250)}`,
        policies: Array.from({ length: 500 }, (_, i) => `${i}-${'p'.repeat(1000)}`),
      }),
    );
    const result = await w.client().preCheck({ query: 'long strings' });
    expect(result.approved).toBe(false);
    expect(result.contextId).toBe('');
    expect(result.blockReason!.length).toBeLessThanOrEqual(257);
    expect(result.policies).toHaveLength(64);
    for (const p of result.policies) expect(p.length).toBeLessThanOrEqual(257);
    expect(result.malformedFields).toEqual(['context_id', 'policies']);
  });

  it('keeps the decision cache under cache.maxBytes, evicting the least recently used', async () => {
    // After capping, each of these denies is estimated at about 34 KB: 7 fit in 256 KiB.
    w.agent.handle((_q, res) =>
      json(res, 200, {
        approved: false,
        context_id: 'ctx',
        block_reason: 'no',
        policies: Array.from({ length: 64 }, (_, i) => `${i}`.padEnd(256, 'q')),
      }),
    );
    const c = w.client({ cache: { maxBytes: 256 * 1024 } });
    for (let i = 0; i < 40; i++) await c.preCheck({ query: `bulky ${i}` });
    expect(c.cacheBytes).toBeLessThanOrEqual(256 * 1024);
    expect(c.cacheSize).toBeGreaterThan(0);
    expect(c.cacheSize).toBeLessThan(40);
    const before = w.agent.count(PRE_CHECK);
    expect((await c.preCheck({ query: 'bulky 39' })).cached).toBe(true);
    expect((await c.preCheck({ query: 'bulky 0' })).cached).toBe(false);
    expect(w.agent.count(PRE_CHECK)).toBe(before + 1);
  });

  it('reads AXONFLOW_CACHE_MAX_BYTES from the environment (default 16 MiB)', () => {
    const env = { AXONFLOW_AGENT_URL: w.agent.url };
    expect(configFromEnv({ ...env, AXONFLOW_CACHE_MAX_BYTES: '262144' }).cache?.maxBytes).toBe(
      262_144,
    );
    expect(configFromEnv(env).cache?.maxBytes).toBe(16 * MB);
  });
});

describe('end to end through the openai SDK', () => {
  it('hostile denies with 900 KB context ids reject every call with a small PolicyViolationError; the model is never called', async () => {
    w.govern({ timeoutMs: 10_000 });
    w.agent.handle((_q, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': HUGE_DENY.length,
      });
      res.end(HUGE_DENY);
    });
    for (let i = 0; i < 20; i++) {
      const err = (await w.chat(`Spend more, request ${i}`)) as PolicyViolationError;
      expect(err).toBeInstanceOf(PolicyViolationError);
      expect(err.code).toBe(ErrorCode.POLICY_VIOLATION);
      expect(err.blockReason).toBe('Monthly budget exceeded');
      expect(err.contextId).toBeUndefined();
      expect(err.message.length).toBeLessThan(400);
    }
    expect(w.sandbox.modelRequests()).toBe(0);
    const pre = w.h.spans().filter(s => s.name === 'axonflow.pre_check');
    expect(pre).toHaveLength(20);
    for (const span of pre) {
      expect(span.attributes['axonflow.reply.malformed_fields']).toEqual(['context_id']);
      expect(JSON.stringify(span.attributes).length).toBeLessThan(2000);
    }
  });
});
