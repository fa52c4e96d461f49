import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/sandbox/model/tokenizer.js';
import { postJson, useSandbox } from './support/sandbox.js';

const sandbox = useSandbox();
const client = () =>
  new OpenAI({ apiKey: 'sk-sandbox', baseURL: sandbox().modelUrl, maxRetries: 0 });

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    },
  },
};

describe('chat.completions', () => {
  it('answers deterministically with real token counts', async () => {
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'What is the capital of France?' },
    ];
    const before = sandbox().modelRequests();
    const res = await client().chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(sandbox().modelRequests()).toBe(before + 1);
    const text = res.choices[0]?.message.content ?? '';
    expect(text).toContain('What is the capital of France?');
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.model).toBe('gpt-4o-mini');
    expect(res.usage).toEqual({
      prompt_tokens: countTokens('Be brief.') + countTokens('What is the capital of France?'),
      completion_tokens: countTokens(text),
      total_tokens: countTokens('Be brief.What is the capital of France?') + countTokens(text),
    });
    const again = await client().chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(again.choices[0]?.message.content).toBe(text);
  });

  it('streams chunks ending with a usage chunk and [DONE]', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Write a haiku about the sea' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(5);
    expect(text).toContain('Write a haiku about the sea');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(countTokens(text));
  });

  it('honours max_tokens with finish_reason length', async () => {
    const res = await client().chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'tell me everything' }],
      max_tokens: 2,
    });
    expect(res.choices[0]).toMatchObject({
      finish_reason: 'length',
      message: { content: 'Sandbox reply' },
    });
  });

  it('calls a tool and then answers its result (non-streaming)', async () => {
    const first = await client().chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Call the get_weather tool for Paris' }],
      tools: [weatherTool],
    });
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });

    const second = await client().chat.completions.create({
      model: 'gpt-4o',
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Call the get_weather tool for Paris' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: call.id, content: '{"temp_c":21}' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('The get_weather tool returned: {"temp_c":21}');
  });

  it('streams a tool call that the SDK stream helper accumulates', async () => {
    const runner = client().chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: "What's the weather in Lyon?" }],
      tools: [weatherTool],
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Lyon' });
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('answers bad requests with OpenAI-shaped 400s the SDK understands', async () => {
    await expect(
      client().chat.completions.create({ model: 'm', messages: [] }),
    ).rejects.toMatchObject({ status: 400, constructor: OpenAI.BadRequestError });
    const raw = await postJson(`${sandbox().modelUrl}/chat/completions`, '{"model":');
    expect(raw.status).toBe(400);
    expect(raw.body.error).toMatchObject({ type: 'invalid_request_error' });
  });
});

describe('responses', () => {
  it('answers with output_text and usage', async () => {
    const res = await client().responses.create({
      model: 'gpt-4.1-mini',
      instructions: 'Be brief.',
      input: 'What is the capital of France?',
    });
    expect(res.status).toBe('completed');
    expect(res.output_text).toContain('What is the capital of France?');
    expect(res.usage).toMatchObject({
      input_tokens: countTokens('Be brief.') + countTokens('What is the capital of France?'),
      output_tokens: countTokens(res.output_text),
    });
  });

  it('streams the typed event sequence, accepted by the SDK accumulator', async () => {
    const stream = client().responses.stream({
      model: 'gpt-4.1-mini',
      input: [{ role: 'user', content: 'Write a haiku about the sea' }],
    });
    const types: string[] = [];
    let deltas = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
    }
    const final = await stream.finalResponse();
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_item.done');
    expect(final.output_text).toBe(deltas);
    expect(final.usage?.output_tokens).toBe(countTokens(deltas));
  });

  it('streams with create({stream:true}) too, with increasing sequence numbers', async () => {
    const stream = await client().responses.create({ model: 'm', input: 'hello', stream: true });
    const seqs: number[] = [];
    for await (const event of stream) seqs.push(event.sequence_number);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('returns a function call for an offered tool, streaming and not', async () => {
    const tools = [
      {
        type: 'function' as const,
        name: 'get_weather',
        description: 'Current weather',
        parameters: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
        strict: false,
      },
    ];
    const res = await client().responses.create({ model: 'm', input: 'weather in Berlin?', tools });
    const call = res.output[0];
    expect(call).toMatchObject({
      type: 'function_call',
      name: 'get_weather',
      arguments: '{"city":"Berlin"}',
    });

    const stream = client().responses.stream({ model: 'm', input: 'weather in Oslo?', tools });
    let args = '';
    for await (const event of stream) {
      if (event.type === 'response.function_call_arguments.delta') args += event.delta;
    }
    const final = await stream.finalResponse();
    expect(args).toBe('{"city":"Oslo"}');
    expect(final.output[0]).toMatchObject({ type: 'function_call', arguments: args });
  });
});

describe('other routes and limits', () => {
  it('lists models and rejects bad responses input', async () => {
    const models = await client().models.list();
    expect(models.data.map(m => m.id)).toContain('sandbox-model');
    await expect(client().responses.create({ model: 'm', input: [] })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });

  it('answers an oversized body with a 413 in the OpenAI error shape', async () => {
    const big = JSON.stringify({
      model: 'm',
      messages: [{ role: 'user', content: 'x'.repeat(1_100_000) }],
    });
    const res = await postJson(`${sandbox().modelUrl}/chat/completions`, big);
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({
      message: 'Request body too large',
      code: 'request_too_large',
    });
  });

  it('answers unknown /v1 paths with an OpenAI-shaped 404', async () => {
    const res = await postJson(`${sandbox().modelUrl}/unknown`, { model: 'm' });
    expect(res.status).toBe(404);
    expect(res.body.error.type).toBe('invalid_request_error');
  });
});

describe('embeddings', () => {
  it('returns deterministic unit vectors, decoded by the SDK from base64', async () => {
    const res = await client().embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a', 'b', 'a'],
    });
    expect(res.data).toHaveLength(3);
    const [a, b, a2] = res.data.map(d => d.embedding);
    expect(a).toHaveLength(64);
    expect(a).toEqual(a2);
    expect(a).not.toEqual(b);
    const norm = Math.sqrt((a ?? []).reduce((s, v) => s + v * v, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });

  it('honours dimensions and float encoding', async () => {
    const res = await client().embeddings.create({
      model: 'm',
      input: 'hello world',
      dimensions: 8,
      encoding_format: 'float',
    });
    expect(res.data[0]?.embedding).toHaveLength(8);
    await expect(client().embeddings.create({ model: 'm', input: '' })).rejects.toMatchObject({
      status: 400,
    });
  });
});
