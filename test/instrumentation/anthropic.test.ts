import Anthropic from '@anthropic-ai/sdk';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient, PolicyViolationError } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

const MODEL = 'sandbox-claude';
const SSN_PROMPT = 'File this: SSN 123-45-6789';
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: {
    type: 'object' as const,
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;
/** SDK tracing off: our delegation span stands for the provider call. */
let plain: Anthropic;
/** SDK tracing on: its own call span is the delegation. */
let traced: Anthropic;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
  h = setupHarness({ client });
  plain = new Anthropic({
    apiKey: 'sk-ant-test-key',
    baseURL: sandbox.url,
    maxRetries: 0,
    openTelemetry: false,
  });
  traced = new Anthropic({
    apiKey: 'sk-ant-test-key',
    baseURL: sandbox.url,
    maxRetries: 0,
    openTelemetry: { tracerProvider: h.provider },
  });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  h.reset();
  sandbox.resetCounters();
  sandbox.startAgent();
  h.instrumentation.setConfig({ client });
});

afterEach(() => {
  for (const s of h.spans()) expect(s.ended).toBe(true);
});

describe('messages.create', () => {
  it('traces a plain call with usage equal to what the model reported', async () => {
    const message = await plain.messages.create({
      model: MODEL,
      max_tokens: 128,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'Name three colours' }],
    });
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.max_tokens': 128,
      'gen_ai.response.id': message.id,
      'gen_ai.response.finish_reasons': [message.stop_reason],
      'gen_ai.usage.input_tokens': message.usage.input_tokens,
      'gen_ai.usage.output_tokens': message.usage.output_tokens,
      'axonflow.decision': 'allow',
    });
    expect(
      h
        .childrenOf(chat)
        .map(s => s.name)
        .sort(),
    ).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
  });

  it('streams with stream: true, tool use included, and reads cumulative usage', async () => {
    const stream = await plain.messages.create({
      model: MODEL,
      max_tokens: 256,
      stream: true,
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'What is the weather in Paris? Use get_weather.' }],
    });
    const types: string[] = [];
    let outputTokens = 0;
    let toolJson = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_delta') outputTokens = event.usage.output_tokens;
      if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta')
        toolJson += event.delta.partial_json;
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(JSON.parse(toolJson)).toMatchObject({ city: expect.any(String) });
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.output_tokens': outputTokens,
      'gen_ai.response.finish_reasons': ['tool_use'],
    });
  });

  it('denies a prompt with PolicyViolationError and never calls the model', async () => {
    const err = await plain.messages
      .create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: SSN_PROMPT }] })
      .catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(sandbox.modelRequests()).toBe(0);
    expect(h.span(`chat ${MODEL}`).status.code).toBe(SpanStatusCode.ERROR);
  });

  it('gates on the system prompt and tool results too', async () => {
    const viaSystem = await plain.messages
      .create({
        model: MODEL,
        max_tokens: 16,
        system: SSN_PROMPT,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch(e => e);
    expect(viaSystem).toBeInstanceOf(PolicyViolationError);
    const viaTool = await plain.messages
      .create({
        model: MODEL,
        max_tokens: 16,
        messages: [
          { role: 'user', content: 'look it up' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} }],
          },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: SSN_PROMPT }],
          },
        ],
      })
      .catch(e => e);
    expect(viaTool).toBeInstanceOf(PolicyViolationError);
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('keeps .withResponse() and .asResponse() working', async () => {
    const { data, response } = await plain.messages
      .create({ model: MODEL, max_tokens: 32, messages: [{ role: 'user', content: 'hello' }] })
      .withResponse();
    expect(data.content.length).toBeGreaterThan(0);
    expect(response.ok).toBe(true);
    const raw = await plain.messages
      .create({
        model: MODEL,
        max_tokens: 32,
        messages: [{ role: 'user', content: 'hello again' }],
      })
      .asResponse();
    expect(((await raw.json()) as { type: string }).type).toBe('message');
  });
});

describe('messages.stream() helper', () => {
  it('keeps its events and finalMessage() working', async () => {
    const texts: string[] = [];
    const stream = plain.messages
      .stream({
        model: MODEL,
        max_tokens: 128,
        messages: [{ role: 'user', content: 'Write a haiku about the sea' }],
      })
      .on('text', t => texts.push(t));
    const final = await stream.finalMessage();
    const block = final.content[0];
    expect(block?.type).toBe('text');
    expect(texts.join('')).toBe(block?.type === 'text' ? block.text : '');
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.output_tokens': final.usage.output_tokens,
    });
  });

  it('reports a deny the way the helper reports any error: wrapped, with PolicyViolationError as cause', async () => {
    const stream = plain.messages.stream({
      model: MODEL,
      max_tokens: 16,
      messages: [{ role: 'user', content: SSN_PROMPT }],
    });
    const seen: unknown[] = [];
    stream.on('error', e => seen.push(e));
    const err = await stream.finalMessage().catch(e => e);
    // MessageStream wraps every non-SDK error in AnthropicError and keeps the original as `cause`.
    expect(err).toBeInstanceOf(Anthropic.AnthropicError);
    expect(err.cause).toBeInstanceOf(PolicyViolationError);
    expect(err.message).toMatch(/Social Security Number/);
    expect(seen).toEqual([err]);
    expect(sandbox.modelRequests()).toBe(0);
  });
});

describe('composition with the SDK own tracing', () => {
  it('nests one inference span of ours under the SDK call span: decision and delegation inside it', async () => {
    await traced.messages.create({
      model: MODEL,
      max_tokens: 32,
      messages: [{ role: 'user', content: 'hello' }],
    });
    const sdkSpan = h.span('anthropic.messages.create');
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.parentSpanContext?.spanId).toBe(sdkSpan.spanContext().spanId);
    const children = h
      .childrenOf(chat)
      .map(s => s.name)
      .sort();
    expect(children).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
    expect(h.spans().filter(s => s.name.startsWith('chat '))).toHaveLength(1);
  });

  it('keeps messages.stream() in one trace when the SDK starts its span before create()', async () => {
    const final = await traced.messages
      .stream({
        model: MODEL,
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Write a haiku about rain' }],
      })
      .finalMessage();
    expect(final.content.length).toBeGreaterThan(0);
    const sdkSpan = h.span('anthropic.messages.create');
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.spanContext().traceId).toBe(sdkSpan.spanContext().traceId);
    expect(chat.parentSpanContext?.spanId).toBe(sdkSpan.spanContext().spanId);
    expect(
      h
        .childrenOf(chat)
        .map(s => s.name)
        .sort(),
    ).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
  });

  it('leaves the SDK span untouched by a deny: the SDK ends it with the error', async () => {
    const err = await traced.messages
      .create({ model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: SSN_PROMPT }] })
      .catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    const sdkSpan = h.spans().find(s => s.name === 'anthropic.messages.create');
    expect(sdkSpan?.status.code).toBe(SpanStatusCode.ERROR);
    expect(sandbox.modelRequests()).toBe(0);
  });
});
