/**
 * The previous major of each SDK (openai 6, @anthropic-ai/sdk 0.x), installed side by side under
 * aliases, patched by the same module definitions and exercised against the same sandbox.
 */
import * as anthropicV0 from 'anthropic-sdk-v0';
import * as openaiV6 from 'openai-v6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AxonFlowClient, PolicyViolationError, SUPPORTED_VERSIONS } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
  h = setupHarness({ client }, { openai: openaiV6, anthropic: anthropicV0 });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

describe('previous majors', () => {
  it('declares every tested line as supported', () => {
    expect(SUPPORTED_VERSIONS.openai[0]).toBe('>=4.0.0 <8');
    expect(SUPPORTED_VERSIONS.anthropic[0]).toBe('>=0.24.0 <2');
  });

  it('governs and traces openai 6, streaming included', async () => {
    const OpenAI = openaiV6.default;
    const openai = new OpenAI({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: 'v6-model',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hello from six' }],
    });
    let usage: { completion_tokens: number } | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    const chat = h.span('chat v6-model');
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBe(usage?.completion_tokens);
    expect(chat.attributes['axonflow.decision']).toBe('allow');
    const before = sandbox.modelRequests();
    const err = await openai.chat.completions
      .create({ model: 'v6-model', messages: [{ role: 'user', content: 'SSN 123-45-6789' }] })
      .catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(sandbox.modelRequests()).toBe(before);
  });

  it('governs and traces @anthropic-ai/sdk 0.x', async () => {
    const Anthropic = anthropicV0.default;
    const anthropic = new Anthropic({ apiKey: 'k', baseURL: sandbox.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'v0-model',
      max_tokens: 32,
      messages: [{ role: 'user', content: 'hello from zero' }],
    });
    const chat = h.span('chat v0-model');
    expect(chat.attributes['axonflow.decision']).toBe('allow');
    // 0.x traces itself too (ANTHROPIC_OPEN_TELEMETRY, on by default): its call span, our parent,
    // is the one that carries the usage (the usage rule), so ours carries none.
    const sdkSpan = h.span('anthropic.messages.create');
    expect(chat.parentSpanContext?.spanId).toBe(sdkSpan.spanContext().spanId);
    expect(sdkSpan.attributes['gen_ai.usage.output_tokens']).toBe(message.usage.output_tokens);
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBeUndefined();
    const before = sandbox.modelRequests();
    const err = await anthropic.messages
      .create({
        model: 'v0-model',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'SSN 123-45-6789' }],
      })
      .catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(sandbox.modelRequests()).toBe(before);
  });
});
