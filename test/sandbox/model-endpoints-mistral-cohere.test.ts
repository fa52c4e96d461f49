/**
 * The sandbox model's Mistral and Cohere dialects, driven by the real clients over loopback:
 * `@mistralai/mistralai` 2.x (chat completions and embeddings, on the routes it shares with
 * OpenAI, told apart by its user agent) and `cohere-ai` 8.x (`CohereClientV2`: `/v2/chat`, its
 * SSE stream, `/v2/embed`). Checks that replies pass the SDKs' schemas, that text and usage are
 * those chat completions give the same prompt, that streams decode fully, and that every call
 * counts as exactly one model request.
 */
import { Mistral } from '@mistralai/mistralai';
import { CohereClientV2, CohereError } from 'cohere-ai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/sandbox/model/tokenizer.js';
import { postJson, useSandbox } from './support/sandbox.js';

const sandbox = useSandbox();
const PROMPT = 'What is the capital of France?';

const mistral = () => new Mistral({ apiKey: 'k', serverURL: sandbox().url });
const cohere = () => new CohereClientV2({ token: 'k', environment: sandbox().url });
const openai = () =>
  new OpenAI({ apiKey: 'sk-sandbox', baseURL: sandbox().modelUrl, maxRetries: 0 });

/** The reply chat completions gives a single user message: what every dialect must agree with. */
async function chatText(prompt: string): Promise<string> {
  const res = await openai().chat.completions.create({
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

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    },
  },
};

describe('Mistral', () => {
  it('answers chat.complete with the chat reply and its usage', async () => {
    const expected = await chatText(PROMPT);
    const res = await once(() =>
      mistral().chat.complete({
        model: 'mistral-small-latest',
        messages: [{ role: 'user', content: PROMPT }],
      }),
    );
    expect(res.choices[0]).toMatchObject({
      finishReason: 'stop',
      message: { role: 'assistant', content: expected },
    });
    expect(res.usage).toMatchObject({
      promptTokens: countTokens(PROMPT),
      completionTokens: countTokens(expected),
      totalTokens: countTokens(PROMPT) + countTokens(expected),
    });
    expect(res.model).toBe('mistral-small-latest');
  });

  it('streams chat.stream to the reply, with the usage on the finish chunk', async () => {
    const expected = await chatText(PROMPT);
    const chunks = await once(async () => {
      const all = [];
      for await (const event of await mistral().chat.stream({
        model: 'mistral-small-latest',
        messages: [{ role: 'user', content: PROMPT }],
      })) {
        all.push(event.data);
      }
      return all;
    });
    const text = chunks.map(c => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(expected);
    const last = chunks.at(-1);
    expect(last?.choices[0]?.finishReason).toBe('stop');
    expect(last?.usage).toMatchObject({
      promptTokens: countTokens(PROMPT),
      completionTokens: countTokens(expected),
    });
    expect(chunks.slice(0, -1).every(c => c.usage === undefined)).toBe(true);
  });

  it('keeps OpenAI streams as they were: no usage unless asked for', async () => {
    const stream = await openai().chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: PROMPT }],
      stream: true,
    });
    for await (const chunk of stream) expect(chunk.usage).toBeUndefined();
  });

  it('calls a tool with chat.complete', async () => {
    const res = await mistral().chat.complete({
      model: 'mistral-large-latest',
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    });
    const choice = res.choices[0];
    expect(choice?.finishReason).toBe('tool_calls');
    expect(choice?.message?.toolCalls?.[0]?.function).toEqual({
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    });
  });

  it('embeds with embeddings.create, as the OpenAI route does', async () => {
    const res = await once(() =>
      mistral().embeddings.create({ model: 'mistral-embed', inputs: ['hello world', 'goodbye'] }),
    );
    expect(res.id).toMatch(/^embd-/);
    expect(res.data.map(d => d.index)).toEqual([0, 1]);
    expect(res.usage.promptTokens).toBe(3);
    const viaOpenAI = await openai().embeddings.create({
      model: 'mistral-embed',
      input: 'hello world',
      encoding_format: 'float',
    });
    expect(res.data[0]?.embedding).toEqual(viaOpenAI.data[0]?.embedding);
  });
});

describe('Cohere (v2)', () => {
  it('answers chat with the chat reply and its usage', async () => {
    const expected = await chatText(PROMPT);
    const res = await once(() =>
      cohere().chat({ model: 'command-a-03-2025', messages: [{ role: 'user', content: PROMPT }] }),
    );
    expect(res.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.finishReason).toBe('COMPLETE');
    expect(res.message).toEqual({ role: 'assistant', content: [{ type: 'text', text: expected }] });
    const tokens = { inputTokens: countTokens(PROMPT), outputTokens: countTokens(expected) };
    expect(res.usage).toEqual({ billedUnits: tokens, tokens });
  });

  it('streams chatStream events that add up to the reply, ending with the usage', async () => {
    const expected = await chatText(PROMPT);
    const events = await once(async () => {
      const all = [];
      for await (const event of await cohere().chatStream({
        model: 'command-a-03-2025',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: PROMPT },
        ],
      })) {
        all.push(event);
      }
      return all;
    });
    const types = events.map(e => e.type);
    expect(types[0]).toBe('message-start');
    expect(types.slice(1, 2)).toEqual(['content-start']);
    expect(types.slice(-2)).toEqual(['content-end', 'message-end']);
    let text = '';
    for (const event of events) {
      if (event.type === 'content-delta') text += event.delta?.message?.content?.text ?? '';
    }
    expect(text).toBe(expected);
    const end = events.at(-1);
    expect(end?.type === 'message-end' && end.delta).toEqual({
      finishReason: 'COMPLETE',
      usage: {
        billedUnits: {
          inputTokens: countTokens('Be brief.') + countTokens(PROMPT),
          outputTokens: countTokens(expected),
        },
        tokens: {
          inputTokens: countTokens('Be brief.') + countTokens(PROMPT),
          outputTokens: countTokens(expected),
        },
      },
    });
  });

  it('calls a tool with a tool plan, streamed and not, then answers the result', async () => {
    const question = { role: 'user' as const, content: 'What is the weather in Paris?' };
    const res = await cohere().chat({
      model: 'command-a-03-2025',
      tools: [weatherTool],
      messages: [question],
    });
    expect(res.finishReason).toBe('TOOL_CALL');
    expect(res.message.toolPlan).toBe("I'll call the get_weather tool.");
    const call = res.message.toolCalls?.[0];
    expect(call?.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });

    let args = '';
    let plan = '';
    for await (const event of await cohere().chatStream({
      model: 'command-a-03-2025',
      tools: [weatherTool],
      messages: [question],
    })) {
      if (event.type === 'tool-plan-delta') plan += event.delta?.message?.toolPlan ?? '';
      if (event.type === 'tool-call-delta') {
        args += event.delta?.message?.toolCalls?.function?.arguments ?? '';
      }
    }
    expect(plan).toBe("I'll call the get_weather tool.");
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });

    const answer = await cohere().chat({
      model: 'command-a-03-2025',
      tools: [weatherTool],
      messages: [
        question,
        { role: 'assistant', toolPlan: res.message.toolPlan, toolCalls: res.message.toolCalls },
        { role: 'tool', toolCallId: call?.id ?? '', content: '18°C' },
      ],
    });
    expect(answer.message.content).toEqual([
      { type: 'text', text: 'The get_weather tool returned: 18°C' },
    ]);
  });

  it('embeds each requested type, deterministically', async () => {
    const res = await once(() =>
      cohere().embed({
        model: 'embed-v4.0',
        texts: ['hello world', 'goodbye'],
        inputType: 'search_document',
        embeddingTypes: ['float', 'int8'],
      }),
    );
    expect(res.responseType).toBe('embeddings_by_type');
    expect(res.embeddings.float).toHaveLength(2);
    expect(res.embeddings.int8?.[0]?.every(v => Number.isInteger(v) && v >= -128 && v <= 127)).toBe(
      true,
    );
    expect(res.meta?.billedUnits?.inputTokens).toBe(3);
    const again = await cohere().embed({
      model: 'embed-v4.0',
      texts: ['hello world'],
      inputType: 'search_query',
      embeddingTypes: ['float'],
    });
    expect(again.embeddings.float?.[0]).toEqual(res.embeddings.float?.[0]);
  });

  it('answers faults and bad requests in Cohere’s error shape', async () => {
    // No retries: the SDK backs off for seconds between them.
    const noRetry = { maxRetries: 0 };
    const hi = [{ role: 'user' as const, content: 'hi' }];
    await expect(
      cohere().chat({ model: 'sandbox-fault-429', messages: hi }, noRetry),
    ).rejects.toMatchObject({ statusCode: 429, body: { message: expect.any(String) } });
    await expect(
      cohere().chat({ model: 'sandbox-fault-500', messages: hi }, noRetry),
    ).rejects.toBeInstanceOf(CohereError);
    const raw = await postJson(`${sandbox().url}/v2/chat`, { model: 'm' });
    expect(raw.status).toBe(400);
    expect(raw.body).toEqual({ id: expect.any(String), message: expect.any(String) });
  });
});
