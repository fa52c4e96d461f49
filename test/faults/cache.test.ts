/**
 * The decision cache seen from a real app: concurrent identical calls share one pre-check, users
 * and tenants never share a decision, failures are never cached, decisions expire, and the cache
 * stays within AXONFLOW_CACHE_MAX.
 */
import { describe, expect, it } from 'vitest';
import { type Handler, json, type ReceivedRequest } from '../helpers/scripted-agent.js';
import {
  BUILT,
  CASE_TIMEOUT,
  type CallResult,
  calls,
  chatSpansByTag,
  withWorld,
} from './harness.js';

const PRE_CHECK = '/api/policy/pre-check';
/** Audit records are another test's business: without them the agent sees pre-checks only. */
const NO_AUDIT = { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'axonflow-audit' };

function body(req: ReceivedRequest): any {
  try {
    return JSON.parse(req.body);
  } catch {
    return {};
  }
}

/** Pre-checks answered by `decide` (approve unless it returns a block reason), audits accepted. */
function agent(
  decide: (req: any) => string | undefined,
  expiresAt: (req: ReceivedRequest) => string = () => new Date(Date.now() + 60_000).toISOString(),
): Handler {
  let n = 0;
  return (req, res) => {
    if (req.path !== PRE_CHECK) return json(res, 200, { success: true, audit_id: `aud-${++n}` });
    const blocked = decide(body(req));
    json(res, 200, {
      context_id: `ctx-${++n}`,
      approved: blocked === undefined,
      policies: blocked ? ['tenant_rule'] : [],
      expires_at: expiresAt(req),
      ...(blocked ? { block_reason: blocked } : {}),
    });
  };
}

function attrs(w: Parameters<typeof chatSpansByTag>[0], tag: number): Record<string, unknown> {
  const span = chatSpansByTag(w).get(tag);
  expect(span, `chat span tagged ${tag}`).toBeDefined();
  return span!.attributes;
}

describe.skipIf(!BUILT).concurrent('decision cache, end to end', { timeout: CASE_TIMEOUT }, () => {
  it('expires_at far in the future → capped by AXONFLOW_CACHE_TTL_MS; expires_at already past → never cached', async () => {
    const inOneDay = () => new Date(Date.now() + 24 * 3_600_000).toISOString();
    const aMinuteAgo = () => new Date(Date.now() - 60_000).toISOString();
    const expiry = (req: ReceivedRequest) =>
      body(req).query?.includes('[past]') ? aMinuteAgo() : inOneDay();
    await withWorld({ agent: agent(() => undefined, expiry) }, async w => {
      const future = 'Cache me for a day [future]';
      const past = 'Cache me never [past]';
      const env = {
        ...NO_AUDIT,
        AXONFLOW_CACHE_TTL_MS: '2000',
        CALLS: calls([
          { prompt: future, tag: 1 },
          { prompt: past, tag: 11 },
          { prompt: future, tag: 2 },
          { prompt: past, tag: 12 },
          { sleep: 2500 },
          { prompt: future, tag: 3 },
        ]),
      };
      await w.run('calls.mjs', { env });
      const hit = (tag: number) => attrs(w, tag)['axonflow.cache.hit'];
      expect([1, 2, 3].map(hit)).toEqual([false, true, false]);
      expect([11, 12].map(hit)).toEqual([false, false]);
      expect(w.scripted!.count(PRE_CHECK)).toBe(2 + 2);
    });
  });

  it('decision expires (sandbox context TTL 2 s) → served from cache before, checked again after', async () => {
    await withWorld({ sandbox: { contextTtlMs: 2000 } }, async w => {
      const prompt = 'What is the capital of France?';
      const env = {
        ...NO_AUDIT,
        CALLS: calls([{ prompt, tag: 1 }, { prompt, tag: 2 }, { sleep: 2500 }, { prompt, tag: 3 }]),
      };
      await w.run('calls.mjs', { env });
      expect(attrs(w, 1)['axonflow.cache.hit']).toBe(false);
      expect(attrs(w, 2)['axonflow.cache.hit']).toBe(true);
      expect(attrs(w, 3)['axonflow.cache.hit']).toBe(false);
      expect(attrs(w, 2)['axonflow.context_id']).toBe(attrs(w, 1)['axonflow.context_id']);
      expect(attrs(w, 3)['axonflow.context_id']).not.toBe(attrs(w, 1)['axonflow.context_id']);
      expect(w.sandbox.agentRequests()).toBe(2);
    });
  });

  it('100 concurrent identical calls → exactly 1 agent request, and every caller gets the same decision', async () => {
    await withWorld({}, async w => {
      const same = { prompt: 'What is the capital of France?' };
      const env = {
        ...NO_AUDIT,
        CALLS: calls([Array.from({ length: 100 }, (_, i) => ({ ...same, tag: i + 1 }))]),
      };
      const run = await w.run('calls.mjs', { env });
      expect(run.out.results).toHaveLength(100);
      expect(run.out.results.every((r: CallResult) => r.ok)).toBe(true);
      expect(w.sandbox.agentRequests()).toBe(1);
      expect(w.sandbox.modelRequests()).toBe(100);
      const chats = [...chatSpansByTag(w).values()];
      expect(chats).toHaveLength(100);
      expect(new Set(chats.map(s => s.attributes['axonflow.decision']))).toEqual(
        new Set(['allow']),
      );
      const contexts = new Set(chats.map(s => s.attributes['axonflow.context_id']));
      expect(contexts.size).toBe(1);
      expect(w.named('axonflow.pre_check')).toHaveLength(100);
    });
  });

  it("same prompt for users A and B and for tenants T1 and T2 → each reaches the agent; A's allow is never served to B", async () => {
    const decide = (req: any) => {
      if (req.user_token === 'user-bob') return 'bob may not ask this';
      if (req.context?.tenant === 't2') return 'tenant t2 may not ask this';
      return undefined;
    };
    await withWorld({ agent: agent(decide) }, async w => {
      const prompt = 'Summarise the quarterly numbers';
      const env = {
        CALLS: calls([
          { prompt, user: 'user-alice', tag: 1 },
          { prompt, user: 'user-bob', tag: 2 },
          { prompt, user: 'user-alice', tag: 3 },
          { prompt, user: 'user-bob', tag: 4 },
          { prompt, user: 'user-carol', tenant: 't1', tag: 5 },
          { prompt, user: 'user-carol', tenant: 't2', tag: 6 },
        ]),
      };
      const run = await w.run('calls.mjs', { env });
      const outcome = run.out.results.map((r: CallResult) => (r.ok ? 'ok' : r.error?.blockReason));
      expect(outcome).toEqual([
        'ok',
        'bob may not ask this',
        'ok',
        'bob may not ask this',
        'ok',
        'tenant t2 may not ask this',
      ]);
      const checks = w.scripted!.requests.filter(r => r.path === PRE_CHECK).map(body);
      expect(checks.map(c => [c.user_token, c.context?.tenant])).toEqual([
        ['user-alice', undefined],
        ['user-bob', undefined],
        ['user-carol', 't1'],
        ['user-carol', 't2'],
      ]);
      expect(attrs(w, 3)['axonflow.cache.hit']).toBe(true);
      expect(attrs(w, 4)['axonflow.cache.hit']).toBe(true);
      expect(attrs(w, 4)['axonflow.decision']).toBe('deny');
      expect(w.sandbox.modelRequests()).toBe(3);
    });
  });

  it('agent down, then up → the fail-open result is not cached: the next identical call is checked again', async () => {
    await withWorld({}, async w => {
      w.sandbox.injectAgentFault('503', 1);
      const prompt = 'What is the capital of France?';
      const env = {
        ...NO_AUDIT,
        AXONFLOW_RETRY_MAX_ATTEMPTS: '1',
        CALLS: calls([
          { prompt, tag: 1 },
          { prompt, tag: 2 },
          { prompt, tag: 3 },
        ]),
      };
      const run = await w.run('calls.mjs', { env });
      expect(run.out.results.every((r: CallResult) => r.ok)).toBe(true);
      expect(attrs(w, 1)).toMatchObject({
        'axonflow.decision': 'fail_open',
        'axonflow.fail_open.reason': 'http_5xx',
      });
      expect(attrs(w, 2)).toMatchObject({
        'axonflow.decision': 'allow',
        'axonflow.cache.hit': false,
      });
      expect(attrs(w, 3)).toMatchObject({
        'axonflow.decision': 'allow',
        'axonflow.cache.hit': true,
      });
      expect(w.sandbox.agentRequests()).toBe(2);
    });
  });

  it('200 distinct prompts with AXONFLOW_CACHE_MAX=50 → the cache holds at most 50; recent prompts hit, evicted ones are checked again', async () => {
    await withWorld({}, async w => {
      const prompt = (i: number) => `Distinct question number ${i}?`;
      const batches = Array.from({ length: 10 }, (_, b) =>
        Array.from({ length: 20 }, (_, i) => ({
          prompt: prompt(b * 20 + i + 1),
          tag: b * 20 + i + 1,
        })),
      );
      const env = {
        ...NO_AUDIT,
        AXONFLOW_CACHE_MAX: '50',
        CALLS: calls([
          ...batches,
          // The newest entries first (still cached), then the oldest (evicted long ago).
          ...[196, 197, 198, 199, 200].map(i => ({ prompt: prompt(i), tag: 1000 + i })),
          ...[1, 2, 3, 4, 5].map(i => ({ prompt: prompt(i), tag: 1000 + i })),
        ]),
      };
      const run = await w.run('calls.mjs', { env });
      expect(run.out.results.every((r: CallResult) => r.ok)).toBe(true);
      expect(run.out.cacheSize).toBeGreaterThan(0);
      expect(run.out.cacheSize).toBeLessThanOrEqual(50);
      for (const i of [196, 197, 198, 199, 200])
        expect(attrs(w, 1000 + i)['axonflow.cache.hit']).toBe(true);
      for (const i of [1, 2, 3, 4, 5]) expect(attrs(w, 1000 + i)['axonflow.cache.hit']).toBe(false);
      expect(w.sandbox.agentRequests()).toBe(205);
    });
  });
});
