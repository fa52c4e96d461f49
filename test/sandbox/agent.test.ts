import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AuditResultSchema,
  CancelPlanResponseSchema,
  ClientResponseSchema,
  ConnectorListSchema,
  ConnectorMetadataSchema,
  HealthResponseSchema,
  PlanExecutionResponseSchema,
  PlanResponseSchema,
  PreCheckResponseSchema,
} from '../../src/client/wire.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { getJson, postJson, useSandbox } from './support/sandbox.js';

const dir = await mkdtemp(join(tmpdir(), 'axonflow-sandbox-'));
const auditFile = join(dir, 'audit.jsonl');
afterAll(() => rm(dir, { recursive: true, force: true }));

const sandbox = useSandbox({ auditFile });
const url = (path: string) => `${sandbox().url}${path}`;

describe('health', () => {
  it('answers like a community agent', async () => {
    const { status, body } = await getJson(url('/health'));
    expect(status).toBe(200);
    const health = HealthResponseSchema.parse(body);
    expect(health).toMatchObject({ status: 'healthy', service: 'axonflow-agent' });
    expect(Number.isNaN(Date.parse(health.timestamp ?? ''))).toBe(false);
    expect(health.version).toBeTruthy();
  });
});

describe('bad input never crashes the server', () => {
  it('answers 404 with the envelope for an unknown path, 405 for a wrong method', async () => {
    expect(await getJson(url('/api/nope'))).toMatchObject({
      status: 404,
      body: { success: false, error: expect.stringContaining('/api/nope') },
    });
    expect(await getJson(url('/api/policy/pre-check'))).toMatchObject({
      status: 405,
      body: { success: false },
    });
  });

  it('rejects malformed JSON, non-objects and wrong types with 400', async () => {
    for (const path of ['/api/policy/pre-check', '/api/audit/llm-call']) {
      for (const body of ['{not json', '[1,2]', '"text"', '']) {
        expect(await postJson(url(path), body)).toMatchObject({
          status: 400,
          body: { success: false, error: 'Invalid request body' },
        });
      }
    }
    expect(
      await postJson(url('/api/policy/pre-check'), { query: 42, client_id: 'c' }),
    ).toMatchObject({
      status: 400,
      body: { error: 'Invalid request body' },
    });
    expect(await postJson(url('/api/request'), '{oops')).toEqual(
      expect.objectContaining({
        status: 400,
        body: { success: false, error: 'Invalid request body', blocked: false },
      }),
    );
    expect(
      await postJson(url('/api/request'), { query: 'hi', request_type: 'chat', context: 'x' }),
    ).toMatchObject({ status: 400, body: { error: 'Invalid request body', blocked: false } });
  });

  it('refuses bodies over the cap with 413', async () => {
    const big = JSON.stringify({ query: 'x'.repeat(1024 * 1024 + 10), client_id: 'c' });
    const { status, body } = await postJson(url('/api/policy/pre-check'), big);
    expect(status).toBe(413);
    expect(body).toEqual({ success: false, error: 'Request body too large' });
  });

  it('refuses an oversized chunked body mid-way', async () => {
    const small = await startSandbox({ maxBodyBytes: 64 });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${small.url}/api/request`, { method: 'POST' }, res => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write('{"query":"');
        req.write('y'.repeat(200));
        req.end('"}');
      });
      expect(status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('still serves after all that', async () => {
    expect((await getJson(url('/health'))).status).toBe(200);
  });
});

describe('POST /api/policy/pre-check', () => {
  it('approves a benign query with a context that expires in five minutes', async () => {
    const before = Date.now();
    const { status, body } = await postJson(url('/api/policy/pre-check'), {
      user_token: 'u',
      client_id: 'app-1',
      query: 'What is the capital of France?',
      data_sources: [],
      context: {},
    });
    expect(status).toBe(200);
    const reply = PreCheckResponseSchema.parse(body);
    expect(reply.approved).toBe(true);
    expect(reply.policies).toEqual([]);
    expect(reply.context_id).toMatch(/^[0-9a-f-]{36}$/);
    const expires = Date.parse(reply.expires_at ?? '');
    expect(expires - before).toBeGreaterThanOrEqual(5 * 60 * 1000 - 1000);
    expect(expires - before).toBeLessThanOrEqual(5 * 60 * 1000 + 1000);
  });

  it('denies with HTTP 200, approved:false, the reason and the policy', async () => {
    const { status, body } = await postJson(url('/api/policy/pre-check'), {
      client_id: 'app-1',
      query: 'email a@b.co and SSN 123-45-6789',
    });
    expect(status).toBe(200);
    expect(PreCheckResponseSchema.parse(body)).toMatchObject({
      approved: false,
      policies: ['ssn_detection'],
      block_reason: 'Social Security Number detected - automatic redaction required',
    });
  });

  it('approves and lists a medium policy, as the platform does, without asking for redaction', async () => {
    const { body } = await postJson(url('/api/policy/pre-check'), {
      client_id: 'app-1',
      query: 'send it to jane@example.com',
    });
    expect(body).toMatchObject({ approved: true, policies: ['email_detection'] });
    expect(body).not.toHaveProperty('requires_redaction');
  });

  it('asks for redaction of a medium policy with askRedaction', async () => {
    const asking = await startSandbox({ askRedaction: true });
    try {
      const { body } = await postJson(`${asking.agentUrl}/api/policy/pre-check`, {
        client_id: 'app-1',
        query: 'send it to jane@example.com',
      });
      expect(body).toMatchObject({
        approved: true,
        policies: ['email_detection'],
        requires_redaction: true,
      });
    } finally {
      await asking.close();
    }
  });

  it('requires query and client_id', async () => {
    expect(await postJson(url('/api/policy/pre-check'), { client_id: 'c' })).toMatchObject({
      status: 400,
      body: { success: false, error: 'query field is required' },
    });
    expect(
      await postJson(url('/api/policy/pre-check'), { query: 'hi', client_id: '' }),
    ).toMatchObject({
      status: 400,
      body: { success: false, error: 'client_id field is required' },
    });
  });
});

describe('POST /api/audit/llm-call', () => {
  const audit = (contextId: string, clientId = 'app-2') => ({
    context_id: contextId,
    client_id: clientId,
    response_summary: 'Paris',
    provider: 'openai',
    model: 'gpt-4o-mini',
    token_usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    latency_ms: 42,
    metadata: { trace: 'abc' },
  });

  it('records an audit for a live context, in memory, on disk and in the listing', async () => {
    const pre = await postJson(url('/api/policy/pre-check'), {
      client_id: 'app-2',
      query: 'hello',
    });
    const contextId = pre.body.context_id as string;
    const { status, body } = await postJson(url('/api/audit/llm-call'), audit(contextId));
    expect(status).toBe(200);
    const result = AuditResultSchema.parse(body);
    expect(result.success).toBe(true);
    expect(result.audit_id).toMatch(/^[0-9a-f-]{36}$/);

    const record = sandbox()
      .audits()
      .find(a => a.audit_id === result.audit_id);
    expect(record).toMatchObject({
      context_id: contextId,
      client_id: 'app-2',
      provider: 'openai',
      token_usage: { total_tokens: 15 },
      latency_ms: 42,
      approved: true,
      metadata: { trace: 'abc' },
    });
    expect(record?.cost_usd).toBeCloseTo(0.00015);

    const lines = (await readFile(auditFile, 'utf8')).trim().split('\n');
    expect(lines.map(l => JSON.parse(l).audit_id)).toContain(result.audit_id);

    const listed = await getJson(url(`/api/v1/audit/llm-calls?context_id=${contextId}`));
    expect(listed.body.total).toBe(1);
    expect(listed.body.audits[0].audit_id).toBe(result.audit_id);
  });

  it('accepts the request_id of an allowed /api/request as context', async () => {
    const req = await postJson(url('/api/request'), {
      query: 'hi',
      request_type: 'llm_chat',
      client_id: 'app-2',
      user_token: '',
      context: {},
    });
    expect(req.body.request_id).toBeTruthy();
    expect((await postJson(url('/api/audit/llm-call'), audit(req.body.request_id))).status).toBe(
      200,
    );
  });

  it('rejects unknown contexts, other clients and missing fields with 400', async () => {
    expect(
      await postJson(url('/api/audit/llm-call'), audit('00000000-0000-0000-0000-000000000000')),
    ).toMatchObject({
      status: 400,
      body: { success: false, error: 'Invalid or expired context' },
    });
    const pre = await postJson(url('/api/policy/pre-check'), {
      client_id: 'owner',
      query: 'hello',
    });
    expect(
      await postJson(url('/api/audit/llm-call'), audit(pre.body.context_id, 'intruder')),
    ).toMatchObject({
      status: 400,
      body: { error: 'Invalid or expired context' },
    });
    for (const field of ['context_id', 'client_id', 'provider', 'model'] as const) {
      const body: Record<string, unknown> = audit(pre.body.context_id, 'owner');
      delete body[field];
      expect(await postJson(url('/api/audit/llm-call'), body)).toMatchObject({
        status: 400,
        body: { error: `${field} field is required` },
      });
    }
    const wrongType = {
      ...audit(pre.body.context_id, 'owner'),
      token_usage: { total_tokens: 'many' },
    };
    expect((await postJson(url('/api/audit/llm-call'), wrongType)).status).toBe(400);
  });

  it('rejects an expired context', async () => {
    const shortLived = await startSandbox({ contextTtlMs: 30 });
    try {
      const pre = await postJson(`${shortLived.url}/api/policy/pre-check`, {
        client_id: 'c',
        query: 'hi',
      });
      await new Promise(r => setTimeout(r, 60));
      const res = await postJson(`${shortLived.url}/api/audit/llm-call`, {
        ...audit(pre.body.context_id, 'c'),
      });
      expect(res).toMatchObject({ status: 400, body: { error: 'Invalid or expired context' } });
      expect(shortLived.audits()).toEqual([]);
    } finally {
      await shortLived.close();
    }
  });
});

describe('POST /api/request', () => {
  const ask = (body: Record<string, unknown>, headers?: Record<string, string>) =>
    postJson(
      url('/api/request'),
      { user_token: 'u', client_id: 'app-3', context: {}, ...body },
      headers,
    );

  it('answers an allowed chat with data, result, request_id and policy info', async () => {
    const { status, body } = await ask({
      query: 'What is the capital of France?',
      request_type: 'chat',
    });
    expect(status).toBe(200);
    const reply = ClientResponseSchema.parse(body);
    expect(reply).toMatchObject({ success: true, blocked: false });
    expect(reply.result).toContain('What is the capital of France?');
    expect(reply.data).toMatchObject({ usage: { prompt_tokens: 7 } });
    expect(reply.policy_info).toMatchObject({ policies_evaluated: [], tenant_id: 'app-3' });
    expect(reply.policy_info?.static_checks).toContain('pii_detection');
    // Deterministic: the same prompt gives the same answer.
    expect(
      (await ask({ query: 'What is the capital of France?', request_type: 'chat' })).body.result,
    ).toBe(reply.result);
  });

  it('blocks with 403 and the platform body', async () => {
    const { status, body } = await ask({
      query: 'my SSN is 123-45-6789',
      request_type: 'llm_chat',
    });
    expect(status).toBe(403);
    expect(body).toMatchObject({
      success: false,
      blocked: true,
      block_reason: 'Social Security Number detected - automatic redaction required',
      policy_info: { policies_evaluated: ['ssn_detection'], tenant_id: 'app-3' },
    });
    expect(body.policy_info.processing_time).toMatch(/^\d+(\.\d+)?(ns|µs|ms|s)$/);
  });

  it('takes the client from Basic auth when the body has none', async () => {
    const auth = `Basic ${Buffer.from('basic-client:secret').toString('base64')}`;
    const { body } = await postJson(
      url('/api/request'),
      { query: 'hi', request_type: 'chat', user_token: '', context: {} },
      { authorization: auth },
    );
    expect(body.policy_info.tenant_id).toBe('basic-client');
  });

  it('blocks unknown request types and empty chat queries', async () => {
    expect(await ask({ query: 'hi', request_type: 'banana' })).toMatchObject({
      status: 403,
      body: { blocked: true, block_reason: 'Invalid request type' },
    });
    expect(await ask({ query: ' ', request_type: 'chat' })).toMatchObject({
      status: 403,
      body: { block_reason: 'Empty query not allowed' },
    });
  });

  it('returns a tool call when context tools are asked for', async () => {
    const { body } = await ask({
      query: "What's the weather in Paris?",
      request_type: 'chat',
      context: {
        tools: [
          { name: 'get_weather', input_schema: { properties: { city: { type: 'string' } } } },
        ],
      },
    });
    expect(body.data.tool_calls).toEqual([{ name: 'get_weather', arguments: { city: 'Paris' } }]);
  });

  it('skips the model with skip_llm', async () => {
    const { body } = await ask({ query: 'hi', request_type: 'llm_chat', skip_llm: true });
    expect(body).toMatchObject({ success: true, blocked: false, data: null });
    expect(body.request_id).toBeTruthy();
  });

  it('runs mcp-query against a demo connector and checks the statement', async () => {
    const { body } = await ask({
      query: 'SELECT * FROM orders',
      request_type: 'mcp-query',
      context: { connector: 'sandbox-orders', params: { customer: 'Acme Corp', limit: 5 } },
    });
    expect(body.success).toBe(true);
    expect(body.data.map((r: { id: number }) => r.id)).toEqual([1001, 1003]);
    expect(body.metadata).toMatchObject({ connector: 'sandbox-orders', row_count: 2 });

    const kv = await ask({
      query: 'get key',
      request_type: 'mcp-query',
      context: { connector: 'sandbox-kv', params: { key: 'region.default' } },
    });
    expect(kv.body.data).toEqual([{ key: 'region.default', value: 'eu-west-1' }]);

    const unknown = await ask({
      query: 'x',
      request_type: 'mcp-query',
      context: { connector: 'nope' },
    });
    expect(unknown).toMatchObject({
      status: 200,
      body: { success: false, error: 'Connector not found: nope' },
    });

    const injected = await ask({
      query: 'SELECT * FROM orders WHERE id = 1 OR 1=1',
      request_type: 'mcp-query',
      context: { connector: 'sandbox-orders' },
    });
    expect(injected).toMatchObject({
      status: 403,
      body: { policy_info: { policies_evaluated: ['or_true_condition'] } },
    });
  });

  it('generates, inspects, executes and cancels plans', async () => {
    const gen = await ask({
      query: 'Find the top customers then draft a thank-you note',
      request_type: 'multi-agent-plan',
      context: { domain: 'sales', execution_mode: 'sequential' },
    });
    expect(gen.status).toBe(200);
    const planId = gen.body.plan_id as string;
    expect(planId).toMatch(/^plan_/);
    const plan = PlanResponseSchema.parse(gen.body.data);
    expect(plan.steps.map(s => s.description)).toEqual([
      'Find the top customers',
      'draft a thank-you note',
    ]);
    expect(plan.steps[1]?.depends_on).toEqual(['step_1']);

    const pending = await getJson(url(`/api/v1/plan/${planId}`));
    expect(PlanExecutionResponseSchema.parse(pending.body)).toMatchObject({
      status: 'pending',
      total_steps: 2,
      completed_steps: 0,
    });

    const run = await ask({
      query: '',
      request_type: 'execute-plan',
      context: { plan_id: planId },
    });
    expect(run.status).toBe(200);
    const execution = PlanExecutionResponseSchema.parse(run.body.data);
    expect(execution).toMatchObject({ status: 'completed', completed_steps: 2, total_steps: 2 });
    expect(execution.step_results[0]?.result).toContain('Find the top customers');
    expect((await getJson(url(`/api/v1/plan/${planId}`))).body.status).toBe('completed');
    expect((await postJson(url(`/api/v1/plan/${planId}/cancel`), {})).status).toBe(409);

    const other = await ask({ query: 'Plan a trip to Rome', request_type: 'generate-plan' });
    const otherId = other.body.plan_id as string;
    expect(other.body.data.steps).toHaveLength(2);
    const cancel = await postJson(url(`/api/v1/plan/${otherId}/cancel`), {
      reason: 'changed mind',
    });
    expect(CancelPlanResponseSchema.parse(cancel.body)).toEqual({
      plan_id: otherId,
      status: 'cancelled',
      success: true,
    });
    expect(
      await ask({ query: '', request_type: 'execute-plan', context: { plan_id: otherId } }),
    ).toMatchObject({ status: 409 });
  });

  it('answers unknown plans with 404 and a missing plan id with 400', async () => {
    expect(await getJson(url('/api/v1/plan/plan_missing'))).toMatchObject({
      status: 404,
      body: { success: false },
    });
    expect((await postJson(url('/api/v1/plan/plan_missing/cancel'), '')).status).toBe(404);
    expect(
      await ask({ query: '', request_type: 'execute-plan', context: { plan_id: 'nope' } }),
    ).toMatchObject({
      status: 404,
    });
    expect(await ask({ query: '', request_type: 'execute-plan' })).toMatchObject({ status: 400 });
  });
});

describe('connectors', () => {
  it('lists and describes the demo connectors', async () => {
    const list = ConnectorListSchema.parse((await getJson(url('/api/v1/connectors'))).body);
    expect(list.total).toBe(list.connectors.length);
    expect(list.connectors.map(c => c.id)).toEqual(['sandbox-orders', 'sandbox-kv']);
    const one = await getJson(url('/api/v1/connectors/sandbox-kv'));
    expect(ConnectorMetadataSchema.parse(one.body)).toMatchObject({
      id: 'sandbox-kv',
      installed: true,
    });
    expect((await getJson(url('/api/v1/connectors/sandbox-kv/health'))).body.healthy).toBe(true);
    expect((await getJson(url('/api/v1/connectors/missing/health'))).status).toBe(404);
    expect(await getJson(url('/api/v1/connectors/missing'))).toMatchObject({
      status: 404,
      body: { success: false, error: 'Connector not found: missing' },
    });
  });
});
