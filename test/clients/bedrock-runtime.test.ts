/**
 * `@aws-sdk/client-bedrock-runtime`, governed through its middleware stack: Converse,
 * ConverseStream, InvokeModel and InvokeModelWithResponseStream (every model family's native
 * format) are traced, gated (a denied prompt never reaches the model) and carry the usage the
 * sandbox reported.
 */
import * as bedrock from '@aws-sdk/client-bedrock-runtime';
import {
  BedrockRuntime,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { MIDDLEWARE_NAME } from '../../src/instrumentation/methods/bedrock-runtime.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

const DENIED = 'Please store my SSN 123-45-6789';
const ALLOWED = 'What is the capital of France?';
/** Explicit credentials and region: the client never looks for credentials or metadata. */
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' };

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
  h = setupHarness({ client }, { bedrock });
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

function runtime(): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: sandbox.url,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
}

/** The HTTP headers of the last response the sandbox sent this client (its token counts). */
function seenHeaders(c: BedrockRuntimeClient): () => Record<string, string> {
  let headers: Record<string, string> = {};
  c.middlewareStack.add(
    next => async args => {
      const result = await next(args);
      headers = (result.response as { headers: Record<string, string> }).headers;
      return result;
    },
    { step: 'deserialize', name: 'seenHeaders' },
  );
  return () => headers;
}

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

const userText = (text: string) => [{ role: 'user' as const, content: [{ text }] }];
const decode = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes));

describe('Converse', () => {
  it('is traced as chat {modelId} with the usage the model reported', async () => {
    const reply = await runtime().send(
      new ConverseCommand({
        modelId: 'amazon.nova-lite-v1:0',
        system: [{ text: 'Answer briefly' }],
        messages: userText(ALLOWED),
        inferenceConfig: { maxTokens: 64, temperature: 0.2, topP: 0.9, stopSequences: ['END'] },
      }),
    );
    expect(reply.output?.message?.content?.[0]?.text).toMatch(/Sandbox reply/);
    expect(governedSpan('chat amazon.nova-lite-v1:0').attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.model': 'amazon.nova-lite-v1:0',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.stop_sequences': ['END'],
      'axonflow.decision': 'allow',
      'gen_ai.response.finish_reasons': [reply.stopReason],
      'gen_ai.usage.input_tokens': reply.usage?.inputTokens,
      'gen_ai.usage.output_tokens': reply.usage?.outputTokens,
    });
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('a denied prompt rejects with PolicyViolationError and never reaches the model', async () => {
    const err = await runtime()
      .send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: userText(DENIED) }))
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
    expect(h.span('chat amazon.nova-lite-v1:0').attributes['axonflow.decision']).toBe('deny');
  });

  it('checks the text of a text document sent as bytes, and the system prompt', async () => {
    const c = runtime();
    const document = {
      document: { format: 'txt' as const, name: 'notes', source: { bytes: Buffer.from(DENIED) } },
    };
    const viaDocument = await c
      .send(
        new ConverseCommand({
          modelId: 'amazon.nova-lite-v1:0',
          messages: [{ role: 'user', content: [{ text: 'Summarise this' }, document] }],
        }),
      )
      .catch((e: unknown) => e);
    expect(codeOf(viaDocument)).toBe('AXONFLOW_POLICY_VIOLATION');
    const viaSystem = await c
      .send(
        new ConverseCommand({
          modelId: 'amazon.nova-lite-v1:0',
          system: [{ text: DENIED }],
          messages: userText(ALLOWED),
        }),
      )
      .catch((e: unknown) => e);
    expect(codeOf(viaSystem)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('checks tool results: a denied one in the conversation stops the call', async () => {
    const err = await runtime()
      .send(
        new ConverseCommand({
          modelId: 'amazon.nova-lite-v1:0',
          messages: [
            { role: 'user', content: [{ text: 'Look up the customer' }] },
            {
              role: 'assistant',
              content: [{ toolUse: { toolUseId: 't1', name: 'lookup', input: { id: 7 } } }],
            },
            {
              role: 'user',
              content: [{ toolResult: { toolUseId: 't1', content: [{ json: { ssn: DENIED } }] } }],
            },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('the aggregated BedrockRuntime client is governed the same way', async () => {
    const c = new BedrockRuntime({
      region: 'us-east-1',
      endpoint: sandbox.url,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    await c.converse({ modelId: 'amazon.nova-lite-v1:0', messages: userText(ALLOWED) });
    const err = await c
      .converse({ modelId: 'amazon.nova-lite-v1:0', messages: userText(DENIED) })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('server.address and server.port come from the endpoint the client resolved', async () => {
    const c = runtime();
    const command = () =>
      new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: userText(ALLOWED) });
    await c.send(command());
    h.reset();
    await c.send(command());
    expect(h.span('chat amazon.nova-lite-v1:0').attributes).toMatchObject({
      'server.address': '127.0.0.1',
      'server.port': sandbox.port,
    });
  });
});

describe('ConverseStream', () => {
  it('ends the span once, after the last event, with the usage of the metadata event', async () => {
    const out = await runtime().send(
      new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', messages: userText(ALLOWED) }),
    );
    let text = '';
    let usage: { inputTokens?: number; outputTokens?: number } | undefined;
    let stop: string | undefined;
    for await (const event of out.stream ?? []) {
      text += event.contentBlockDelta?.delta?.text ?? '';
      usage = event.metadata?.usage ?? usage;
      stop = event.messageStop?.stopReason ?? stop;
    }
    expect(text).toMatch(/Sandbox reply/);
    const spans = h.spans().filter(s => s.name === 'chat amazon.nova-lite-v1:0');
    expect(spans).toHaveLength(1);
    const span = governedSpan('chat amazon.nova-lite-v1:0');
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': usage?.inputTokens,
      'gen_ai.usage.output_tokens': usage?.outputTokens,
      'gen_ai.response.finish_reasons': [stop],
    });
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
  });

  it('a break ends the span as cancelled', async () => {
    const out = await runtime().send(
      new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', messages: userText(ALLOWED) }),
    );
    for await (const _ of out.stream ?? []) break;
    const span = h.span('chat amazon.nova-lite-v1:0');
    expect(span.ended).toBe(true);
    expect(span.attributes['axonflow.stream.cancelled']).toBe(true);
  });

  it('a denied prompt rejects before the stream starts and never reaches the model', async () => {
    const err = await runtime()
      .send(
        new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', messages: userText(DENIED) }),
      )
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });
});

/** Each InvokeModel family: its model id and its native body for a prompt. */
const FAMILIES: Array<[string, string, (prompt: string) => Record<string, unknown>]> = [
  [
    'Anthropic Claude',
    'anthropic.claude-3-5-sonnet-20240620-v1:0',
    prompt => ({
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 64,
      system: 'Answer briefly',
      messages: [{ role: 'user', content: prompt }],
    }),
  ],
  [
    'Amazon Nova',
    'us.amazon.nova-pro-v1:0',
    prompt => ({
      schemaVersion: 'messages-v1',
      system: [{ text: 'Answer briefly' }],
      messages: [{ role: 'user', content: [{ text: prompt }] }],
      inferenceConfig: { max_new_tokens: 64 },
    }),
  ],
  [
    'Amazon Titan Text',
    'amazon.titan-text-express-v1',
    prompt => ({ inputText: prompt, textGenerationConfig: { maxTokenCount: 64 } }),
  ],
  [
    'Meta Llama',
    'meta.llama3-8b-instruct-v1:0',
    prompt => ({
      prompt: `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n${prompt}<|eot_id|><|start_header_id|>assistant<|end_header_id|>`,
      max_gen_len: 64,
    }),
  ],
  [
    'Mistral',
    'mistral.mistral-7b-instruct-v0:2',
    prompt => ({ prompt: `<s>[INST] ${prompt} [/INST]`, max_tokens: 64 }),
  ],
  [
    'Cohere Command R',
    'cohere.command-r-v1:0',
    prompt => ({
      preamble: 'Answer briefly',
      chat_history: [
        { role: 'USER', message: 'Hello' },
        { role: 'CHATBOT', message: 'Hi!' },
      ],
      message: prompt,
      max_tokens: 64,
    }),
  ],
];

describe.each(FAMILIES)('InvokeModel, %s', (_family, modelId, body) => {
  it('is traced with the usage the sandbox reported', async () => {
    const c = runtime();
    const headers = seenHeaders(c);
    const out = await c.send(
      new InvokeModelCommand({ modelId, body: JSON.stringify(body(ALLOWED)) }),
    );
    expect(JSON.stringify(decode(out.body))).toMatch(/Sandbox reply/);
    expect(governedSpan(`chat ${modelId}`).attributes).toMatchObject({
      'gen_ai.provider.name': 'aws.bedrock',
      'gen_ai.request.model': modelId,
      'gen_ai.request.max_tokens': 64,
      'axonflow.decision': 'allow',
      'gen_ai.usage.input_tokens': Number(headers()['x-amzn-bedrock-input-token-count']),
      'gen_ai.usage.output_tokens': Number(headers()['x-amzn-bedrock-output-token-count']),
    });
  });

  it('a denied prompt, sent as bytes, never reaches the model', async () => {
    const err = await runtime()
      .send(
        new InvokeModelCommand({
          modelId,
          body: new TextEncoder().encode(JSON.stringify(body(DENIED))),
        }),
      )
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('streamed: the span ends once, with the usage of the invocation metrics', async () => {
    const out = await runtime().send(
      new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(body(ALLOWED)) }),
    );
    let metrics: { inputTokenCount?: number; outputTokenCount?: number } | undefined;
    for await (const event of out.body ?? []) {
      const payload = decode(event.chunk?.bytes);
      metrics = payload['amazon-bedrock-invocationMetrics'] ?? metrics;
    }
    expect(metrics).toBeDefined();
    expect(h.spans().filter(s => s.name === `chat ${modelId}`)).toHaveLength(1);
    expect(governedSpan(`chat ${modelId}`).attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': metrics?.inputTokenCount,
      'gen_ai.usage.output_tokens': metrics?.outputTokenCount,
    });
  });

  it('streamed: a denied prompt rejects before the stream starts', async () => {
    const err = await runtime()
      .send(
        new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(body(DENIED)) }),
      )
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });
});

describe('InvokeModel, other cases', () => {
  it('a streamed call ended by a break is marked cancelled', async () => {
    const [, modelId, body] = FAMILIES[0]!;
    const out = await runtime().send(
      new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(body(ALLOWED)) }),
    );
    for await (const _ of out.body ?? []) break;
    const span = h.span(`chat ${modelId}`);
    expect(span.ended).toBe(true);
    expect(span.attributes['axonflow.stream.cancelled']).toBe(true);
  });

  it('an embedding model is traced as embeddings, with its input tokens', async () => {
    const c = runtime();
    const headers = seenHeaders(c);
    const out = await c.send(
      new InvokeModelCommand({
        modelId: 'amazon.titan-embed-text-v2:0',
        body: JSON.stringify({ inputText: ALLOWED, dimensions: 256 }),
      }),
    );
    const reply = decode(out.body);
    expect(governedSpan('embeddings amazon.titan-embed-text-v2:0').attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.usage.input_tokens': reply.inputTextTokenCount,
      'gen_ai.embeddings.dimension.count': reply.embedding.length,
    });
    expect(Number(headers()['x-amzn-bedrock-input-token-count'])).toBe(reply.inputTextTokenCount);
    const err = await c
      .send(
        new InvokeModelCommand({
          modelId: 'amazon.titan-embed-text-v2:0',
          body: JSON.stringify({ inputText: DENIED }),
        }),
      )
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('a body in a format no family reader knows is checked string by string', async () => {
    const err = await runtime()
      .send(
        new InvokeModelCommand({
          modelId: 'arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123',
          body: JSON.stringify({ input: { question: DENIED }, settings: { depth: 2 } }),
        }),
      )
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('a body that is not JSON is checked as its raw text', async () => {
    const err = await runtime()
      .send(new InvokeModelCommand({ modelId: 'custom-model', body: `plain text: ${DENIED}` }))
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });
});

describe('the middleware', () => {
  it('is added once per client, and other commands pass through untraced', async () => {
    const c = runtime();
    const command = () =>
      new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: userText(ALLOWED) });
    await c.send(command());
    await c.send(command());
    const ours = c.middlewareStack.identify().filter(entry => entry.startsWith(MIDDLEWARE_NAME));
    expect(ours).toHaveLength(1);
    h.reset();
    const counted = await c.send(
      new CountTokensCommand({
        modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
        input: { converse: { messages: userText(ALLOWED) } },
      }),
    );
    expect(counted.inputTokens).toEqual(expect.any(Number));
    expect(h.spans()).toHaveLength(0);
  });

  it('a client that caches its handlers is governed from its first call', async () => {
    const c = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: sandbox.url,
      credentials: CREDENTIALS,
      maxAttempts: 1,
      cacheMiddleware: true,
    });
    await c.send(
      new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: userText(ALLOWED) }),
    );
    const err = await c
      .send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: userText(DENIED) }))
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('does nothing once the instrumentation is disabled', async () => {
    const c = runtime();
    const command = () =>
      new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: userText(ALLOWED) });
    await c.send(command());
    h.instrumentation.disable();
    try {
      h.reset();
      await c.send(command());
      expect(h.spans()).toHaveLength(0);
      expect(sandbox.modelRequests()).toBe(2);
    } finally {
      h.instrumentation.enable();
    }
  });
});
