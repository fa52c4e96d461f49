import { Stream } from '@anthropic-ai/sdk/core/streaming';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AxonStreamEvent,
  type DecodeAxonStreamOptions,
  decodeAxonStream,
} from '../../src/client/axon-stream.js';
import { StreamProtocolError } from '../../src/client/errors.js';
import { data, ev, type RawServer, rawSseServer } from './support/raw-server.js';
import { useSandbox } from './support/sandbox.js';
import { bytes } from './support/sse.js';

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

describe('decodeAxonStream lifecycle checks', () => {
  let server: RawServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = ev('message_start', { message: { id: 'msg_1', model: 'm' } });
  const textStart = (index: number) =>
    ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
  const textDelta = (index: number, text: string) =>
    ev('content_block_delta', { index, delta: { type: 'text_delta', text } });
  const stop = (index: number) => ev('content_block_stop', { index });
  const messageDelta = ev('message_delta', {
    delta: { stop_reason: 'end_turn' },
    usage: { output_tokens: 1 },
  });
  const metadata = ev('axon.metadata', { axon_metadata: { terminal_reason: 'stop' } });

  async function decodeScripted(text: string, options: DecodeAxonStreamOptions, end = true) {
    server = await rawSseServer(res => {
      res.write(text);
      if (end) res.end();
    });
    const res = await request(server.url);
    return decodeAxonStream(res.body, options);
  }

  it.each([
    [
      'a truncated stream',
      start + textStart(0) + textDelta(0, 'hi'),
      /truncated.*block 0 was never closed/,
    ],
    [
      'an index going backwards',
      start + textStart(1) + stop(1) + textStart(0),
      /went backwards \(0 after 1\)/,
    ],
    ['a repeated index', start + textStart(0) + stop(0) + textStart(0), /went backwards/],
    [
      'a block opened inside another',
      start + textStart(0) + textStart(1),
      /while block 0 was still open/,
    ],
    [
      'a block never closed',
      start + textStart(0) + textDelta(0, 'x') + messageDelta,
      /block 0 was never closed/,
    ],
    ['a delta for a closed block', start + textStart(0) + stop(0) + textDelta(0, 'x'), /not open/],
    ['content before message_start', textStart(0), /before message_start/],
    [
      'an error event',
      start + ev('error', { error: { type: 'overloaded_error', message: 'busy' } }),
      /overloaded_error: busy/,
    ],
    [
      'an invalid metadata frame',
      start + ev('axon.metadata', { axon_metadata: { flow: 3 } }),
      /invalid metadata/,
    ],
    ['data that is not JSON', `${start}event: content_block_start\ndata: {nope\n\n`, /not JSON/],
  ])('throws StreamProtocolError for %s (anthropic)', async (_name, text, message) => {
    const stream = await decodeScripted(text, { dialect: 'anthropic' });
    const error = await collect(stream).catch(e => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error.message).toMatch(message);
    await expect(stream.metadata).rejects.toBe(error);
  });

  it('keeps metadata that arrived before the stream broke off', async () => {
    const stream = await decodeScripted(start + messageDelta + metadata, { dialect: 'anthropic' });
    await expect(collect(stream)).rejects.toThrow(/ended before message_stop \(truncated\)/);
    await expect(stream.metadata).resolves.toMatchObject({ terminalReason: 'stop' });
  });

  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    data({ id: 'c1', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });

  it.each([
    [
      'a stream without [DONE]',
      chunk({ role: 'assistant' }) + chunk({ content: 'hi' }),
      /\[DONE\].*truncated/,
    ],
    [
      'content after finish_reason',
      chunk({ content: 'a' }) + chunk({}, 'stop') + chunk({ content: 'b' }),
      /after its finish_reason/,
    ],
    [
      'a tool fragment with no tool call',
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }),
      /never started/,
    ],
    ['an error chunk', data({ error: { message: 'boom' } }), /boom/],
  ])('throws StreamProtocolError for %s (openai)', async (_name, text, message) => {
    const stream = await decodeScripted(text, { dialect: 'openai' });
    const error = await collect(stream).catch(e => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error.message).toMatch(message);
  });

  it('accumulates OpenAI tool-call argument fragments into one tool use', async () => {
    const text =
      chunk({ role: 'assistant' }) +
      chunk({ content: 'Let me check.' }) +
      chunk({
        tool_calls: [
          { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } },
        ],
      }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }) +
      chunk({}, 'tool_calls') +
      data({ axon_metadata: { terminal_reason: 'stop' } }) +
      data('[DONE]');
    const events = await collect(await decodeScripted(text, { dialect: 'openai' }));
    expect(events.map(e => e.type)).toEqual([
      'message_start',
      'text_start',
      'text_delta',
      'text_stop',
      'tool_use_start',
      'tool_use_delta',
      'tool_use_delta',
      'tool_use_stop',
      'message_delta',
      'metadata',
      'message_stop',
    ]);
    expect(events[7]).toMatchObject({ index: 1, id: 'call_1', name: 'f', input: { a: 1 } });
    expect(events[8]).toMatchObject({ stopReason: 'tool_calls' });
  });

  it('decodes byte-by-byte input, multi-byte characters included', async () => {
    const text =
      start +
      textStart(0) +
      textDelta(0, 'café ☕ 東京') +
      stop(0) +
      messageDelta +
      metadata +
      ev('message_stop');
    const stream = decodeAxonStream(bytes(text, 1), { dialect: 'anthropic' });
    const events = await collect(stream);
    expect(events.find(e => e.type === 'text_stop')).toMatchObject({ text: 'café ☕ 東京' });
    await expect(stream.metadata).resolves.toMatchObject({ terminalReason: 'stop' });
  });

  it('ignores ping and unknown events; a clean stream without metadata rejects only metadata', async () => {
    const text =
      start + ev('ping') + ev('future_event', { x: 1 }) + messageDelta + ev('message_stop');
    const stream = decodeAxonStream(bytes(text), { dialect: 'anthropic' });
    expect((await collect(stream)).map(e => e.type)).toEqual([
      'message_start',
      'message_delta',
      'message_stop',
    ]);
    await expect(stream.metadata).rejects.toThrow(StreamProtocolError);
  });

  it('refuses an event larger than maxEventSize', async () => {
    const text = start + textStart(0) + textDelta(0, 'x'.repeat(5000));
    const stream = decodeAxonStream(bytes(text), { dialect: 'anthropic', maxEventSize: 1024 });
    await expect(collect(stream)).rejects.toThrow(/exceeds 1024 characters/);
  });

  it('releases the body on break and rejects metadata with an AbortError', async () => {
    server = await rawSseServer(res => {
      res.write(start + textStart(0) + textDelta(0, 'a'));
      // …and never finishes.
    });
    const res = await request(server.url);
    const stream = decodeAxonStream(res.body, { dialect: 'anthropic' });
    for await (const event of stream) {
      if (event.type === 'text_delta') break;
    }
    await server.closed();
    await expect(stream.metadata).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('abort() ends a waiting iteration quietly and releases the body', async () => {
    server = await rawSseServer(res => {
      res.write(start);
    });
    const res = await request(server.url);
    const stream = decodeAxonStream(res.body, { dialect: 'anthropic' });
    const seen: string[] = [];
    const done = (async () => {
      for await (const event of stream) {
        seen.push(event.type);
        setTimeout(() => stream.abort(), 20);
      }
    })();
    await expect(done).resolves.toBeUndefined();
    expect(seen).toEqual(['message_start']);
    await server.closed();
    await expect(stream.metadata).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('abort() also releases a pending fetch (web stream) body', async () => {
    server = await rawSseServer(res => {
      res.write(start);
    });
    const res = await fetch(server.url);
    if (!res.body) throw new Error('no body');
    const stream = decodeAxonStream(res.body, { dialect: 'anthropic' });
    setTimeout(() => stream.abort(), 50);
    expect((await collect(stream)).map(e => e.type)).toEqual(['message_start']);
    await server.closed();
  });

  it('honours an AbortSignal, even one aborted before iteration', async () => {
    const aborted = decodeAxonStream(bytes(start), {
      dialect: 'anthropic',
      signal: AbortSignal.abort(),
    });
    expect(await collect(aborted)).toEqual([]);
    await expect(aborted.metadata).rejects.toMatchObject({ name: 'AbortError' });

    server = await rawSseServer(res => {
      res.write(start);
    });
    const res = await request(server.url);
    const stream = decodeAxonStream(res.body, {
      dialect: 'anthropic',
      signal: AbortSignal.timeout(50),
    });
    expect((await collect(stream)).map(e => e.type)).toEqual(['message_start']);
    await server.closed();
  });

  it('can be iterated only once, and leaks no unhandled rejection when metadata is ignored', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const stream = decodeAxonStream(bytes(start + textStart(0)), { dialect: 'anthropic' });
      await expect(collect(stream)).rejects.toThrow(StreamProtocolError);
      expect(() => stream[Symbol.asyncIterator]()).toThrow(TypeError);
      await new Promise(resolve => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
