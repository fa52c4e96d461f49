/**
 * `cohere-ai` v2, governed at `V2Client`'s internal methods: `chat`, `chatStream` and `embed` (on
 * `CohereClientV2` and on `CohereClient`'s `v2`) are traced, gated (a denied prompt never reaches
 * the model) and carry the usage the sandbox reported, and the SDK's `HttpResponsePromise` keeps
 * its `.withRawResponse()`.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import * as cohere from 'cohere-ai';
import { CohereClient, CohereClientV2 } from 'cohere-ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

const DENIED = 'Please store my SSN 123-45-6789';
const ALLOWED = 'What is the capital of France?';
const MODEL = 'command-a-03-2025';

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
  h = setupHarness({ client }, { cohere });
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

const cohereClient = () =>
  new CohereClientV2({ token: 'k', environment: sandbox.url, maxRetries: 0 });
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

describe('chat', () => {
  it('is traced as chat {model} with the usage the model reported', async () => {
    const response = await cohereClient().chat({
      model: MODEL,
      messages: [{ role: 'system', content: 'Answer briefly' }, ...user(ALLOWED)],
      maxTokens: 64,
      temperature: 0.3,
      p: 0.9,
      k: 40,
      stopSequences: ['END'],
    });
    const first = response.message.content?.[0];
    expect(first?.type === 'text' ? first.text : '').toMatch(/Sandbox reply/);
    expect(governedSpan(`chat ${MODEL}`).attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'cohere',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.stop_sequences': ['END'],
      'server.address': '127.0.0.1',
      'server.port': sandbox.port,
      'axonflow.decision': 'allow',
      'gen_ai.response.id': response.id,
      'gen_ai.response.finish_reasons': [response.finishReason],
      'gen_ai.usage.input_tokens': response.usage?.tokens?.inputTokens,
      'gen_ai.usage.output_tokens': response.usage?.tokens?.outputTokens,
    });
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('a denied prompt rejects with PolicyViolationError and never reaches the model', async () => {
    const err = await cohereClient()
      .chat({ model: MODEL, messages: user(DENIED) })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
    expect(h.span(`chat ${MODEL}`).attributes['axonflow.decision']).toBe('deny');
  });

  it('keeps the SDK promise: withRawResponse() still gives the data and the raw response', async () => {
    const { data, rawResponse } = await cohereClient()
      .chat({ model: MODEL, messages: user(ALLOWED) })
      .withRawResponse();
    expect(rawResponse.status).toBe(200);
    expect(governedSpan(`chat ${MODEL}`).attributes['gen_ai.usage.output_tokens']).toBe(
      data.usage?.tokens?.outputTokens,
    );
    const err = await cohereClient()
      .chat({ model: MODEL, messages: user(DENIED) })
      .withRawResponse()
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('checks tool results and documents the model will read', async () => {
    const viaTool = await cohereClient()
      .chat({
        model: MODEL,
        messages: [
          ...user('Look up the customer'),
          {
            role: 'assistant',
            toolPlan: 'I will look the customer up.',
            toolCalls: [
              { id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"id":7}' } },
            ],
          },
          {
            role: 'tool',
            toolCallId: 'c1',
            content: [{ type: 'document', document: { data: { record: DENIED } } }],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(codeOf(viaTool)).toBe('AXONFLOW_POLICY_VIOLATION');
    const viaDocuments = await cohereClient()
      .chat({ model: MODEL, messages: user(ALLOWED), documents: [DENIED] })
      .catch((e: unknown) => e);
    expect(codeOf(viaDocuments)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('CohereClient.v2 is the same governed client', async () => {
    const v1 = new CohereClient({ token: 'k', environment: sandbox.url, maxRetries: 0 });
    await v1.v2.chat({ model: MODEL, messages: user(ALLOWED) });
    const err = await v1.v2.chat({ model: MODEL, messages: user(DENIED) }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });
});

describe('chatStream', () => {
  it('ends the span once, after the last event, with the usage of message-end', async () => {
    const stream = await cohereClient().chatStream({ model: MODEL, messages: user(ALLOWED) });
    let text = '';
    let usage: { tokens?: { inputTokens?: number; outputTokens?: number } } | undefined;
    let finish: string | undefined;
    for await (const event of stream) {
      if (event.type === 'content-delta') text += event.delta?.message?.content?.text ?? '';
      if (event.type === 'message-end') {
        usage = event.delta?.usage;
        finish = event.delta?.finishReason;
      }
    }
    expect(text).toMatch(/Sandbox reply/);
    expect(h.spans().filter(s => s.name === `chat ${MODEL}`)).toHaveLength(1);
    const span = governedSpan(`chat ${MODEL}`);
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': usage?.tokens?.inputTokens,
      'gen_ai.usage.output_tokens': usage?.tokens?.outputTokens,
      'gen_ai.response.finish_reasons': [finish],
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
  });

  it('a break ends the span as cancelled', async () => {
    const stream = await cohereClient().chatStream({ model: MODEL, messages: user(ALLOWED) });
    for await (const _ of stream) break;
    const span = h.span(`chat ${MODEL}`);
    expect(span.ended).toBe(true);
    expect(span.attributes['axonflow.stream.cancelled']).toBe(true);
  });

  it('a denied prompt rejects before the stream starts and never reaches the model', async () => {
    const err = await cohereClient()
      .chatStream({ model: MODEL, messages: user(DENIED) })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });
});

describe('embed', () => {
  it('is traced as embeddings with its input tokens, and gated', async () => {
    const response = await cohereClient().embed({
      model: 'embed-v4.0',
      texts: [ALLOWED],
      inputType: 'search_document',
      embeddingTypes: ['float'],
    });
    expect(governedSpan('embeddings embed-v4.0').attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.usage.input_tokens':
        response.meta?.tokens?.inputTokens ?? response.meta?.billedUnits?.inputTokens,
      'gen_ai.embeddings.dimension.count': response.embeddings.float?.[0]?.length,
    });
    const err = await cohereClient()
      .embed({ model: 'embed-v4.0', texts: [DENIED], inputType: 'search_document' })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });
});
