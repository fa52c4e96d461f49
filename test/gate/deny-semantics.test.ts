/**
 * A deny is a deny, whatever else the reply gets wrong: any pre-check reply from which
 * `approved === false` (or `blocked === true`) can be read blocks the call, whatever its HTTP
 * status (the platform sends budget denies as 402 and tenant denies as 403) and however malformed
 * its side fields, which are read leniently and named on the result and the pre_check span.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, PolicyViolationError } from '../../src/index.js';
import { json } from '../helpers/scripted-agent.js';
import { type GateWorld, MODEL, PRE_CHECK, startGateWorld } from './world.js';

let w: GateWorld;

beforeAll(async () => {
  w = await startGateWorld();
});

afterAll(async () => {
  await w.close();
});

beforeEach(() => {
  w.reset();
});

const BUDGET_DENY = {
  context_id: 'ctx-budget',
  approved: false,
  block_reason: 'Monthly budget of $50.00 exceeded',
  policies: ['budget_cap'],
};

describe('platform denies with a non-200 status', () => {
  it('reads a 402 budget deny as a deny with its block reason, in production and sandbox mode', async () => {
    w.agent.handle((_q, res) => json(res, 402, BUDGET_DENY));
    for (const mode of ['production', 'sandbox'] as const) {
      const result = await w.client({ mode }).preCheck({ query: 'spend more' });
      expect(result, mode).toMatchObject({
        approved: false,
        failOpen: false,
        contextId: 'ctx-budget',
        blockReason: 'Monthly budget of $50.00 exceeded',
        policies: ['budget_cap'],
      });
    }
  });

  it('reads a 403 tenant-mismatch reply carrying approved:false as a deny, not as an auth failure', async () => {
    w.agent.handle((_q, res) =>
      json(res, 403, {
        success: false,
        approved: false,
        error: 'Tenant mismatch',
        block_reason: 'Tenant mismatch',
      }),
    );
    const result = await w.client().preCheck({ query: 'other tenant' });
    expect(result).toMatchObject({
      approved: false,
      failOpen: false,
      blockReason: 'Tenant mismatch',
    });
  });

  it('reads blocked:true without approved as a deny, whatever the status', async () => {
    w.agent.handle((_q, res) =>
      json(res, 403, { success: false, blocked: true, block_reason: 'Client disabled' }),
    );
    const result = await w.client().preCheck({ query: 'blocked shape' });
    expect(result).toMatchObject({ approved: false, blockReason: 'Client disabled' });
  });
});

describe('hostile side fields next to approved:false', () => {
  // Each case: the extra fields of a deny reply, and the field named as dropped.
  const cases: [string, Record<string, unknown>, string][] = [
    ['context_id missing', { context_id: undefined }, 'context_id'],
    ['context_id numeric', { context_id: 4242 }, 'context_id'],
    ['context_id of 100,000 characters', { context_id: 'c'.repeat(100_000) }, 'context_id'],
    ['policies as one string', { policies: 'budget_cap' }, 'policies'],
    ['policies as a number', { policies: 7 }, 'policies'],
    [
      'policies with entries of every type',
      { policies: ['a', { name: 'b' }, 3, null] },
      'policies',
    ],
    ['block_reason as an object', { block_reason: { text: 'no' } }, 'block_reason'],
    ['block_reason as a number', { block_reason: 402 }, 'block_reason'],
    ['expires_at numeric', { expires_at: 1_767_225_600 }, 'expires_at'],
    ['expires_at not a date', { expires_at: 'soon' }, 'expires_at'],
    [
      'rate_limit.reset_at numeric',
      { rate_limit: { limit: 10, remaining: 0, reset_at: 1_767_225_600 } },
      'rate_limit.reset_at',
    ],
    ['rate_limit as a string', { rate_limit: 'exceeded' }, 'rate_limit'],
    ['requires_redaction as "true"', { requires_redaction: 'true' }, 'requires_redaction'],
  ];
  for (const [name, extra, field] of cases) {
    it(`still denies with ${name}, and names ${field} as dropped`, async () => {
      w.agent.handle((_q, res) => json(res, 200, { ...BUDGET_DENY, ...extra }));
      const result = await w.client().preCheck({ query: `hostile ${name}` });
      expect(result.approved).toBe(false);
      expect(result.failOpen).toBe(false);
      expect(result.malformedFields).toContain(field);
    });
  }

  it('keeps what is usable: policy objects by name or id, a numeric context id as text, a single policy string as a list', async () => {
    w.agent.handle((_q, res) =>
      json(res, 200, {
        approved: false,
        context_id: 4242,
        policies: [{ name: 'budget_cap' }, { id: 'sys_pii_ssn' }, { severity: 'high' }, 9],
        block_reason: 'Budget exceeded',
      }),
    );
    const result = await w.client().preCheck({ query: 'usable parts' });
    expect(result).toMatchObject({
      approved: false,
      contextId: '4242',
      policies: ['budget_cap', 'sys_pii_ssn'],
      blockReason: 'Budget exceeded',
    });
    expect(result.malformedFields).toEqual(['context_id', 'policies']);

    w.agent.handle((_q, res) => json(res, 200, { approved: false, policies: 'budget_cap' }));
    const single = await w.client().preCheck({ query: 'single policy' });
    expect(single.policies).toEqual(['budget_cap']);
  });

  it('never reads an approval out of approved:true next to blocked:true', async () => {
    w.agent.handle((_q, res) =>
      json(res, 200, { context_id: 'c', approved: true, blocked: true, block_reason: 'x' }),
    );
    const result = await w.client().preCheck({ query: 'contradiction' });
    expect(result.approved).toBe(false);
    expect(result.malformedFields).toContain('approved');
  });
});

describe('proxy replies with blocked:true', () => {
  it('reads a 403 block with malformed side fields as a block, keeping what is usable', async () => {
    w.agent.handle((_q, res) =>
      json(res, 403, {
        success: false,
        blocked: true,
        block_reason: 42,
        request_id: 77,
        policy_info: {
          policies_evaluated: [{ name: 'ssn_detection' }, 5],
          static_checks: 'pii_detection',
          processing_time: 1.5,
          tenant_id: 'acme',
        },
      }),
    );
    const result = await w.client().proxyLLMCall({ query: 'proxy hostile' });
    expect(result).toMatchObject({
      blocked: true,
      failOpen: false,
      blockReason: undefined,
      requestId: '77',
      policyInfo: {
        policiesEvaluated: ['ssn_detection'],
        staticChecks: ['pii_detection'],
        tenantId: 'acme',
      },
    });
    expect(result.malformedFields).toEqual(
      expect.arrayContaining([
        'request_id',
        'block_reason',
        'policy_info.policies_evaluated',
        'policy_info.static_checks',
        'policy_info.processing_time',
      ]),
    );
  });

  it('reads a 402 with blocked:true as a block with its reason', async () => {
    w.agent.handle((_q, res) =>
      json(res, 402, { success: false, blocked: true, block_reason: 'Budget exceeded' }),
    );
    const result = await w.client().proxyLLMCall({ query: 'proxy budget' });
    expect(result).toMatchObject({ blocked: true, blockReason: 'Budget exceeded' });
  });
});

describe('end to end through the openai SDK', () => {
  it('a 402 budget deny with hostile side fields rejects the call with PolicyViolationError; the model is never called; the pre_check span names the dropped fields', async () => {
    w.govern();
    w.agent.handle((_q, res) =>
      json(res, 402, {
        ...BUDGET_DENY,
        context_id: 99,
        expires_at: 1_767_225_600,
        policies: [{ name: 'budget_cap' }],
      }),
    );
    const err = (await w.chat('Spend another $20 on this')) as PolicyViolationError;
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err.code).toBe(ErrorCode.POLICY_VIOLATION);
    expect(err.blockReason).toBe('Monthly budget of $50.00 exceeded');
    expect(err.policies).toEqual(['budget_cap']);
    expect(err.contextId).toBe('99');
    expect(w.sandbox.modelRequests()).toBe(0);
    expect(w.agent.count(PRE_CHECK)).toBeGreaterThan(0);

    const pre = w.h.span('axonflow.pre_check');
    expect(pre.attributes['axonflow.decision']).toBe('deny');
    expect(pre.attributes['axonflow.reply.malformed_fields']).toEqual(['context_id', 'expires_at']);
    const chat = w.h.span(`chat ${MODEL}`);
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['axonflow.decision']).toBe('deny');
  });

  it('a 403 tenant deny rejects a streaming call before any model request', async () => {
    w.govern();
    w.agent.handle((_q, res) =>
      json(res, 403, { approved: false, block_reason: 'Tenant mismatch', context_id: 'ctx-t' }),
    );
    const err = (await w.chat('Stream me something', { stream: true })) as PolicyViolationError;
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err.code).toBe(ErrorCode.POLICY_VIOLATION);
    expect(err.blockReason).toBe('Tenant mismatch');
    expect(w.sandbox.modelRequests()).toBe(0);
  });
});
