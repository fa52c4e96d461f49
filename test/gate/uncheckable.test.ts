/**
 * An uncheckable call is not an allow. Production mode fails open on unavailability only (network
 * errors, deadlines, 5xx, 429); every other failure blocks in both modes: a 4xx that is not a
 * deny (401, 403 without a deny, 400, 404, 413, 422), a 2xx with no readable boolean verdict, and
 * a prompt over the configured maximum, which is never sent. `onUncheckable: 'allow'`
 * (`AXONFLOW_ON_UNCHECKABLE=allow`) lets prompts the agent cannot read through, marked fail-open
 * `uncheckable`. The app only ever sees `PolicyViolationError` subclasses.
 */
import type { ServerResponse } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/client/config.js';
import {
  AxonFlowClient,
  ErrorCode,
  PolicyViolationError,
  UncheckedRequestError,
} from '../../src/index.js';
import { approve, json } from '../helpers/scripted-agent.js';
import { type GateWorld, MODEL, PRE_CHECK, startGateWorld } from './world.js';

/** The sandbox agent answers 413 to bodies over this; the client's own limit is higher. */
const AGENT_BODY_LIMIT = 64 * 1024;

let w: GateWorld;

beforeAll(async () => {
  w = await startGateWorld({ sandbox: { maxBodyBytes: AGENT_BODY_LIMIT } });
});

afterAll(async () => {
  await w.close();
});

beforeEach(() => {
  w.reset();
  w.agent.handle(approve());
});

describe('what fails open in production mode', () => {
  it('fails open on 5xx and 429 only; every other status without a verdict blocks', async () => {
    const statuses = [400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500, 502, 503, 504];
    const outcome: Record<number, string> = {};
    for (const status of statuses) {
      w.agent.handle((_q, res) => json(res, status, { success: false, error: `status ${status}` }));
      const c = w.client({ breaker: { enabled: false } });
      outcome[status] = await c.preCheck({ query: `status ${status}` }).then(
        r => (r.failOpen ? `fail_open:${r.failOpenReason}` : `decided:${r.approved}`),
        (e: { code: string }) => `blocked:${e.code}`,
      );
    }
    expect(outcome).toEqual({
      400: 'blocked:AXONFLOW_REQUEST_REJECTED',
      401: 'blocked:AXONFLOW_AUTH',
      403: 'blocked:AXONFLOW_AUTH',
      404: 'blocked:AXONFLOW_REQUEST_REJECTED',
      405: 'blocked:AXONFLOW_REQUEST_REJECTED',
      409: 'blocked:AXONFLOW_REQUEST_REJECTED',
      410: 'blocked:AXONFLOW_REQUEST_REJECTED',
      413: 'blocked:AXONFLOW_REQUEST_REJECTED',
      415: 'blocked:AXONFLOW_REQUEST_REJECTED',
      422: 'blocked:AXONFLOW_REQUEST_REJECTED',
      429: 'fail_open:rate_limited',
      500: 'fail_open:http_5xx',
      502: 'fail_open:http_5xx',
      503: 'fail_open:http_5xx',
      504: 'fail_open:http_5xx',
    });
  });

  it('blocks a 2xx reply with no readable boolean verdict (AXONFLOW_INVALID_RESPONSE), in both modes, and says so once on stderr', async () => {
    const garbage: [string, (res: ServerResponse) => void][] = [
      [
        'html',
        res => {
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end('<html/>');
        },
      ],
      [
        'empty',
        res => {
          res.writeHead(200, { 'content-length': '0' });
          res.end();
        },
      ],
      ['approved "yes"', res => json(res, 200, { context_id: 'c', approved: 'yes' })],
      ['approved 1', res => json(res, 200, { context_id: 'c', approved: 1 })],
      ['no approved', res => json(res, 200, { context_id: 'c', policies: [] })],
      ['an array', res => json(res, 200, [{ approved: true }])],
      ['truncated', res => json(res, 200, '{"context_id":"c","approved":tr')],
    ];
    for (const mode of ['production', 'sandbox'] as const) {
      for (const [name, send] of garbage) {
        w.agent.handle((_q, res) => send(res));
        const err = await w
          .client({ mode })
          .preCheck({ query: `garbage ${name}` })
          .catch(e => e);
        expect(err?.code, `${mode}: ${name}`).toBe(ErrorCode.INVALID_RESPONSE);
      }
    }
    const lines = w.notices().filter(l => l.includes('BLOCKED'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no boolean "approved" verdict|not valid JSON/);
  });

  it('never lets garbage replies open the circuit, which would turn the blocks into fail-opens', async () => {
    w.agent.handle((_q, res) => json(res, 200, { approved: 'maybe' }));
    const c = w.client({ breaker: { failureThreshold: 2 } });
    for (let i = 0; i < 6; i++) {
      const err = await c.preCheck({ query: `garbage ${i}` }).catch(e => e);
      expect(err?.code).toBe(ErrorCode.INVALID_RESPONSE);
    }
    expect(c.breakerState).toBe('closed');
    expect(w.agent.count(PRE_CHECK)).toBe(6);
  });

  it('prints one stderr line per kind of blocking failure and minute, naming the fix', async () => {
    w.agent.handle((_q, res) => json(res, 401, { success: false, error: 'bad credentials' }));
    const c = w.client();
    for (let i = 0; i < 3; i++) await c.preCheck({ query: `auth ${i}` }).catch(() => undefined);
    w.agent.handle((_q, res) => json(res, 404, { success: false, error: 'not found' }));
    for (let i = 0; i < 3; i++) await c.preCheck({ query: `404 ${i}` }).catch(() => undefined);
    const lines = w.notices();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/HTTP 401.*BLOCKED.*AXONFLOW_CLIENT_SECRET/);
    expect(lines[1]).toMatch(/HTTP 404.*BLOCKED.*doctor/);
  });
});

describe('prompts too large to check', () => {
  it('never sends a pre-check body over maxCheckBytes: UncheckedRequestError too_large', async () => {
    const c = w.client({ maxCheckBytes: 4096 });
    const err = await c.preCheck({ query: 'x'.repeat(5000) }).catch(e => e);
    expect(err).toBeInstanceOf(UncheckedRequestError);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err).toMatchObject({ code: ErrorCode.UNCHECKED, reason: 'too_large' });
    expect(w.agent.count(PRE_CHECK)).toBe(0);
    // Measured on the request body (JSON, UTF-8): 1,500 three-byte characters are 4,500 bytes.
    const wide = await c.preCheck({ query: '€'.repeat(1500) }).catch(e => e);
    expect(wide).toMatchObject({ code: ErrorCode.UNCHECKED, reason: 'too_large' });
    expect((await c.preCheck({ query: 'short' })).approved).toBe(true);
    expect(w.agent.count(PRE_CHECK)).toBe(1);
  });

  it('with onUncheckable allow, lets an oversized prompt through as fail-open uncheckable, never cached', async () => {
    const c = w.client({ maxCheckBytes: 4096, onUncheckable: 'allow' });
    const big = 'y'.repeat(5000);
    for (let i = 0; i < 2; i++) {
      const result = await c.preCheck({ query: big });
      expect(result).toMatchObject({
        approved: true,
        failOpen: true,
        failOpenReason: 'uncheckable',
        cached: false,
      });
    }
    expect(c.cacheSize).toBe(0);
    expect(w.agent.count(PRE_CHECK)).toBe(0);
    expect(w.notices().filter(l => l.includes('fail-open, uncheckable'))).toHaveLength(1);
  });

  it('with onUncheckable allow, a 400/413/422 fails open uncheckable while a 401 or garbage still blocks', async () => {
    const c = w.client({ onUncheckable: 'allow' });
    for (const status of [400, 413, 422]) {
      w.agent.handle((_q, res) => json(res, status, { success: false, error: 'too big' }));
      const result = await c.preCheck({ query: `refused ${status}` });
      expect(result, String(status)).toMatchObject({
        failOpen: true,
        failOpenReason: 'uncheckable',
      });
    }
    w.agent.handle((_q, res) => json(res, 401, { success: false, error: 'no' }));
    expect((await c.preCheck({ query: 'auth' }).catch(e => e)).code).toBe(ErrorCode.AUTH);
    w.agent.handle((_q, res) => json(res, 200, { approved: 'yes' }));
    expect((await c.preCheck({ query: 'junk' }).catch(e => e)).code).toBe(
      ErrorCode.INVALID_RESPONSE,
    );
  });

  it('reads AXONFLOW_MAX_CHECK_BYTES and AXONFLOW_ON_UNCHECKABLE from the environment, and falls back to the defaults on invalid values', async () => {
    const env = { AXONFLOW_AGENT_URL: w.agent.url, AXONFLOW_TELEMETRY: 'off' };
    const configured = configFromEnv({
      ...env,
      AXONFLOW_MAX_CHECK_BYTES: '2048',
      AXONFLOW_ON_UNCHECKABLE: 'allow',
    });
    expect(configured).toMatchObject({ maxCheckBytes: 2048, onUncheckable: 'allow' });
    const c = new AxonFlowClient({ ...configured, retry: { maxAttempts: 1 } });
    try {
      expect(c.onUncheckable).toBe('allow');
      const result = await c.preCheck({ query: 'z'.repeat(3000) });
      expect(result.failOpenReason).toBe('uncheckable');
    } finally {
      await c.close();
    }
    const invalid = configFromEnv({
      ...env,
      AXONFLOW_MAX_CHECK_BYTES: 'lots',
      AXONFLOW_ON_UNCHECKABLE: 'maybe',
    });
    expect(invalid).toMatchObject({ maxCheckBytes: 1024 * 1024, onUncheckable: 'block' });
    expect(w.notices().some(l => l.includes('AXONFLOW_ON_UNCHECKABLE'))).toBe(true);
  });
});

describe('end to end through the openai SDK', () => {
  it('the agent answers 413 to a prompt over its body limit: UncheckedRequestError reaches the app, the model is never called', async () => {
    const c = w.govern({ endpoint: w.sandbox.agentUrl });
    const err = (await w.chat(
      `Summarise: ${'lorem ipsum '.repeat(8000)}`,
    )) as UncheckedRequestError;
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err).toBeInstanceOf(UncheckedRequestError);
    expect(err).toMatchObject({
      name: 'UncheckedRequestError',
      code: ErrorCode.UNCHECKED,
      reason: 'too_large',
      status: 413,
    });
    expect(err.message).not.toMatch(/Request body too large/); // ours, not the agent's text
    expect(w.sandbox.modelRequests()).toBe(0);
    expect(w.sandbox.agentRequests()).toBe(1);

    const pre = w.h.span('axonflow.pre_check');
    expect(pre.attributes).toMatchObject({
      'axonflow.decision': 'error',
      'error.type': ErrorCode.UNCHECKED,
      'axonflow.unchecked.reason': 'too_large',
    });
    const chat = w.h.span(`chat ${MODEL}`);
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['error.type']).toBe(ErrorCode.UNCHECKED);
    expect(w.h.spans().some(s => s.name === 'axonflow.delegate')).toBe(false);
    expect(c.mode).toBe('production');
  });

  it('a 401 blocks plain and streaming calls in production mode; the model count stays 0', async () => {
    w.govern();
    w.agent.handle((_q, res) => json(res, 401, { success: false, error: 'bad credentials' }));
    for (const stream of [false, true]) {
      const err = await w.chat('What is the capital of France?', { stream });
      expect(err, `stream ${stream}`).toBeInstanceOf(PolicyViolationError);
      expect(err).toMatchObject({ code: ErrorCode.UNCHECKED, reason: 'auth', status: 401 });
    }
    expect(w.sandbox.modelRequests()).toBe(0);
    expect(w.notices().filter(l => l.includes('HTTP 401'))).toHaveLength(1);
  });

  it('a prompt over maxCheckBytes never reaches the agent or the model; with onUncheckable allow it does, marked fail_open uncheckable', async () => {
    w.govern({ maxCheckBytes: 2048 });
    const prompt = `Translate: ${'bonjour '.repeat(400)}`;
    const err = await w.chat(prompt);
    expect(err).toMatchObject({ code: ErrorCode.UNCHECKED, reason: 'too_large' });
    expect(w.agent.count(PRE_CHECK)).toBe(0);
    expect(w.sandbox.modelRequests()).toBe(0);

    w.reset();
    w.govern({ maxCheckBytes: 2048, onUncheckable: 'allow' });
    const completion = (await w.chat(prompt)) as { choices: unknown[] };
    expect(completion.choices).toHaveLength(1);
    expect(w.sandbox.modelRequests()).toBe(1);
    expect(w.h.span(`chat ${MODEL}`).attributes).toMatchObject({
      'axonflow.decision': 'fail_open',
      'axonflow.fail_open.reason': 'uncheckable',
    });
  });

  it('in sandbox mode an unavailable agent reaches the app as UncheckedRequestError too, never as a client error', async () => {
    w.govern({ mode: 'sandbox' });
    w.agent.handle((_q, res) => json(res, 503, { success: false, error: 'down' }));
    const err = await w.chat('Is anyone there?');
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err).toMatchObject({ code: ErrorCode.UNCHECKED, reason: 'http_5xx', status: 503 });
    expect(w.sandbox.modelRequests()).toBe(0);
  });
});
