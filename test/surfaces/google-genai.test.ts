/**
 * `@google/genai` 1.x and 3.x, Gemini API and Vertex AI, governed through its models module:
 * `generateContent`, `generateContentStream`, `embedContent` and chats are traced, gated (a
 * denied prompt never reaches the model) and carry the usage the sandbox reported.
 */
import * as googleV3 from '@google/genai';
import * as googleV1 from 'google-genai-v1';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

const DENIED = 'Please store my SSN 123-45-6789';

let sandbox: Sandbox;
let client: AxonFlowClient;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    cache: { enabled: false },
  });
});

afterAll(async () => {
  await client.close();
  await sandbox.close();
});

/** Google credentials cannot be fetched offline: Vertex AI mode gets a fixed bearer token. */
const offlineAuthClient = {
  getRequestHeaders: async () => new Headers({ authorization: 'Bearer sandbox' }),
  projectId: 'p',
};

const LINES: Array<[string, any]> = [
  ['1.x', googleV1],
  ['3.x', googleV3],
];

describe.each(LINES)('@google/genai %s', (_line, sdk) => {
  let h: Harness;
  beforeAll(() => {
    h = setupHarness({ client }, { google: sdk });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.reset();
    sandbox.resetCounters();
  });

  const gemini = () => new sdk.GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: sandbox.url } });
  const vertex = () =>
    new sdk.GoogleGenAI({
      vertexai: true,
      project: 'p',
      location: 'us-central1',
      httpOptions: { baseUrl: sandbox.url },
      googleAuthOptions: { authClient: offlineAuthClient },
    });

  function governedSpan(name: string) {
    const span = h.span(name);
    expect(
      h
        .childrenOf(span)
        .map(s => s.name)
        .sort(),
    ).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
    return span;
  }

  it('generateContent: traced with the usage the model reported, gated before it', async () => {
    const response = await gemini().models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'What is the capital of France?',
      config: { systemInstruction: 'Answer briefly', maxOutputTokens: 64 },
    });
    const span = governedSpan('generate_content gemini-2.5-flash');
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'gcp.gemini',
      'gen_ai.operation.name': 'generate_content',
      'gen_ai.request.max_tokens': 64,
      'axonflow.decision': 'allow',
      'gen_ai.usage.input_tokens': response.usageMetadata?.promptTokenCount,
      'gen_ai.usage.output_tokens': response.usageMetadata?.candidatesTokenCount,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(sandbox.modelRequests()).toBe(1);

    h.reset();
    const err = await gemini()
      .models.generateContent({ model: 'gemini-2.5-flash', contents: DENIED })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
    expect(h.span('generate_content gemini-2.5-flash').attributes['axonflow.decision']).toBe(
      'deny',
    );
  });

  it('generateContentStream: the span ends once, after the last chunk, with the final usage', async () => {
    const stream = await gemini().models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Count to five',
    });
    let text = '';
    let usage: { candidatesTokenCount?: number } | undefined;
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      usage = chunk.usageMetadata ?? usage;
    }
    expect(text).toMatch(/Sandbox reply/);
    const span = governedSpan('generate_content gemini-2.5-flash');
    expect(span.ended).toBe(true);
    expect(span.attributes['gen_ai.usage.output_tokens']).toBe(usage?.candidatesTokenCount);
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
  });

  it('generateContentStream: a break ends the span as cancelled', async () => {
    const stream = await gemini().models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Count to five',
    });
    for await (const _ of stream) break;
    const span = h.span('generate_content gemini-2.5-flash');
    expect(span.ended).toBe(true);
    expect(span.attributes['axonflow.stream.cancelled']).toBe(true);
  });

  it('a denied streamed call rejects before the stream starts and never reaches the model', async () => {
    const err = await gemini()
      .models.generateContentStream({ model: 'gemini-2.5-flash', contents: DENIED })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('chats: each sendMessage is one governed call, with the history in the checked input', async () => {
    const chat = gemini().chats.create({ model: 'gemini-2.5-flash' });
    await chat.sendMessage({ message: 'Hello there' });
    const err = await chat.sendMessage({ message: DENIED }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('AXONFLOW_POLICY_VIOLATION');
    const decisions = h
      .spans()
      .filter(s => s.name === 'generate_content gemini-2.5-flash')
      .map(s => s.attributes['axonflow.decision']);
    expect(decisions).toEqual(['allow', 'deny']);
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('embedContent: traced as embeddings and gated', async () => {
    await gemini().models.embedContent({ model: 'text-embedding-004', contents: 'hello' });
    expect(governedSpan('embeddings text-embedding-004').attributes['axonflow.decision']).toBe(
      'allow',
    );
    const err = await gemini()
      .models.embedContent({ model: 'text-embedding-004', contents: DENIED })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('Vertex AI mode: the provider is gcp.vertex_ai', async () => {
    await vertex().models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hello' });
    expect(governedSpan('generate_content gemini-2.5-flash').attributes).toMatchObject({
      'gen_ai.provider.name': 'gcp.vertex_ai',
      'axonflow.decision': 'allow',
    });
  });
});
