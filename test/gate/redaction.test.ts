/**
 * `approved: true, requires_redaction: true` is not a plain allow. The pre-check reply carries no
 * redacted text (the wire's `PreCheckResponse` has only the flag; redacted text exists only on
 * MCP check-input/output and connector replies), so the gate cannot send a redacted prompt: by
 * default the call is kept from the model with `RedactionRequiredError`; `onRedaction: 'allow'`
 * (`AXONFLOW_ON_REDACTION=allow`) sends it unredacted, marked `axonflow.redaction_required=true`.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/client/config.js';
import { ErrorCode, PolicyViolationError, RedactionRequiredError } from '../../src/index.js';
import { approve } from '../helpers/scripted-agent.js';
import { type GateWorld, MODEL, PRE_CHECK, startGateWorld } from './world.js';

/** The sandbox agent (with askRedaction) flags, does not block, an e-mail address and asks for redaction. */
const EMAIL_PROMPT = 'Write a short thank-you note to jane.doe@example.com';

let w: GateWorld;

beforeAll(async () => {
  w = await startGateWorld({ sandbox: { askRedaction: true } });
});

afterAll(async () => {
  await w.close();
});

beforeEach(() => {
  w.reset();
  w.agent.handle(approve());
});

describe('end to end through the openai SDK', () => {
  it('blocks an approval that requires redaction by default: RedactionRequiredError, the model is never called', async () => {
    w.govern({ endpoint: w.sandbox.agentUrl });
    const err = (await w.chat(EMAIL_PROMPT)) as RedactionRequiredError;
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err).toBeInstanceOf(RedactionRequiredError);
    expect(err).toMatchObject({
      name: 'RedactionRequiredError',
      code: ErrorCode.REDACTION_REQUIRED,
      policies: ['email_detection'],
    });
    expect(err.contextId).toMatch(/[0-9a-f-]{36}/);
    expect(err.blockReason).toMatch(/redaction/);
    expect(w.sandbox.modelRequests()).toBe(0);

    const chat = w.h.span(`chat ${MODEL}`);
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes).toMatchObject({
      'axonflow.decision': 'deny',
      'error.type': ErrorCode.REDACTION_REQUIRED,
    });
    expect(w.h.spans().some(s => s.name === 'axonflow.delegate')).toBe(false);
    // The prompt's e-mail address is in no span.
    expect(JSON.stringify(w.h.spans().map(s => s.attributes))).not.toContain('jane.doe');

    // A plain approval is untouched: no redaction mark, the model is called.
    w.reset();
    const completion = (await w.chat('What is the capital of France?')) as { choices: unknown[] };
    expect(completion.choices).toHaveLength(1);
    expect(w.sandbox.modelRequests()).toBe(1);
    expect(w.h.span(`chat ${MODEL}`).attributes['axonflow.redaction_required']).toBeUndefined();
  });

  it('rejects a streaming call and a cached repeat the same way', async () => {
    w.govern({ endpoint: w.sandbox.agentUrl });
    const first = await w.chat(EMAIL_PROMPT, { stream: true });
    const repeat = await w.chat(EMAIL_PROMPT, { stream: true });
    for (const err of [first, repeat]) {
      expect(err).toBeInstanceOf(RedactionRequiredError);
      expect(err).toMatchObject({ code: ErrorCode.REDACTION_REQUIRED });
    }
    const hits = w.h.spans().filter(s => s.name === 'axonflow.pre_check');
    expect(hits.map(s => s.attributes['axonflow.cache.hit'])).toEqual([false, true]);
    expect(w.sandbox.modelRequests()).toBe(0);
  });

  it('with onRedaction allow, sends the call and marks it redaction_required on the call and pre_check spans', async () => {
    w.govern({ endpoint: w.sandbox.agentUrl, onRedaction: 'allow' });
    const completion = (await w.chat(EMAIL_PROMPT)) as { choices: unknown[] };
    expect(completion.choices).toHaveLength(1);
    expect(w.sandbox.modelRequests()).toBe(1);
    const chat = w.h.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'axonflow.decision': 'allow',
      'axonflow.redaction_required': true,
    });
    expect(w.h.span('axonflow.pre_check').attributes['axonflow.redaction_required']).toBe(true);
  });
});

describe('reading requires_redaction', () => {
  // Not booleans: read leniently (named as malformed), and when unclear, as asking for redaction.
  const cases: [unknown, boolean][] = [
    ['true', true],
    [1, true],
    ['yes', true],
    ['maybe', true],
    [{}, true],
    ['false', false],
    [0, false],
  ];
  for (const [value, expected] of cases) {
    it(`reads requires_redaction ${JSON.stringify(value)} as ${expected} on an approval, and names it malformed`, async () => {
      w.agent.handle(approve({ requires_redaction: value }));
      const result = await w.client().preCheck({ query: `redaction ${JSON.stringify(value)}` });
      expect(result).toMatchObject({ approved: true, failOpen: false });
      expect(result.requiresRedaction).toBe(expected);
      expect(result.malformedFields).toEqual(['requires_redaction']);
    });
  }

  it('blocks through the gate when the agent says requires_redaction:"true"', async () => {
    w.govern();
    w.agent.handle(approve({ requires_redaction: 'true', policies: ['email_detection'] }));
    const err = await w.chat('Hello, redact me maybe');
    expect(err).toMatchObject({ code: ErrorCode.REDACTION_REQUIRED });
    expect(w.agent.count(PRE_CHECK)).toBe(1);
    expect(w.sandbox.modelRequests()).toBe(0);
    expect(w.h.span('axonflow.pre_check').attributes['axonflow.reply.malformed_fields']).toEqual([
      'requires_redaction',
    ]);
  });

  it('reads AXONFLOW_ON_REDACTION from the environment (default block)', () => {
    const env = { AXONFLOW_AGENT_URL: w.agent.url };
    expect(configFromEnv({ ...env, AXONFLOW_ON_REDACTION: 'allow' }).onRedaction).toBe('allow');
    expect(configFromEnv(env).onRedaction).toBe('block');
    expect(w.client().onRedaction).toBe('block');
    expect(w.client({ onRedaction: 'allow' }).onRedaction).toBe('allow');
  });
});
