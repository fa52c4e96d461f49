/**
 * The sandbox model's Google dialects, driven by the real clients over loopback: `@google/genai`
 * 3.x and 1.x against the Gemini API (`/v1beta/models/{model}:…`) and against Vertex AI (project
 * and location paths, auth from an injected client so nothing looks for Google credentials), and
 * `@anthropic-ai/vertex-sdk` (Claude's `:rawPredict` / `:streamRawPredict` / `count-tokens`).
 * Checks that replies parse, that text and usage are those chat completions give the same
 * prompt, that streams decode fully, and that every call counts as exactly one model request.
 */
import AnthropicVertex from '@anthropic-ai/vertex-sdk';
import { ApiError, GoogleGenAI, ThinkingLevel, Type } from '@google/genai';
import { GoogleGenAI as GoogleGenAIv1 } from 'google-genai-v1';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/sandbox/model/tokenizer.js';
import { postJson, useSandbox } from './support/sandbox.js';

const sandbox = useSandbox();
const PROMPT = 'What is the capital of France?';
const GEMINI = 'gemini-2.5-flash';

/** Every URL the 3.x clients asked for, so tests can see the paths they use. */
const requested: string[] = [];
const recordingFetch: typeof fetch = (input, init) => {
  requested.push(input instanceof Request ? input.url : String(input));
  return fetch(input, init);
};

/** Stands in for Google credentials: what an AuthClient gives, with no token endpoint behind it. */
const offlineAuthClient = {
  getRequestHeaders: async () => new Headers({ authorization: 'Bearer sandbox' }),
  projectId: 'p',
};

const gemini = () =>
  new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: sandbox().url, fetch: recordingFetch } });
const geminiV1 = () => new GoogleGenAIv1({ apiKey: 'k', httpOptions: { baseUrl: sandbox().url } });
const vertexGemini = () =>
  new GoogleGenAI({
    vertexai: true,
    project: 'p',
    location: 'us-central1',
    httpOptions: { baseUrl: sandbox().url, fetch: recordingFetch },
    googleAuthOptions: { authClient: offlineAuthClient as never },
  });
const vertexGeminiV1 = () =>
  new GoogleGenAIv1({
    vertexai: true,
    project: 'p',
    location: 'us-central1',
    httpOptions: { baseUrl: sandbox().url },
    googleAuthOptions: { authClient: offlineAuthClient as never },
  });
const anthropicVertex = (baseURL = sandbox().url) =>
  new AnthropicVertex({
    region: 'us-east5',
    projectId: 'p',
    baseURL,
    maxRetries: 0,
    authClient: offlineAuthClient as never,
    fetch: recordingFetch,
  });

/** The reply chat completions gives a single user message: what every dialect must agree with. */
async function chatText(prompt: string): Promise<string> {
  const openai = new OpenAI({ apiKey: 'sk-sandbox', baseURL: sandbox().modelUrl, maxRetries: 0 });
  const res = await openai.chat.completions.create({
    model: 'm',
    messages: [{ role: 'user', content: prompt }],
  });
  return res.choices[0]?.message.content ?? '';
}

/** Runs `call` and checks it cost exactly one model request. */
async function once<T>(call: () => Promise<T>): Promise<T> {
  const before = sandbox().modelRequests();
  const result = await call();
  expect(sandbox().modelRequests()).toBe(before + 1);
  return result;
}

// The 1.x client has the same surface for the calls made here; typing both as 3.x keeps one
// set of tests for the four.
const clients: { name: string; make: () => GoogleGenAI }[] = [
  { name: 'Gemini API, @google/genai 3', make: () => gemini() },
  { name: 'Gemini API, @google/genai 1', make: () => geminiV1() as unknown as GoogleGenAI },
  { name: 'Vertex AI, @google/genai 3', make: () => vertexGemini() },
  { name: 'Vertex AI, @google/genai 1', make: () => vertexGeminiV1() as unknown as GoogleGenAI },
];

describe.each(clients)('$name', ({ name, make }) => {
  const vertex = name.startsWith('Vertex');

  it('answers generateContent with the chat reply and its usage', async () => {
    const expected = await chatText(PROMPT);
    const res = await once(() =>
      make().models.generateContent({
        model: GEMINI,
        contents: PROMPT,
        config: { systemInstruction: 'Be brief.' },
      }),
    );
    expect(res.text).toBe(expected);
    expect(res.candidates?.[0]).toMatchObject({ finishReason: 'STOP', content: { role: 'model' } });
    const input = countTokens('Be brief.') + countTokens(PROMPT);
    expect(res.usageMetadata).toMatchObject({
      promptTokenCount: input,
      candidatesTokenCount: countTokens(expected),
      totalTokenCount: input + countTokens(expected),
    });
    expect(res.usageMetadata?.thoughtsTokenCount).toBeUndefined();
    expect(res.modelVersion).toBe(GEMINI);
    expect(res.responseId).toMatch(/^[\w-]+$/);
    if (vertex) expect(res.createTime).toBeTruthy();
  });

  it('streams chunks that add up to the reply, the last with STOP and the usage', async () => {
    const expected = await chatText(PROMPT);
    const chunks = await once(async () => {
      const all = [];
      for await (const chunk of await make().models.generateContentStream({
        model: GEMINI,
        contents: PROMPT,
      })) {
        all.push(chunk);
      }
      return all;
    });
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.map(c => c.text ?? '').join('')).toBe(expected);
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(chunks.slice(0, -1).every(c => c.candidates?.[0]?.finishReason === undefined)).toBe(
      true,
    );
    expect(chunks.at(-1)?.usageMetadata).toMatchObject({
      promptTokenCount: countTokens(PROMPT),
      candidatesTokenCount: countTokens(expected),
      totalTokenCount: countTokens(PROMPT) + countTokens(expected),
    });
  });

  it('counts tokens as generateContent reports them', async () => {
    const res = await once(() => make().models.countTokens({ model: GEMINI, contents: PROMPT }));
    expect(res.totalTokens).toBe(countTokens(PROMPT));
  });

  it('calls a function, then answers its response', async () => {
    const tools = [
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Current weather',
            parameters: {
              type: Type.OBJECT,
              properties: { city: { type: Type.STRING }, days: { type: Type.INTEGER } },
              required: ['city', 'days'],
            },
          },
        ],
      },
    ];
    const question = { role: 'user', parts: [{ text: 'What is the weather in Paris?' }] };
    const res = await make().models.generateContent({
      model: GEMINI,
      contents: [question],
      config: { tools },
    });
    expect(res.functionCalls).toEqual([{ name: 'get_weather', args: { city: 'Paris', days: 1 } }]);
    const answer = await make().models.generateContent({
      model: GEMINI,
      contents: [
        question,
        {
          role: 'model',
          parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }],
        },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { output: '18°C' } } }],
        },
      ],
      config: { tools },
    });
    expect(answer.text).toBe('The get_weather tool returned: 18°C');
  });

  it('stops at maxOutputTokens with MAX_TOKENS', async () => {
    const res = await make().models.generateContent({
      model: GEMINI,
      contents: PROMPT,
      config: { maxOutputTokens: 2 },
    });
    expect(res.text).toBe('Sandbox reply');
    expect(res.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
  });

  it('reports thinking and cached tokens when the request asks for them', async () => {
    const expected = await chatText(PROMPT);
    const thought = await make().models.generateContent({
      model: GEMINI,
      contents: PROMPT,
      config: { thinkingConfig: { thinkingBudget: 1024 } },
    });
    expect(thought.usageMetadata).toMatchObject({
      thoughtsTokenCount: 64,
      candidatesTokenCount: countTokens(expected),
      totalTokenCount: countTokens(PROMPT) + countTokens(expected) + 64,
    });
    const cached = await make().models.generateContent({
      model: GEMINI,
      contents: PROMPT,
      config: { cachedContent: 'cachedContents/sandbox' },
    });
    expect(cached.usageMetadata).toMatchObject({
      cachedContentTokenCount: 32,
      promptTokenCount: countTokens(PROMPT) + 32,
    });
  });

  it('embeds deterministically, each text on its own', async () => {
    const model = vertex ? 'text-embedding-005' : 'gemini-embedding-001';
    const res = await once(() =>
      make().models.embedContent({
        model,
        contents: ['hello world', 'goodbye'],
        config: { outputDimensionality: 8 },
      }),
    );
    const [hello, goodbye] = res.embeddings ?? [];
    expect(hello?.values).toHaveLength(8);
    expect(goodbye?.values).not.toEqual(hello?.values);
    const again = await make().models.embedContent({
      model,
      contents: 'hello world',
      config: { outputDimensionality: 8 },
    });
    expect(again.embeddings?.[0]?.values).toEqual(hello?.values);
    if (vertex) expect(hello?.statistics?.tokenCount).toBe(2);
  });
});

describe('Gemini routes', () => {
  it('uses the API paths the SDKs build (Gemini API and Vertex AI)', async () => {
    requested.length = 0;
    await gemini().models.generateContent({ model: GEMINI, contents: 'hi' });
    await vertexGemini().models.generateContentStream({ model: GEMINI, contents: 'hi' });
    // 3.x calls the Gemini API's v1 by default (1.x calls v1beta); the sandbox answers both.
    expect(requested).toEqual([
      `${sandbox().url}/v1/models/${GEMINI}:generateContent`,
      `${sandbox().url}/v1beta1/projects/p/locations/us-central1/publishers/google/models/${GEMINI}:streamGenerateContent?alt=sse`,
    ]);
  });

  it('answers a thinking level with the matching thoughts', async () => {
    const res = await gemini().models.generateContent({
      model: 'gemini-3-pro-preview',
      contents: PROMPT,
      config: { thinkingConfig: { thinkingLevel: ThinkingLevel.LOW } },
    });
    expect(res.usageMetadata?.thoughtsTokenCount).toBe(16);
  });

  it('answers the REST embedContent and a Vertex embedContent for Gemini embedding models', async () => {
    const raw = await postJson(`${sandbox().url}/v1beta/models/gemini-embedding-001:embedContent`, {
      content: { parts: [{ text: 'hello world' }] },
      outputDimensionality: 8,
    });
    expect(raw.status).toBe(200);
    const viaVertex = await vertexGemini().models.embedContent({
      model: 'gemini-embedding-2-preview',
      contents: 'hello world',
      config: { outputDimensionality: 8 },
    });
    expect(viaVertex.embeddings?.[0]?.values).toEqual(raw.body.embedding.values);
  });

  it('answers faults and bad requests in Google’s error shape', async () => {
    await expect(
      gemini().models.generateContent({ model: 'sandbox-fault-429', contents: 'hi' }),
    ).rejects.toMatchObject({ status: 429, constructor: ApiError });
    const raw = await postJson(`${sandbox().url}/v1beta/models/${GEMINI}:generateContent`, {
      contents: 'not a list',
    });
    expect(raw.status).toBe(400);
    expect(raw.body).toEqual({
      error: { code: 400, message: expect.any(String), status: 'INVALID_ARGUMENT' },
    });
  });
});

describe('AnthropicVertex (Claude on Vertex AI)', () => {
  const model = 'claude-sonnet-4-5@20250929';

  it('answers rawPredict like the Messages API, with Vertex ids', async () => {
    const expected = await chatText(PROMPT);
    requested.length = 0;
    const msg = await once(() =>
      anthropicVertex().messages.create({
        model,
        max_tokens: 256,
        messages: [{ role: 'user', content: PROMPT }],
      }),
    );
    expect(requested).toEqual([
      `${sandbox().url}/projects/p/locations/us-east5/publishers/anthropic/models/${model}:rawPredict`,
    ]);
    expect(msg.id).toMatch(/^msg_vrtx_/);
    expect(msg).toMatchObject({
      model,
      content: [{ type: 'text', text: expected }],
      usage: { input_tokens: countTokens(PROMPT), output_tokens: countTokens(expected) },
    });
  });

  it('streams streamRawPredict as Messages SSE, also under the default /v1 base path', async () => {
    const expected = await chatText(PROMPT);
    requested.length = 0;
    const final = await once(() =>
      anthropicVertex(`${sandbox().url}/v1`)
        .messages.stream({ model, max_tokens: 256, messages: [{ role: 'user', content: PROMPT }] })
        .finalMessage(),
    );
    expect(requested[0]).toMatch(/\/v1\/projects\/p\/locations\/us-east5\/.*:streamRawPredict$/);
    expect(final.content).toMatchObject([{ type: 'text', text: expected }]);
    expect(final.usage.output_tokens).toBe(countTokens(expected));
  });

  it('counts tokens with count-tokens:rawPredict', async () => {
    const counted = await once(() =>
      anthropicVertex().messages.countTokens({
        model,
        system: 'Be brief.',
        messages: [{ role: 'user', content: PROMPT }],
      }),
    );
    expect(counted).toEqual({ input_tokens: countTokens('Be brief.') + countTokens(PROMPT) });
  });

  it('answers faults in Anthropic’s error shape', async () => {
    await expect(
      anthropicVertex().messages.create({
        model: 'sandbox-fault-529',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toMatchObject({
      status: 529,
      error: { type: 'error', error: { type: 'overloaded_error' } },
    });
  });
});
