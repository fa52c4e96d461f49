/**
 * `@mistralai/mistralai`, governed at its `Chat` and `Embeddings` methods: `chat.complete`,
 * `chat.stream`, `chat.parse` and `embeddings.create` are traced, gated (a denied prompt never
 * reaches the model) and carry the usage the sandbox reported.
 */
import * as mistral from '@mistralai/mistralai';
import { Mistral } from '@mistralai/mistralai';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

const DENIED = 'Please store my SSN 123-45-6789';
const ALLOWED = 'What is the capital of France?';
const MODEL = 'mistral-small-latest';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    cache: { enabled: false },
  });
  h = setupHarness({ client }, { mistral });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  h.reset();
  sandbox.resetCounters();
});

const mistralClient = () => new Mistral({ apiKey: 'k', serverURL: sandbox.url });
const user = (content: string) => [{ role: 'user' as const, content }];

function governedSpan(name: string): ReadableSpan {
  const span = h.span(name);
  expect(
    h
      .childrenOf(span)
      .map(s => s.name)
      .sort(),
  ).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
  return span;
}

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return e?.code ?? e?.cause?.code;
}

describe('chat.complete', () => {
  it('is traced as chat {model} with the usage the model reported', async () => {
    const response = await mistralClient().chat.complete({
      model: MODEL,
      messages: [{ role: 'system', content: 'Answer briefly' }, ...user(ALLOWED)],
      maxTokens: 64,
      temperature: 0.3,
      randomSeed: 7,
    });
    expect(String(response.choices[0]?.message?.content)).toMatch(/Sandbox reply/);
    expect(governedSpan(`chat ${MODEL}`).attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'mistral_ai',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.seed': 7,
      'server.address': '127.0.0.1',
      'server.port': sandbox.port,
      'axonflow.decision': 'allow',
      'gen_ai.response.id': response.id,
      'gen_ai.response.finish_reasons': [response.choices[0]?.finishReason],
      'gen_ai.usage.input_tokens': response.usage.promptTokens,
      'gen_ai.usage.output_tokens': response.usage.completionTokens,
    });
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('a denied prompt rejects with PolicyViolationError and never reaches the model', async () => {
    const err = await mistralClient()
      .chat.complete({ model: MODEL, messages: user(DENIED) })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
    expect(h.span(`chat ${MODEL}`).attributes['axonflow.decision']).toBe('deny');
  });

  it('checks tool calls and tool results of the conversation', async () => {
    const err = await mistralClient()
      .chat.complete({
        model: MODEL,
        messages: [
          ...user('Look up the customer'),
          {
            role: 'assistant',
            content: '',
            toolCalls: [{ id: 'c1', function: { name: 'lookup', arguments: '{"id":7}' } }],
          },
          { role: 'tool', toolCallId: 'c1', name: 'lookup', content: DENIED },
        ],
      })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });
});

describe('chat.stream', () => {
  it('ends the span once, after the last event, with the usage of the finish chunk', async () => {
    const stream = await mistralClient().chat.stream({ model: MODEL, messages: user(ALLOWED) });
    let text = '';
    let usage: { promptTokens?: number; completionTokens?: number } | undefined;
    for await (const event of stream) {
      text += String(event.data.choices[0]?.delta.content ?? '');
      usage = event.data.usage ?? usage;
    }
    expect(text).toMatch(/Sandbox reply/);
    expect(h.spans().filter(s => s.name === `chat ${MODEL}`)).toHaveLength(1);
    const span = governedSpan(`chat ${MODEL}`);
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': usage?.promptTokens,
      'gen_ai.usage.output_tokens': usage?.completionTokens,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
  });

  it('a break ends the span as cancelled', async () => {
    const stream = await mistralClient().chat.stream({ model: MODEL, messages: user(ALLOWED) });
    for await (const _ of stream) break;
    const span = h.span(`chat ${MODEL}`);
    expect(span.ended).toBe(true);
    expect(span.attributes['axonflow.stream.cancelled']).toBe(true);
  });

  it('a denied prompt rejects before the stream starts and never reaches the model', async () => {
    const err = await mistralClient()
      .chat.stream({ model: MODEL, messages: user(DENIED) })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });
});

describe('chat.parse', () => {
  const Answer = z.object({ city: z.string() });

  it('is governed: traced as a JSON request, and a denied prompt never reaches the model', async () => {
    // The sandbox's answer is not JSON of that schema: only the call itself matters here.
    await mistralClient()
      .chat.parse({ model: MODEL, messages: user(ALLOWED), responseFormat: Answer })
      .catch(() => undefined);
    expect(governedSpan(`chat ${MODEL}`).attributes).toMatchObject({
      'axonflow.decision': 'allow',
      'gen_ai.output.type': 'json',
    });
    expect(sandbox.modelRequests()).toBe(1);
    const err = await mistralClient()
      .chat.parse({ model: MODEL, messages: user(DENIED), responseFormat: Answer })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });
});

describe('embeddings.create', () => {
  it('is traced as embeddings with its input tokens, and gated', async () => {
    const response = await mistralClient().embeddings.create({
      model: 'mistral-embed',
      inputs: [ALLOWED, 'Hello'],
    });
    expect(governedSpan('embeddings mistral-embed').attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.usage.input_tokens': response.usage.promptTokens,
      'gen_ai.embeddings.dimension.count': response.data[0]?.embedding?.length,
    });
    const err = await mistralClient()
      .embeddings.create({ model: 'mistral-embed', inputs: ['Hello', DENIED] })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });
});
