import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AxonFlowClient,
  type AxonFlowClientConfig,
  ErrorCode,
  PolicyViolationError,
} from '../../src/client/index.js';
import { scaled } from '../helpers/child.js';
import {
  approve,
  json,
  type ScriptedAgent,
  startScriptedAgent,
} from '../helpers/scripted-agent.js';

const PRE_CHECK = '/api/policy/pre-check';
const SECRET = 'sk-test-CLIENT-SECRET-5f2b';
const LICENSE = 'lic-test-LICENSE-KEY-9c1d';

let agent: ScriptedAgent;
const clients: AxonFlowClient[] = [];

function client(config: AxonFlowClientConfig = {}): AxonFlowClient {
  const c = new AxonFlowClient({ endpoint: agent.url, telemetry: false, ...config });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  agent = await startScriptedAgent();
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(clients.splice(0).map(c => c.close()));
  await agent.close();
});

describe('preCheck', () => {
  it('returns an approval with the context id and sends the gateway body', async () => {
    const result = await client({ clientId: 'tenant-a' }).preCheck({
      query: 'What is the capital of France?',
      userToken: 'user-1',
      dataSources: ['kb'],
      context: { model: 'gpt-4o' },
    });
    expect(result).toMatchObject({
      approved: true,
      contextId: 'ctx-1',
      failOpen: false,
      cached: false,
    });
    expect(result.expiresAt).toBeInstanceOf(Date);
    const sent = JSON.parse(agent.requests[0]!.body);
    expect(sent).toEqual({
      user_token: 'user-1',
      client_id: 'tenant-a',
      query: 'What is the capital of France?',
      data_sources: ['kb'],
      context: { model: 'gpt-4o' },
    });
  });

  it('returns a deny as a result, not an exception', async () => {
    agent.handle((_req, res) =>
      json(res, 200, {
        context_id: 'ctx-deny',
        approved: false,
        policies: ['ssn_detection'],
        block_reason: 'Social Security Number detected - automatic redaction required',
        expires_at: new Date(Date.now() + 60_000).toISOString(),
      }),
    );
    const result = await client().preCheck({ query: 'my SSN is 123-45-6789' });
    expect(result.approved).toBe(false);
    expect(result.blockReason).toMatch(/Social Security Number/);
    expect(result.policies).toEqual(['ssn_detection']);
    expect(result.failOpen).toBe(false);
  });

  it('never turns a deny into an allow, in either mode', async () => {
    agent.handle((_req, res) => json(res, 200, { context_id: 'c', approved: false, policies: [] }));
    for (const mode of ['production', 'sandbox'] as const) {
      const result = await client({ mode, cache: { enabled: false } }).preCheck({ query: 'x' });
      expect(result.approved).toBe(false);
    }
  });

  it('sends basic auth, client id, user agent and the license key only when set', async () => {
    await client().preCheck({ query: 'a' });
    await client({ clientId: 'acme', clientSecret: SECRET, licenseKey: LICENSE }).preCheck({
      query: 'b',
    });
    const [community, configured] = agent.requests;
    expect(community!.headers.authorization).toBe(
      `Basic ${Buffer.from('community:').toString('base64')}`,
    );
    expect(community!.headers['x-client-id']).toBe('community');
    expect(community!.headers['x-license-key']).toBeUndefined();
    expect(community!.headers['user-agent']).toMatch(/^axonflow-otel\/\d+\.\d+\.\d+/);
    expect(community!.headers['x-axonflow-client']).toMatch(/^axonflow-otel\/\d+\.\d+\.\d+/);
    expect(configured!.headers.authorization).toBe(
      `Basic ${Buffer.from(`acme:${SECRET}`).toString('base64')}`,
    );
    expect(configured!.headers['x-license-key']).toBe(LICENSE);
  });
});

describe('fail-open in production mode', () => {
  const cases: [string, (agent: ScriptedAgent) => void, string][] = [
    [
      'HTTP 500',
      a => a.handle((_q, r) => json(r, 500, { success: false, error: 'boom' })),
      'http_5xx',
    ],
    ['HTTP 503', a => a.handle((_q, r) => json(r, 503, 'unavailable')), 'http_5xx'],
    ['HTTP 429', a => a.handle((_q, r) => json(r, 429, { error: 'slow down' })), 'rate_limited'],
  ];
  for (const [name, setup, reason] of cases) {
    it(`fails open on ${name} with reason ${reason}`, async () => {
      setup(agent);
      const result = await client({ retry: { maxAttempts: 1 } }).preCheck({ query: 'hello' });
      expect(result).toMatchObject({
        approved: true,
        failOpen: true,
        failOpenReason: reason,
        contextId: '',
      });
      expect(result.error).toMatch(/^AxonFlow unavailable \(fail-open\): /);
    });
  }

  // Reversed by "the gate holds": only unavailability fails open. An agent that answers, but not
  // with a verdict we can read, or refuses our credentials, blocks in production too.
  const blocking: [string, (agent: ScriptedAgent) => void, string][] = [
    [
      'HTTP 401',
      a =>
        a.handle((_q, r) =>
          json(r, 401, { success: false, error: 'X-License-Key header required' }),
        ),
      ErrorCode.AUTH,
    ],
    [
      'HTTP 403 without a deny',
      a => a.handle((_q, r) => json(r, 403, { success: false, error: 'Client disabled' })),
      ErrorCode.AUTH,
    ],
    [
      'an HTML page with HTTP 200',
      a =>
        a.handle((_q, r) => {
          r.writeHead(200, { 'content-type': 'text/html' });
          r.end('<html>502 Bad Gateway</html>');
        }),
      ErrorCode.INVALID_RESPONSE,
    ],
    [
      'truncated JSON',
      a => a.handle((_q, r) => json(r, 200, '{"context_id":"c","appro')),
      ErrorCode.INVALID_RESPONSE,
    ],
    [
      'an empty body',
      a =>
        a.handle((_q, r) => {
          r.writeHead(200);
          r.end();
        }),
      ErrorCode.INVALID_RESPONSE,
    ],
    [
      'approved as a string',
      a => a.handle((_q, r) => json(r, 200, { context_id: 'c', approved: 'yes' })),
      ErrorCode.INVALID_RESPONSE,
    ],
  ];
  for (const [name, setup, code] of blocking) {
    it(`does not fail open on ${name}: throws ${code}`, async () => {
      setup(agent);
      const err = await client({ retry: { maxAttempts: 1 } })
        .preCheck({ query: 'hello' })
        .catch(e => e);
      expect(err).toMatchObject({ code });
      expect(agent.count(PRE_CHECK)).toBe(1);
    });
  }

  it('reads an allow with missing side fields as an allow, naming what was missing', async () => {
    agent.handle((_q, r) => json(r, 200, { approved: true }));
    const result = await client().preCheck({ query: 'hello' });
    expect(result).toMatchObject({ approved: true, failOpen: false, contextId: '' });
    expect(result.malformedFields).toEqual(['context_id']);
  });

  it('fails open when the agent refuses connections', async () => {
    const url = agent.url;
    await agent.close();
    const c = new AxonFlowClient({ endpoint: url, telemetry: false });
    clients.push(c);
    agent = await startScriptedAgent(); // for afterEach
    const result = await c.preCheck({ query: 'hello' });
    expect(result).toMatchObject({ approved: true, failOpen: true, failOpenReason: 'network' });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('rejects a prototype-polluting reply without touching prototypes', async () => {
    agent.handle((_q, r) =>
      json(
        r,
        200,
        '{"context_id":"c","approved":true,"__proto__":{"polluted":true},"approved_data":{"constructor":{"prototype":{"polluted":true}}}}',
      ),
    );
    const err = await client()
      .preCheck({ query: 'hello' })
      .catch(e => e);
    expect(err.code).toBe(ErrorCode.INVALID_RESPONSE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('does not cache a fail-open result: the next call asks the agent again', async () => {
    agent.handle((_q, r) => json(r, 503, 'down'));
    const c = client({ retry: { maxAttempts: 1 } });
    expect((await c.preCheck({ query: 'same' })).failOpen).toBe(true);
    agent.handle(approve());
    const second = await c.preCheck({ query: 'same' });
    expect(second).toMatchObject({ failOpen: false, approved: true, cached: false });
    expect(agent.count(PRE_CHECK)).toBe(2);
  });

  it('retries a 5xx once within the deadline, then succeeds', async () => {
    let n = 0;
    const ok = approve();
    agent.handle((q, r) => (++n === 1 ? json(r, 502, 'bad gateway') : ok(q, r)));
    const result = await client().preCheck({ query: 'retry me' });
    expect(result).toMatchObject({ approved: true, failOpen: false });
    expect(agent.count(PRE_CHECK)).toBe(2);
  });

  it('does not retry a 400: it is our bad request and it throws', async () => {
    agent.handle((_q, r) => json(r, 400, { success: false, error: 'query field is required' }));
    const err = await client()
      .preCheck({ query: '' })
      .catch(e => e);
    expect(err.code).toBe(ErrorCode.REQUEST_REJECTED);
    // The agent's own words stay out of the message (it may echo the prompt back).
    expect(err.message).toMatch(/rejected the request \(HTTP 400\)/);
    expect(err.message).not.toMatch(/query field is required/);
    expect(agent.count(PRE_CHECK)).toBe(1);
  });
});

describe('sandbox mode throws typed errors', () => {
  const cases: [string, (agent: ScriptedAgent) => void, string][] = [
    ['HTTP 500', a => a.handle((_q, r) => json(r, 500, {})), ErrorCode.UNAVAILABLE],
    ['HTTP 401', a => a.handle((_q, r) => json(r, 401, {})), ErrorCode.AUTH],
    ['garbage', a => a.handle((_q, r) => json(r, 200, 'not json')), ErrorCode.INVALID_RESPONSE],
  ];
  for (const [name, setup, code] of cases) {
    it(`throws ${code} on ${name}`, async () => {
      setup(agent);
      const err = await client({ mode: 'sandbox', retry: { maxAttempts: 1 } })
        .preCheck({ query: 'x' })
        .catch(e => e);
      expect(err.code).toBe(code);
      expect(err.name).toMatch(/Error$/);
    });
  }
});

describe('deadline and bounds', () => {
  it('gives up on an agent that never sends headers at the deadline', async () => {
    agent.handle(() => undefined); // accept, never answer
    const started = performance.now();
    const result = await client({ timeoutMs: 150 }).preCheck({ query: 'x' });
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ failOpen: true, failOpenReason: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(140);
    // Our deadline, not undici's 300 s headers timeout: generous, as a busy machine is slow.
    expect(elapsed).toBeLessThan(scaled(5_000));
  });

  it('gives up on a slow-drip body at the overall deadline', async () => {
    agent.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = '{"context_id":"c","approved":true,"policies":[]}';
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= body.length) {
          clearInterval(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(body[i++]!);
      }, 40);
    });
    const result = await client({ timeoutMs: 200, retry: { maxAttempts: 1 } }).preCheck({
      query: 'x',
    });
    expect(result).toMatchObject({ failOpen: true, failOpenReason: 'timeout' });
  });

  it('cuts off a 10 MB reply at the size cap and blocks (an oversized verdict is unreadable)', async () => {
    agent.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = () => {
        while (sent < 10 * 1024 * 1024 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    const err = await client({ maxResponseBytes: 64 * 1024 })
      .preCheck({ query: 'x' })
      .catch(e => e);
    expect(err.code).toBe(ErrorCode.INVALID_RESPONSE);
    expect(err.message).toMatch(/too large/);
  });

  it('rejects a reply whose declared length is over the cap without reading it', async () => {
    agent.handle((_q, res) => {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      res.write('{');
    });
    const err = await client({ maxResponseBytes: 1024 })
      .preCheck({ query: 'x' })
      .catch(e => e);
    expect(err.code).toBe(ErrorCode.INVALID_RESPONSE);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, refuses calls without reaching the agent, probes once, then closes', async () => {
    // Only the wall clock the breaker reads is fake (set before the client exists, which keeps
    // `Date.now`); timers and sockets are real, so the HTTP exchanges run as usual.
    vi.useFakeTimers({ toFake: ['Date'] });
    agent.handle((_q, r) => json(r, 503, 'down'));
    const c = client({
      retry: { maxAttempts: 1 },
      breaker: { failureThreshold: 3, resetTimeoutMs: 150 },
    });
    for (let i = 0; i < 3; i++) await c.preCheck({ query: `q${i}` });
    expect(c.breakerState).toBe('open');
    const hits = agent.count();
    const refused = await c.preCheck({ query: 'while open' });
    expect(refused).toMatchObject({ failOpen: true, failOpenReason: 'circuit_open' });
    expect(agent.count()).toBe(hits);

    vi.advanceTimersByTime(149);
    expect((await c.preCheck({ query: 'still open' })).failOpenReason).toBe('circuit_open');
    expect(agent.count()).toBe(hits);

    vi.advanceTimersByTime(1);
    // Half-open: a failing probe re-opens the circuit.
    await c.preCheck({ query: 'probe 1' });
    expect(agent.count()).toBe(hits + 1);
    expect(c.breakerState).toBe('open');

    vi.advanceTimersByTime(150);
    agent.handle(approve());
    // Only one of two concurrent calls is let through as the probe.
    const [a, b] = await Promise.all([
      c.preCheck({ query: 'probe 2' }),
      c.preCheck({ query: 'probe 3' }),
    ]);
    expect(agent.count()).toBe(hits + 2);
    expect([a.failOpenReason, b.failOpenReason].sort()).toEqual(['circuit_open', undefined].sort());
    expect(c.breakerState).toBe('closed');
    expect((await c.preCheck({ query: 'after close' })).failOpen).toBe(false);
  });

  it('does not count auth errors, so they are never hidden behind an open circuit', async () => {
    agent.handle((_q, r) => json(r, 401, { error: 'bad key' }));
    const c = client({ breaker: { failureThreshold: 2 } });
    for (let i = 0; i < 5; i++)
      expect((await c.preCheck({ query: `q${i}` }).catch(e => e)).code).toBe(ErrorCode.AUTH);
    expect(c.breakerState).toBe('closed');
    expect(agent.count()).toBe(5);
  });

  it('throws circuit-open as UnavailableError in sandbox mode', async () => {
    agent.handle((_q, r) => json(r, 500, {}));
    const c = client({
      mode: 'sandbox',
      retry: { maxAttempts: 1 },
      breaker: { failureThreshold: 1 },
    });
    await c.preCheck({ query: 'a' }).catch(() => undefined);
    const err = await c.preCheck({ query: 'b' }).catch(e => e);
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, reason: 'circuit_open' });
  });
});

describe('decision cache', () => {
  it('serves a repeated check from the cache', async () => {
    const c = client();
    const first = await c.preCheck({ query: 'hello', userToken: 'u1' });
    const second = await c.preCheck({ query: 'hello', userToken: 'u1' });
    expect(first.cached).toBe(false);
    expect(second).toMatchObject({ cached: true, contextId: first.contextId, approved: true });
    expect(agent.count(PRE_CHECK)).toBe(1);
  });

  it('caches a deny as well', async () => {
    agent.handle((_q, r) => json(r, 200, { context_id: 'd', approved: false, block_reason: 'no' }));
    const c = client();
    await c.preCheck({ query: 'bad' });
    expect((await c.preCheck({ query: 'bad' })).approved).toBe(false);
    expect(agent.count(PRE_CHECK)).toBe(1);
  });

  it('coalesces 100 concurrent identical checks into one agent request', async () => {
    const ok = approve();
    agent.handle((q, r) => void setTimeout(() => ok(q, r), 30));
    const c = client();
    const results = await Promise.all(
      Array.from({ length: 100 }, () => c.preCheck({ query: 'same prompt', userToken: 'u' })),
    );
    expect(agent.count(PRE_CHECK)).toBe(1);
    expect(new Set(results.map(r => r.contextId)).size).toBe(1);
  });

  it('keeps users and tenants apart: same prompt, two users, two agent requests', async () => {
    const c = client();
    await c.preCheck({ query: 'same prompt', userToken: 'alice' });
    const bob = await c.preCheck({ query: 'same prompt', userToken: 'bob' });
    expect(bob.cached).toBe(false);
    expect(agent.count(PRE_CHECK)).toBe(2);
    const other = client({ clientId: 'tenant-b' });
    expect((await other.preCheck({ query: 'same prompt', userToken: 'alice' })).cached).toBe(false);
    expect(agent.count(PRE_CHECK)).toBe(3);
  });

  it('keys on context too', async () => {
    const c = client();
    await c.preCheck({ query: 'p', context: { model: 'a' } });
    await c.preCheck({ query: 'p', context: { model: 'b' } });
    await c.preCheck({ query: 'p', context: { model: 'a' } });
    expect(agent.count(PRE_CHECK)).toBe(2);
  });

  it('bounds the TTL by expires_at', async () => {
    // Fake clocks only (Date for expires_at, performance for entry ages); timers and sockets are
    // real. A fake performance clock starts at 0, which lru-cache takes for "no start time".
    vi.useFakeTimers({ toFake: ['Date', 'performance'] });
    vi.advanceTimersByTime(1_000);
    agent.handle(approve({ expires_at: new Date(Date.now() + 120).toISOString() }));
    // lru-cache reuses a clock reading for 1 ms of real time (its timer is real here), so each
    // client's cache is read once after the clock moves.
    const early = client({ cache: { ttlMs: 60_000 } });
    const late = client({ cache: { ttlMs: 60_000 } });
    await early.preCheck({ query: 'short lived' });
    await late.preCheck({ query: 'short lived' });
    vi.advanceTimersByTime(120);
    expect((await early.preCheck({ query: 'short lived' })).cached).toBe(true);
    vi.advanceTimersByTime(1);
    // 60 s of configured TTL left, but the agent said the decision expires.
    expect((await late.preCheck({ query: 'short lived' })).cached).toBe(false);
    expect(agent.count(PRE_CHECK)).toBe(3);
  });

  it('does not cache a decision that has already expired', async () => {
    agent.handle(approve({ expires_at: new Date(Date.now() - 1000).toISOString() }));
    const c = client();
    await c.preCheck({ query: 'stale' });
    expect((await c.preCheck({ query: 'stale' })).cached).toBe(false);
  });

  it('stays within max entries', async () => {
    const c = client({ cache: { max: 10 } });
    for (let i = 0; i < 50; i++) await c.preCheck({ query: `q${i}` });
    expect(c.cacheSize).toBe(10);
  });

  it('can be turned off', async () => {
    const c = client({ cache: { enabled: false } });
    await c.preCheck({ query: 'x' });
    expect((await c.preCheck({ query: 'x' })).cached).toBe(false);
    expect(agent.count(PRE_CHECK)).toBe(2);
  });
});

describe('secrets never appear in errors', () => {
  it('keeps the secret, license key and user token out of every error message, even when the agent echoes them', async () => {
    agent.handle((q, r) =>
      json(r, 400, {
        success: false,
        error: `bad request ${q.headers.authorization} ${q.headers['x-license-key']} ${q.body}`,
      }),
    );
    const c = client({
      clientId: 'acme',
      clientSecret: SECRET,
      licenseKey: LICENSE,
      userToken: 'tok-USER-TOKEN-77',
      mode: 'sandbox',
    });
    const errors: Error[] = [];
    await c.preCheck({ query: 'x' }).catch(e => errors.push(e));
    await c
      .auditLLMCall({
        contextId: 'c',
        responseSummary: 's',
        provider: 'p',
        model: 'm',
        tokenUsage: { promptTokens: 1, completionTokens: 1 },
        latencyMs: 1,
      })
      .catch(e => errors.push(e));
    agent.handle((_q, r) => json(r, 500, { error: SECRET }));
    await c.proxyLLMCall({ query: 'y' }).catch(e => errors.push(e));
    expect(errors).toHaveLength(3);
    const basic = Buffer.from(`acme:${SECRET}`).toString('base64');
    for (const e of errors) {
      const text = `${e.message} ${String(e.stack)} ${JSON.stringify(e)}`;
      for (const s of [SECRET, LICENSE, 'tok-USER-TOKEN-77', basic]) expect(text).not.toContain(s);
    }
  });
});

describe('proxyLLMCall and friends', () => {
  it('returns a 403 policy block as a result with policy info', async () => {
    agent.handle((_q, r) =>
      json(r, 403, {
        success: false,
        blocked: true,
        block_reason: 'SQL injection attempt detected: union_select',
        policy_info: {
          policies_evaluated: ['union_select'],
          static_checks: ['sql_injection'],
          processing_time: '152.3µs',
          tenant_id: 't',
        },
      }),
    );
    const result = await client().proxyLLMCall({
      query: "' UNION SELECT * FROM users",
      requestType: 'chat',
    });
    expect(result).toMatchObject({ blocked: true, success: false, failOpen: false });
    expect(result.policyInfo).toMatchObject({
      policiesEvaluated: ['union_select'],
      processingTime: '152.3µs',
    });
  });

  it('returns a 402 with budget info', async () => {
    agent.handle((_q, r) =>
      json(r, 402, {
        success: false,
        blocked: false,
        error: 'budget exceeded',
        budget_info: {
          used_usd: 12,
          limit_usd: 10,
          percentage: 120,
          exceeded: true,
          action: 'block',
        },
      }),
    );
    const result = await client().proxyLLMCall({ query: 'x' });
    expect(result.budgetInfo).toMatchObject({ exceeded: true, limit_usd: 10 });
  });

  it('caches chat-type results but never plans', async () => {
    agent.handle((_q, r) =>
      json(r, 200, {
        success: true,
        data: { plan_id: 'p1', steps: [] },
        plan_id: 'p1',
        result: 'ok',
      }),
    );
    const c = client();
    await c.proxyLLMCall({ query: 'hi' });
    expect((await c.proxyLLMCall({ query: 'hi' })).cached).toBe(true);
    await c.generatePlan('plan a trip');
    await c.generatePlan('plan a trip');
    expect(agent.count('/api/request')).toBe(3);
  });

  it('does not retry a mutation', async () => {
    agent.handle((_q, r) => json(r, 503, 'down'));
    const err = await client()
      .executePlan('p1')
      .catch(e => e);
    expect(err.code).toBe(ErrorCode.UNAVAILABLE);
    expect(agent.count('/api/request')).toBe(1);
  });

  it('throws PolicyViolationError for a blocked plan', async () => {
    agent.handle((_q, r) =>
      json(r, 403, {
        success: false,
        blocked: true,
        block_reason: 'Dangerous query detected: drop_table',
        policy_info: { policies_evaluated: ['drop_table'] },
      }),
    );
    const err = await client()
      .generatePlan('DROP TABLE users')
      .catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err).toMatchObject({ code: ErrorCode.POLICY_VIOLATION, policies: ['drop_table'] });
  });

  it('maps plans, plan status, cancel and connectors from their wire shapes', async () => {
    agent.handle((q, r) => {
      if (q.path === '/api/request') {
        const body = JSON.parse(q.body);
        if (body.request_type === 'multi-agent-plan')
          return json(r, 200, {
            success: true,
            plan_id: 'plan-1',
            data: {
              steps: [{ id: 's1', name: 'search', type: 'llm', depends_on: [] }],
              domain: 'travel',
            },
          });
        if (body.request_type === 'execute-plan')
          return json(r, 200, {
            success: true,
            data: {
              step_results: [{ step_id: 's1', status: 'completed' }],
              completed_steps: 1,
              total_steps: 1,
            },
          });
        if (body.request_type === 'mcp-query')
          return json(r, 200, {
            success: true,
            data: { rows: [{ id: 1 }] },
            metadata: { connector: body.context.connector },
          });
      }
      if (q.path === '/api/v1/plan/plan-1')
        return json(r, 200, { plan_id: 'plan-1', status: 'completed', step_results: [] });
      if (q.path === '/api/v1/plan/plan-1/cancel')
        return json(r, 200, { plan_id: 'plan-1', status: 'cancelled', success: true });
      if (q.path === '/api/v1/connectors')
        return json(r, 200, { connectors: [{ id: 'demo', name: 'Demo' }], total: 1 });
      if (q.path === '/api/v1/connectors/demo')
        return json(r, 200, { id: 'demo', name: 'Demo', installed: true });
      return json(r, 404, { success: false, error: 'not found' });
    });
    const c = client();
    const plan = await c.generatePlan('book a trip', 'travel');
    expect(plan).toMatchObject({ planId: 'plan-1', domain: 'travel', success: true });
    expect(plan.steps[0]).toMatchObject({ id: 's1', name: 'search' });
    expect(await c.executePlan('plan-1')).toMatchObject({
      planId: 'plan-1',
      status: 'completed',
      completedSteps: 1,
    });
    expect(await c.getPlanStatus('plan-1')).toMatchObject({
      planId: 'plan-1',
      status: 'completed',
    });
    expect(await c.cancelPlan('plan-1')).toEqual({
      planId: 'plan-1',
      status: 'cancelled',
      success: true,
    });
    expect(JSON.parse(agent.requests.at(-1)!.body)).toEqual({ reason: 'user_cancelled' });
    expect(await c.listConnectors()).toMatchObject([{ id: 'demo', name: 'Demo', tags: [] }]);
    expect(await c.getConnector('demo')).toMatchObject({ id: 'demo', installed: true });
    expect(await c.queryConnector('demo', 'select', { limit: 1 })).toMatchObject({
      success: true,
      data: { rows: [{ id: 1 }] },
    });
    const err = await c.getConnector('missing').catch(e => e);
    expect(err).toMatchObject({ code: ErrorCode.REQUEST_REJECTED, status: 404 });
  });
});

describe('auditLLMCall', () => {
  it('sends the audit wire body and returns the audit id', async () => {
    agent.handle((_q, r) => json(r, 200, { success: true, audit_id: 'audit-1' }));
    const result = await client({ clientId: 'acme' }).auditLLMCall({
      contextId: 'ctx-1',
      responseSummary: 'Paris',
      provider: 'openai',
      model: 'gpt-4o',
      tokenUsage: { promptTokens: 10, completionTokens: 2 },
      latencyMs: 12.6,
    });
    expect(result).toEqual({ success: true, auditId: 'audit-1' });
    expect(JSON.parse(agent.requests[0]!.body)).toEqual({
      context_id: 'ctx-1',
      client_id: 'acme',
      response_summary: 'Paris',
      provider: 'openai',
      model: 'gpt-4o',
      token_usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
      latency_ms: 13,
      metadata: {},
    });
  });

  it('throws typed errors even in production mode (its caller decides about retries)', async () => {
    agent.handle((_q, r) => json(r, 400, { success: false, error: 'Invalid or expired context' }));
    const err = await client()
      .auditLLMCall({
        contextId: 'nope',
        responseSummary: '',
        provider: 'p',
        model: 'm',
        tokenUsage: { promptTokens: 0, completionTokens: 0 },
        latencyMs: 0,
      })
      .catch(e => e);
    expect(err).toMatchObject({ code: ErrorCode.REQUEST_REJECTED, status: 400 });
    expect(err.message).not.toMatch(/Invalid or expired context/);
  });
});

describe('healthCheck', () => {
  it('reports healthy with the version', async () => {
    agent.handle((_q, r) =>
      json(r, 200, { status: 'healthy', service: 'axonflow-agent', version: '1.2.3' }),
    );
    expect(await client().healthCheck()).toMatchObject({
      status: 'healthy',
      version: '1.2.3',
      error: undefined,
    });
  });

  it('reports degraded while the agent is starting', async () => {
    agent.handle((_q, r) => json(r, 503, { status: 'starting' }));
    expect((await client().healthCheck()).status).toBe('degraded');
  });

  it('never throws, even when the agent is gone', async () => {
    const url = agent.url;
    await agent.close();
    const c = new AxonFlowClient({ endpoint: url, telemetry: false, mode: 'sandbox' });
    clients.push(c);
    agent = await startScriptedAgent();
    expect(await c.healthCheck()).toMatchObject({ status: 'unhealthy' });
  });
});

describe('close', () => {
  it('is idempotent, and a closed client fails open in production', async () => {
    const c = client();
    await c.close();
    await c.close();
    expect((await c.preCheck({ query: 'after close' })).failOpen).toBe(true);
  });
});
