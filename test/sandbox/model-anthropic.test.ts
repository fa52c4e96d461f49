import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/sandbox/model/tokenizer.js';
import { postJson, useSandbox } from './support/sandbox.js';

const sandbox = useSandbox();
const client = () =>
  new Anthropic({ apiKey: 'sk-ant-sandbox', baseURL: sandbox().url, maxRetries: 0 });

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: {
    type: 'object' as const,
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
};

describe('messages.create', () => {
  it('answers deterministically with usage', async () => {
    const before = sandbox().modelRequests();
    const msg = await client().messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
    });
    expect(sandbox().modelRequests()).toBe(before + 1);
    expect(msg.role).toBe('assistant');
    expect(msg.stop_reason).toBe('end_turn');
    const block = msg.content[0];
    if (block?.type !== 'text') throw new Error('expected text');
    expect(block.text).toContain('What is the capital of France?');
    expect(msg.usage.input_tokens).toBe(
      countTokens('Be brief.') + countTokens('What is the capital of France?'),
    );
    expect(msg.usage.output_tokens).toBe(countTokens(block.text));
  });

  it('stops at max_tokens', async () => {
    const msg = await client().messages.create({
      model: 'm',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'go on and on' }],
    });
    expect(msg.stop_reason).toBe('max_tokens');
    expect(msg.usage.output_tokens).toBe(3);
  });

  it('uses a tool, then answers the tool result', async () => {
    const first = await client().messages.create({
      model: 'm',
      max_tokens: 256,
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'Call the get_weather tool for Paris' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content.map(b => b.type)).toEqual(['text', 'tool_use']);
    const use = first.content[1];
    if (use?.type !== 'tool_use') throw new Error('expected tool_use');
    expect(use).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });

    const second = await client().messages.create({
      model: 'm',
      max_tokens: 256,
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'Call the get_weather tool for Paris' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21C' }],
        },
      ],
    });
    expect(second.content[0]).toMatchObject({
      type: 'text',
      text: 'The get_weather tool returned: sunny, 21C',
    });
  });

  it('answers invalid requests with Anthropic-shaped errors the SDK understands', async () => {
    await expect(
      client().messages.create({
        model: 'm',
        max_tokens: 0,
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 400, constructor: Anthropic.BadRequestError });
    const raw = await postJson(`${sandbox().url}/v1/messages`, { model: 'm', max_tokens: 5 });
    expect(raw.status).toBe(400);
    expect(raw.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(raw.headers.get('request-id')).toMatch(/^req_sbx_/);
  });
});

describe('streaming', () => {
  it('streams the full lifecycle with create({stream:true})', async () => {
    const stream = await client().messages.create({
      model: 'm',
      max_tokens: 256,
      stream: true,
      messages: [{ role: 'user', content: 'Write a haiku about the sea' }],
    });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        text += event.delta.text;
    }
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types.filter(t => t === 'content_block_start')).toHaveLength(1);
    expect(text).toContain('Write a haiku about the sea');
  });

  it('messages.stream() accumulates text and tool_use into finalMessage()', async () => {
    const stream = client().messages.stream({
      model: 'm',
      max_tokens: 256,
      tools: [weatherTool],
      messages: [{ role: 'user', content: "What's the weather in Rome?" }],
    });
    const seen: string[] = [];
    stream.on('text', delta => seen.push(delta));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content[0]).toMatchObject({
      type: 'text',
      text: "I'll call the get_weather tool.",
    });
    expect(final.content[1]).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: { city: 'Rome' },
    });
    expect(seen.join('')).toBe("I'll call the get_weather tool.");
    expect(final.usage.output_tokens).toBe(
      countTokens("I'll call the get_weather tool.") + countTokens('{"city":"Rome"}'),
    );
  });

  it('finalText() of a plain stream equals the non-streamed answer', async () => {
    const params = {
      model: 'm',
      max_tokens: 256,
      messages: [{ role: 'user' as const, content: 'Summarize the Q3 report' }],
    };
    const streamed = await client().messages.stream(params).finalText();
    const plain = await client().messages.create(params);
    expect(plain.content[0]).toMatchObject({ type: 'text', text: streamed });
  });
});
