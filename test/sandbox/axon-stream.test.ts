import { Stream } from '@anthropic-ai/sdk/core/streaming';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { type AxonStreamEvent, decodeAxonStream } from '../../src/client/axon-stream.js';
import { StreamProtocolError } from '../../src/client/errors.js';
import { useSandbox } from './support/sandbox.js';

const sandbox = useSandbox();
const weather = {
  name: 'get_weather',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

function axonRequest(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return request(`${sandbox().url}/api/request`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      user_token: 'u',
      client_id: 'c',
      request_type: 'chat',
      context: {},
      ...body,
    }),
  });
}

async function collect(stream: AsyncIterable<AxonStreamEvent>): Promise<AxonStreamEvent[]> {
  const out: AxonStreamEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

// Decoder-only tests (scripted streams, recorded runtime streams) live in
// test/client/axon-stream.test.ts; these need the sandbox's `/api/request` route.
describe('decodeAxonStream against the sandbox', () => {
  it('decodes the anthropic dialect (undici body) with text, tool use and metadata', async () => {
    const res = await axonRequest({
      query: 'Call the get_weather tool for Paris',
      stream: true,
      context: { tools: [weather], model: 'claude-sandbox', flow: 'weather_flow' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    const stream = decodeAxonStream(res.body, { dialect: 'anthropic' });
    const events = await collect(stream);
    expect(events.map(e => e.type)).toEqual([
      'message_start',
      'text_start',
      ...Array(10).fill('text_delta'),
      'text_stop',
      'tool_use_start',
      'tool_use_delta',
      'tool_use_stop',
      'message_delta',
      'metadata',
      'message_stop',
    ]);
    expect(events[0]).toMatchObject({ type: 'message_start', model: 'claude-sandbox' });
    expect(events.find(e => e.type === 'text_stop')).toMatchObject({
      text: "I'll call the get_weather tool.",
    });
    expect(events.find(e => e.type === 'tool_use_stop')).toMatchObject({
      index: 1,
      name: 'get_weather',
      input: { city: 'Paris' },
      inputJson: '{"city":"Paris"}',
    });
    const metadata = await stream.metadata;
    expect(metadata).toMatchObject({
      flow: 'weather_flow',
      backend: 'claude-sandbox',
      success: true,
      stepsExecuted: 1,
      terminalReason: 'stop',
      streamPolicies: [],
    });
    expect(metadata.traceId).toBeGreaterThan(0);
    expect(metadata.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('decodes the openai dialect (fetch body), requested by Accept header', async () => {
    const res = await fetch(`${sandbox().url}/api/request`, {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      body: JSON.stringify({
        query: 'mail jane@example.com a haiku',
        request_type: 'llm_chat',
        client_id: 'c',
        dialect: 'openai',
      }),
    });
    if (!res.body) throw new Error('no body');
    const stream = decodeAxonStream(res.body, { dialect: 'openai' });
    const events = await collect(stream);
    const text = events.flatMap(e => (e.type === 'text_delta' ? [e.text] : [])).join('');
    expect(text).toContain('mail jane@example.com a haiku');
    expect(events.find(e => e.type === 'message_delta')).toMatchObject({ stopReason: 'stop' });
    expect(events.at(-1)?.type).toBe('message_stop');
    // The email flag shows up as the step's stream policy.
    expect((await stream.metadata).streamPolicies).toEqual([
      { step: 'respond', policy: 'email_detection' },
    ]);
  });

  it('decodes a flow that fails mid-way: balanced blocks, error in the metadata', async () => {
    for (const dialect of ['anthropic', 'openai'] as const) {
      const res = await axonRequest(
        { query: 'tell me a long story please', stream: true, dialect },
        { 'x-sandbox-fault': 'flow-error' },
      );
      const stream = decodeAxonStream(res.body, { dialect });
      const events = await collect(stream);
      expect(events.filter(e => e.type === 'text_delta')).toHaveLength(3);
      const metadata = await stream.metadata;
      expect(metadata.terminalReason).toBe('error');
      expect(metadata.error).toContain('fault injected');
      expect(metadata.traceId).toBeUndefined();
    }
  });

  it('turns a cut connection into StreamProtocolError, and rejects metadata with it', async () => {
    const res = await axonRequest(
      { query: 'hello there', stream: true },
      { 'x-sandbox-fault': 'cut' },
    );
    const stream = decodeAxonStream(res.body, { dialect: 'anthropic' });
    const error = await collect(stream).catch(e => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error.code).toBe('AXON_STREAM_PROTOCOL'.replace('AXON', 'AXONFLOW'));
    await expect(stream.metadata).rejects.toBe(error);
  });

  it('answers a blocked streamed request with the 403 JSON, not a stream', async () => {
    const res = await axonRequest({ query: 'my SSN is 123-45-6789', stream: true });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('application/json');
    expect(await res.body.json()).toMatchObject({ success: false, blocked: true });
  });

  it('refuses streaming for non-chat request types and unknown dialects', async () => {
    const plan = await axonRequest({
      query: 'plan it',
      request_type: 'generate-plan',
      stream: true,
    });
    expect(plan.statusCode).toBe(400);
    await plan.body.dump();
    const dialect = await axonRequest({ query: 'hi', stream: true, dialect: 'klingon' });
    expect(dialect.statusCode).toBe(400);
    await dialect.body.dump();
  });

  it('is accepted verbatim by the Anthropic SDK stream parser and message accumulator', async () => {
    const res = await fetch(`${sandbox().url}/api/request`, {
      method: 'POST',
      body: JSON.stringify({
        query: 'Call the get_weather tool for Oslo',
        request_type: 'chat',
        client_id: 'c',
        stream: true,
        context: { tools: [weather] },
      }),
    });
    const sdkStream = Stream.fromSSEResponse<{ type: string }>(res, new AbortController());
    const message = await MessageStream.fromReadableStream(
      sdkStream.toReadableStream(),
    ).finalMessage();
    expect(message.id).toMatch(/^msg_axon_[0-9a-f]+$/);
    expect(message.content).toEqual([
      { type: 'text', text: "I'll call the get_weather tool." },
      {
        type: 'tool_use',
        id: expect.stringMatching(/^toolu_axon_/),
        name: 'get_weather',
        input: { city: 'Oslo' },
      },
    ]);
    expect(message.stop_reason).toBe('end_turn');
  });
});
