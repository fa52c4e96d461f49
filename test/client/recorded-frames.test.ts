/**
 * The client's reading of agent replies, against replies recorded in the platform's own shapes
 * (`fixtures/agent/*.http`, `fixtures/axon/*.sse`; their READMEs name the sources), not against
 * this package's sandbox, which shares code with the client and so proves less.
 *
 * Each reply is checked twice: by the readers themselves (`reply.ts`, the `wire.ts` schemas, the
 * AXON decoder) on the recorded body, and end to end, served byte for byte over loopback to an
 * `AxonFlowClient`.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AxonStreamEvent } from '../../src/client/axon-stream.js';
import { decodeAxonStream } from '../../src/client/axon-stream.js';
import {
  AxonFlowClient,
  type AxonFlowClientConfig,
  ErrorCode,
  InvalidResponseError,
  PolicyViolationError,
} from '../../src/client/index.js';
import { isRecord, readBlockedClientResponse, readPreCheckReply } from '../../src/client/reply.js';
import { ClientResponseSchema } from '../../src/client/wire.js';
import { type ScriptedAgent, startScriptedAgent } from '../helpers/scripted-agent.js';

// --- Recordings ------------------------------------------------------------------------------------

const AGENT = new URL('./fixtures/agent/', import.meta.url);
const AXON = new URL('./fixtures/axon/', import.meta.url);

/** A recorded HTTP/1.1 response: status line, CRLF header lines, blank line, body. */
interface Recording {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function recording(name: string): Recording {
  const bytes = readFileSync(new URL(name, AGENT));
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`${name}: no end of headers`);
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = bytes.subarray(end + 4);
  // A recording that does not say its own length truly is a broken fixture, not a finding.
  expect(body.length, `${name}: Content-Length`).toBe(Number(headers['content-length']));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

const bodyOf = (name: string): unknown => JSON.parse(recording(name).body.toString('utf8'));

const sse = (name: string): Buffer => readFileSync(new URL(name, AXON));
const crlf = (body: Buffer): Buffer => Buffer.from(body.toString('utf8').replaceAll('\n', '\r\n'));

// --- Loopback agent replaying recordings ------------------------------------------------------------

let agent: ScriptedAgent;
const clients: AxonFlowClient[] = [];

beforeEach(async () => {
  agent = await startScriptedAgent();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map(c => c.close()));
  await agent.close();
});

function client(config: AxonFlowClientConfig = {}): AxonFlowClient {
  const c = new AxonFlowClient({
    endpoint: agent.url,
    telemetry: false,
    retry: { maxAttempts: 1 },
    cache: { enabled: false },
    ...config,
  });
  clients.push(c);
  return c;
}

/** Answers every request with the recorded status, headers and body bytes. */
function replay(name: string): void {
  const { status, headers, body } = recording(name);
  agent.handle((_req, res) => {
    res.writeHead(status, {
      'content-type': headers['content-type'] ?? '',
      'content-length': body.length,
      date: headers.date ?? '',
    });
    res.end(body);
  });
}

/** Answers with an AXON stream as the runtime's axum server sends it, in writes of `size` bytes. */
function replayStream(body: Buffer, size = body.length): void {
  agent.handle(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (let i = 0; i < body.length; i += size) {
      res.write(body.subarray(i, i + size));
      await new Promise(resolve => setImmediate(resolve));
    }
    res.end();
  });
}

async function collect(stream: AsyncIterable<AxonStreamEvent>): Promise<AxonStreamEvent[]> {
  const events: AxonStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function* once(body: Uint8Array): AsyncGenerator<Uint8Array> {
  yield body;
}

const text = (events: AxonStreamEvent[]) =>
  events.flatMap(e => (e.type === 'text_delta' ? [e.text] : [])).join('');

// --- Pre-check (POST /api/policy/pre-check) ---------------------------------------------------------

describe('pre-check replies as the agent encodes them', () => {
  it('reads an allow: context id, the triggered (logged) policy and a nanosecond expiry', async () => {
    const reading = readPreCheckReply(bodyOf('pre-check-allowed.http'));
    expect(reading).toStrictEqual({
      approved: true,
      contextId: '3f2b8c1e-7a4d-4e9b-b6f1-2c8d0e5a9f13',
      policies: ['sys_pii_email'],
      blockReason: undefined,
      // Go's RFC 3339 with nine fraction digits; a Date keeps the milliseconds.
      expiresAt: new Date('2026-01-04T10:25:31.482Z'),
      requiresRedaction: false,
      rateLimit: undefined,
      malformed: [],
    });

    replay('pre-check-allowed.http');
    const result = await client().preCheck({ query: 'write to ada@example.com' });
    expect(result).toMatchObject({
      approved: true,
      contextId: '3f2b8c1e-7a4d-4e9b-b6f1-2c8d0e5a9f13',
      policies: ['sys_pii_email'],
      failOpen: false,
    });
    expect(result.expiresAt?.toISOString()).toBe('2026-01-04T10:25:31.482Z');
    expect(result.malformedFields).toBeUndefined();
  });

  it('reads a deny (HTTP 200, approved false) with its policies and block_reason', async () => {
    expect(readPreCheckReply(bodyOf('pre-check-blocked.http'))).toMatchObject({
      approved: false,
      contextId: '9c41d7a2-5e3b-4f86-a0d9-7b12e6c4f258',
      policies: ['ssn_detection'],
      blockReason: 'Social Security Number detected - automatic redaction required',
      expiresAt: new Date('2026-01-04T10:26:02.918Z'),
      malformed: [],
    });

    replay('pre-check-blocked.http');
    for (const mode of ['production', 'sandbox'] as const) {
      const result = await client({ mode }).preCheck({ query: 'my SSN is 123-45-6789' });
      expect(result).toMatchObject({
        approved: false,
        policies: ['ssn_detection'],
        blockReason: 'Social Security Number detected - automatic redaction required',
        failOpen: false,
      });
    }
  });

  it('ignores fields it does not know, without calling them malformed', async () => {
    const body = bodyOf('pre-check-extra-fields.http');
    expect(body).toHaveProperty('decision_id');
    expect(readPreCheckReply(body)).toStrictEqual({
      approved: true,
      contextId: 'b7e0a3d5-1c9f-4a62-8e4b-5d3f7a1c0e96',
      policies: [],
      blockReason: undefined,
      expiresAt: new Date('2026-01-04T10:27:15.003Z'),
      requiresRedaction: false,
      rateLimit: { limit: 1000, remaining: 997, resetAt: new Date('2026-01-04T11:00:00Z') },
      malformed: [],
    });

    replay('pre-check-extra-fields.http');
    const result = await client().preCheck({ query: 'capital of France?', dataSources: ['kb'] });
    expect(result.approved).toBe(true);
    expect(result.rateLimit).toStrictEqual({
      limit: 1000,
      remaining: 997,
      resetAt: new Date('2026-01-04T11:00:00Z'),
    });
    expect(result).not.toHaveProperty('malformedFields');
    for (const unknown of ['decision_id', 'risk_level', 'policy_matches', 'processing_time_ms'])
      expect(JSON.stringify(result)).not.toContain(unknown);
  });

  it('keeps a deny a deny when its side fields are malformed, and names each one', async () => {
    expect(readPreCheckReply(bodyOf('pre-check-malformed-side-fields.http'))).toStrictEqual({
      approved: false,
      // A number is read as its text, and still reported.
      contextId: '42',
      // A single string is a list of one.
      policies: ['ssn_detection'],
      blockReason: 'Social Security Number detected - automatic redaction required',
      expiresAt: undefined,
      // A redaction request we cannot read is taken at its word.
      requiresRedaction: true,
      rateLimit: undefined,
      malformed: ['context_id', 'policies', 'expires_at', 'requires_redaction', 'rate_limit'],
    });

    replay('pre-check-malformed-side-fields.http');
    const result = await client().preCheck({ query: 'my SSN is 123-45-6789' });
    expect(result).toMatchObject({ approved: false, failOpen: false, policies: ['ssn_detection'] });
    expect(result.malformedFields).toEqual([
      'context_id',
      'policies',
      'expires_at',
      'requires_redaction',
      'rate_limit',
    ]);
  });

  it('reads an allow with malformed side fields as an allow, keeping what is usable', async () => {
    expect(readPreCheckReply(bodyOf('pre-check-allowed-malformed-side-fields.http'))).toMatchObject(
      {
        approved: true,
        contextId: 'd2a9f4c7-6b1e-4d38-9f05-a8c3e7b2d410',
        // A policy object is read by its id; the number is dropped.
        policies: ['sys_pii_email'],
        expiresAt: undefined,
        malformed: ['policies', 'approved_data', 'expires_at'],
      },
    );

    replay('pre-check-allowed-malformed-side-fields.http');
    const result = await client().preCheck({ query: 'hello' });
    expect(result).toMatchObject({ approved: true, failOpen: false, policies: ['sys_pii_email'] });
    expect(result.malformedFields).toEqual(['policies', 'approved_data', 'expires_at']);
  });

  it('refuses a verdict that is not a boolean, and blocks even in production', async () => {
    expect(readPreCheckReply(bodyOf('pre-check-verdict-not-boolean.http'))).toBeUndefined();

    replay('pre-check-verdict-not-boolean.http');
    const err = await client({ mode: 'production' })
      .preCheck({ query: 'hello' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidResponseError);
    expect(err).toMatchObject({ code: ErrorCode.INVALID_RESPONSE, status: 200 });
    expect((err as Error).message).toMatch(/no boolean "approved" verdict/);
  });
});

// --- Proxy mode (POST /api/request) ------------------------------------------------------------------

describe('proxy replies as the agent encodes them', () => {
  it('returns a 403 policy block as a result, with its policy info', async () => {
    const body = bodyOf('request-blocked.http');
    if (!isRecord(body)) throw new Error('not an object');
    expect(readBlockedClientResponse(body)).toMatchObject({
      success: false,
      blocked: true,
      block_reason: 'SQL injection attempt detected: union_select',
      policy_info: {
        policies_evaluated: ['union_select'],
        static_checks: [
          'sql_injection',
          'dangerous_queries',
          'admin_access',
          'request_type',
          'basic_validation',
        ],
        processing_time: '152.3µs',
        tenant_id: 'acme',
      },
    });

    replay('request-blocked.http');
    const result = await client().proxyLLMCall({ query: "' UNION SELECT * FROM users" });
    expect(result).toMatchObject({
      blocked: true,
      success: false,
      failOpen: false,
      blockReason: 'SQL injection attempt detected: union_select',
      policyInfo: { policiesEvaluated: ['union_select'], processingTime: '152.3µs' },
    });
    expect(result.malformedFields).toBeUndefined();
  });

  it('keeps a block a block when its side fields are malformed, and names each one', async () => {
    const body = bodyOf('request-blocked-malformed-side-fields.http');
    if (!isRecord(body)) throw new Error('not an object');
    const reading = readBlockedClientResponse(body);
    expect(reading).toMatchObject({
      success: false,
      blocked: true,
      block_reason: 'SQL injection attempt detected: union_select',
      policy_info: {
        policies_evaluated: ['union_select'],
        static_checks: [],
        processing_time: '',
        tenant_id: 'acme',
      },
      budget_info: undefined,
    });
    expect(reading.malformed).toEqual([
      'success',
      'policy_info.policies_evaluated',
      'policy_info.processing_time',
      'budget_info',
    ]);

    replay('request-blocked-malformed-side-fields.http');
    const err = await client()
      .generatePlan("' UNION SELECT * FROM users")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err).toMatchObject({ policies: ['union_select'] });
  });

  it('drops fields it does not know from an allowed reply', async () => {
    const parsed = ClientResponseSchema.parse(bodyOf('request-allowed-extra-fields.http'));
    expect(parsed).toStrictEqual({
      success: true,
      data: { answer: 'Paris', sources: ['kb'] },
      result: 'The capital of France is Paris.',
      request_id: 'req_7d2f9a',
      metadata: { model: 'gpt-4o', provider: 'openai' },
      blocked: false,
      policy_info: {
        policies_evaluated: ['sys_pii_email'],
        static_checks: ['sql_injection', 'dangerous_queries', 'admin_access', 'pii_detection'],
        processing_time: '1.234ms',
        tenant_id: 'acme',
      },
    });

    replay('request-allowed-extra-fields.http');
    const result = await client().proxyLLMCall({ query: 'capital of France?' });
    expect(result).toMatchObject({
      success: true,
      blocked: false,
      failOpen: false,
      requestId: 'req_7d2f9a',
      result: 'The capital of France is Paris.',
      policyInfo: { policiesEvaluated: ['sys_pii_email'], tenantId: 'acme' },
    });
    for (const unknown of ['media_analysis', 'dynamic_policy_info', 'redacted'])
      expect(JSON.stringify(result)).not.toContain(unknown);
  });

  it('refuses a blocked flag that is not a boolean, in either mode', async () => {
    expect(ClientResponseSchema.safeParse(bodyOf('request-verdict-not-boolean.http')).success).toBe(
      false,
    );

    replay('request-verdict-not-boolean.http');
    for (const mode of ['production', 'sandbox'] as const) {
      const err = await client({ mode })
        .proxyLLMCall({ query: 'capital of France?' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidResponseError);
      expect((err as Error).message).toMatch(/unexpected shape at blocked/);
    }
  });
});

// --- Streamed proxy replies (AXON runtime SSE) ------------------------------------------------------

describe('AXON streams as the runtime sends them', () => {
  const anthropicText = 'The capital of France is Paris.Café ☕ au 東京?';

  it('decodes an Anthropic-dialect stream with its axon.metadata frame, through the client', async () => {
    replayStream(sse('anthropic-text.sse'));
    const stream = client().proxyLLMCallStream({ query: 'Capital of France?' });
    const events = await collect(stream);
    expect(JSON.parse(agent.requests[0]!.body)).toMatchObject({
      stream: true,
      dialect: 'anthropic',
    });
    expect(events[0]).toStrictEqual({
      type: 'message_start',
      messageId: 'msg_axon_2a',
      model: 'anthropic',
    });
    expect(text(events)).toBe(anthropicText);
    expect(events.slice(-3).map(e => e.type)).toEqual([
      'message_delta',
      'metadata',
      'message_stop',
    ]);
    expect(await stream.metadata).toStrictEqual({
      traceId: 42,
      flow: 'CapitalQuiz',
      backend: 'anthropic',
      success: true,
      stepsExecuted: 2,
      tokensInput: 0,
      tokensOutput: 6,
      latencyMs: 812,
      streamPolicies: [],
      terminalReason: 'stop',
    });
  });

  it('decodes the same stream with CRLF line endings, split across reads, to the same events', async () => {
    const lf = sse('anthropic-text.sse');
    const expected = await collect(decodeAxonStream(once(lf), { dialect: 'anthropic' }));

    const body = crlf(lf);
    expect(body.includes('\r\n\r\n')).toBe(true);
    // 5-byte writes put some CR and LF pairs in different reads.
    replayStream(body, 5);
    const stream = client().proxyLLMCallStream({ query: 'Capital of France?' });
    const events = await collect(stream);
    expect(events).toStrictEqual(expected);
    expect(text(events)).toBe(anthropicText);
    expect((await stream.metadata).terminalReason).toBe('stop');
  });

  it('decodes an OpenAI-dialect stream with CRLF line endings: axon_metadata, then [DONE]', async () => {
    replayStream(crlf(sse('openai-text.sse')), 7);
    const stream = client().proxyLLMCallStream({ query: 'Say hello', dialect: 'openai' });
    const events = await collect(stream);
    expect(JSON.parse(agent.requests[0]!.body)).toMatchObject({ stream: true, dialect: 'openai' });
    expect(text(events)).toBe('Hello from AXON — ünïcödé ✓');
    expect(events.at(-1)?.type).toBe('message_stop');
    expect(await stream.metadata).toMatchObject({
      traceId: 45,
      flow: 'Hello',
      backend: 'openai',
      tokensOutput: 4,
      terminalReason: 'stop',
    });
  });

  it('turns a recorded 403 block of a streamed request into PolicyViolationError', async () => {
    replay('request-blocked.http');
    const stream = client().proxyLLMCallStream({ query: "' UNION SELECT * FROM users" });
    const err = await collect(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err).toMatchObject({
      code: ErrorCode.POLICY_VIOLATION,
      policies: ['union_select'],
      blockReason: 'SQL injection attempt detected: union_select',
    });
    await expect(stream.metadata).rejects.toBe(err);
  });
});
