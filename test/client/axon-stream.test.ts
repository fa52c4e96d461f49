/**
 * `decodeAxonStream` against streams shaped like the AXON runtime's, not like this package's sandbox.
 * The fixtures in `fixtures/axon/` were written by hand from the runtime's own adapters (see their
 * README). Each expectation below restates what the runtime's source says a frame means. The
 * sandbox shares code with the decoder, so agreeing with the sandbox proves less than this.
 *
 * The last block ("lifecycle checks") holds the decoder-only tests moved here from
 * `test/sandbox/axon-stream.test.ts`. They need only a scripted loopback server.
 */
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AxonDialect,
  type AxonMetadata,
  type AxonStream,
  type AxonStreamEvent,
  type DecodeAxonStreamOptions,
  decodeAxonStream,
} from '../../src/client/axon-stream.js';
import { ErrorCode, StreamProtocolError } from '../../src/client/errors.js';

// --- Helpers ---------------------------------------------------------------------------------------

const FIXTURES = new URL('./fixtures/axon/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const utf8Decoder = new TextDecoder();
const utf8 = new TextEncoder();
const text = (body: Uint8Array) => utf8Decoder.decode(body);

const ALL_FIXTURES: [string, AxonDialect][] = [
  ['anthropic-text.sse', 'anthropic'],
  ['anthropic-tool-use.sse', 'anthropic'],
  ['anthropic-flow-error.sse', 'anthropic'],
  ['anthropic-not-deployed.sse', 'anthropic'],
  ['openai-text.sse', 'openai'],
  ['openai-tool-call.sse', 'openai'],
  ['openai-flow-error.sse', 'openai'],
  ['openai-not-deployed.sse', 'openai'],
];

async function collect(stream: AsyncIterable<AxonStreamEvent>): Promise<AxonStreamEvent[]> {
  const out: AxonStreamEvent[] = [];
  for await (const event of stream) out.push(event);
  return out;
}

/** An async body yielding `body` cut at the given byte offsets. */
async function* pieces(body: Uint8Array, cuts: readonly number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of [...cuts, body.length]) {
    if (cut > from) yield body.subarray(from, cut);
    from = Math.max(from, cut);
  }
}

/** An async body yielding `text` (or bytes) in chunks of `size` bytes. */
async function* bytes(input: string | Uint8Array, size = 64): AsyncGenerator<Uint8Array> {
  const all = typeof input === 'string' ? utf8.encode(input) : input;
  for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
}

/** What a decode came to: the events, how iteration ended and how `metadata` settled. */
interface Outcome {
  events: AxonStreamEvent[];
  error: { code: unknown; message: string } | undefined;
  metadata: { value: AxonMetadata } | { error: string };
}

async function outcome(stream: AxonStream): Promise<Outcome> {
  const events: AxonStreamEvent[] = [];
  let error: Outcome['error'];
  try {
    for await (const event of stream) events.push(event);
  } catch (err) {
    expect(err).toBeInstanceOf(StreamProtocolError);
    const e = err as StreamProtocolError;
    error = { code: e.code, message: e.message };
  }
  const metadata = await stream.metadata.then(
    value => ({ value }),
    (err: Error) => ({ error: `${err.name}: ${err.message}` }),
  );
  return { events, error, metadata };
}

const decodeOutcome = (body: AsyncIterable<Uint8Array>, dialect: AxonDialect) =>
  outcome(decodeAxonStream(body, { dialect }));

/** The `[start, end)` byte range of each SSE block (blank-line separated) in an LF stream. */
function frames(body: Uint8Array): { start: number; end: number; text: string }[] {
  const all = text(body);
  const out: { start: number; end: number; text: string }[] = [];
  let start = 0;
  for (let i = all.indexOf('\n\n'); i !== -1; i = all.indexOf('\n\n', start)) {
    const end = i + 2;
    out.push({
      start: utf8.encode(all.slice(0, start)).length,
      end: utf8.encode(all.slice(0, end)).length,
      text: all.slice(start, end),
    });
    start = end;
  }
  return out;
}

/** The fixture without the SSE block(s) whose text contains `needle`. */
function without(body: Uint8Array, needle: string): Uint8Array {
  return utf8.encode(
    frames(body)
      .filter(f => !f.text.includes(needle))
      .map(f => f.text)
      .join(''),
  );
}

// Loopback servers writing fixture bytes, closed after each test.
const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(s => s.close()));
});

async function listen(handler: (res: ServerResponse) => void | Promise<void>) {
  const server = createServer((req, res) => {
    req.resume();
    // The runtime's axum `Sse` response headers.
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    void handler(res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const handle = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  servers.push(handle);
  return handle;
}

/** Serves `body` over loopback HTTP in writes of `size` bytes, yielding to the loop between them. */
async function serve(body: Uint8Array, size = body.length) {
  return listen(async res => {
    for (let i = 0; i < body.length; i += size) {
      res.write(body.subarray(i, i + size));
      await new Promise(resolve => setImmediate(resolve));
    }
    res.end();
  });
}

/** Decodes a fixture the way `proxyLLMCallStream` gets it: an undici body from a loopback server. */
async function decodeServed(body: Uint8Array, dialect: AxonDialect, size?: number) {
  const server = await serve(body, size);
  const res = await request(server.url, { method: 'POST', body: '{}' });
  expect(res.headers['content-type']).toBe('text/event-stream');
  return decodeAxonStream(res.body, { dialect });
}

const textDeltas = (index: number, parts: string[]): AxonStreamEvent[] =>
  parts.map(t => ({ type: 'text_delta', index, text: t }));

// --- What the runtime's frames mean -----------------------------------------------------------------

describe('decodeAxonStream on recorded AXON runtime streams (anthropic dialect)', () => {
  it('anthropic-text.sse: two lazily opened text blocks and the envelope metadata', async () => {
    const body = fixture('anthropic-text.sse');
    // The fixture starts with the runtime's `retry: 5000` hint and has a `: keepalive` comment.
    expect(text(body).startsWith('retry: 5000\n\n')).toBe(true);
    expect(text(body)).toContain('\n: keepalive\n\n');
    const stream = await decodeServed(body, 'anthropic');
    const events = await collect(stream);
    const metadata: AxonMetadata = {
      traceId: 42,
      flow: 'CapitalQuiz',
      backend: 'anthropic',
      success: true,
      stepsExecuted: 2,
      tokensInput: 0,
      tokensOutput: 6,
      latencyMs: 812,
      streamPolicies: [],
      terminalReason: 'stop',
    };
    expect(events).toStrictEqual([
      // FlowStart: message id `msg_axon_<trace hex>`, model = the FlowStart backend.
      { type: 'message_start', messageId: 'msg_axon_2a', model: 'anthropic' },
      { type: 'text_start', index: 0 },
      ...textDeltas(0, ['The capital', ' of France', ' is Paris.']),
      // StepComplete closes the open text block…
      { type: 'text_stop', index: 0, text: 'The capital of France is Paris.' },
      // …and the next step's first token opens a new one at the next index.
      { type: 'text_start', index: 1 },
      ...textDeltas(1, ['Café', ' ☕ au', ' 東京?']),
      { type: 'text_stop', index: 1, text: 'Café ☕ au 東京?' },
      // FlowComplete: `end_turn`, output_tokens = number of StepToken events.
      { type: 'message_delta', stopReason: 'end_turn', outputTokens: 6 },
      // flush_terminator: the metadata frame, then message_stop.
      { type: 'metadata', metadata },
      { type: 'message_stop' },
    ]);
    await expect(stream.metadata).resolves.toStrictEqual(metadata);
  });

  it('anthropic-tool-use.sse: a tool_use block between text blocks, side channels passed through', async () => {
    const stream = await decodeServed(fixture('anthropic-tool-use.sse'), 'anthropic');
    const events = await collect(stream);
    expect(events.map(e => e.type)).toEqual([
      'message_start',
      'text_start',
      'text_delta',
      'text_delta',
      'text_delta',
      'text_stop',
      'tool_use_start',
      'tool_use_delta',
      'tool_use_stop',
      'text_start',
      'text_delta',
      'text_delta',
      'text_delta',
      'text_stop',
      'message_delta',
      'metadata',
      'message_stop',
    ]);
    expect(events[0]).toStrictEqual({
      type: 'message_start',
      messageId: 'msg_axon_2b',
      model: 'anthropic',
    });
    // ToolCall closes the text block, then start + one input_json_delta (the whole payload) + stop.
    expect(events.slice(5, 9)).toStrictEqual([
      { type: 'text_stop', index: 0, text: 'Let me check the weather.' },
      { type: 'tool_use_start', index: 1, id: 'toolu_axon_2b_1', name: 'get_weather' },
      { type: 'tool_use_delta', index: 1, partialJson: '{"city":"Paris","unit":"celsius"}' },
      {
        type: 'tool_use_stop',
        index: 1,
        id: 'toolu_axon_2b_1',
        name: 'get_weather',
        inputJson: '{"city":"Paris","unit":"celsius"}',
        input: { city: 'Paris', unit: 'celsius' },
      },
    ]);
    expect(events[13]).toStrictEqual({ type: 'text_stop', index: 2, text: 'It is 18°C in Paris.' });
    // The runtime says end_turn after a tool call too (it has no `tool_use` stop reason).
    expect(events[14]).toStrictEqual({
      type: 'message_delta',
      stopReason: 'end_turn',
      outputTokens: 6,
    });
    const metadata = await stream.metadata;
    expect(metadata).toStrictEqual({
      traceId: 43,
      flow: 'WeatherAgent',
      backend: 'anthropic',
      success: true,
      stepsExecuted: 2,
      tokensInput: 0,
      tokensOutput: 6,
      latencyMs: 1534,
      streamPolicies: [{ step: 'Answer', policy: 'drop_oldest' }],
      enforcementSummary: {
        Answer: {
          chunks_delivered: 3,
          chunks_pushed: 3,
          degrade_quality_hits: 0,
          drop_oldest_hits: 0,
          fail_overflows: 0,
          failed: false,
          pause_upstream_blocks: 0,
          policy_slug: 'drop_oldest',
        },
      },
      stepAudit: [
        expect.objectContaining({
          step_name: 'Plan',
          step_index: 0,
          effect_policy_applied: null,
          tokens_emitted: 3,
        }),
        expect.objectContaining({
          step_name: 'Answer',
          step_index: 1,
          effect_policy_applied: 'drop_oldest',
          output_hash_hex: '1d8ce8ebb4932812f930b1729ed42f20943291c2e4fa015ab3d1c3a03f8d07f0',
        }),
      ],
      terminalReason: 'stop',
    });
    expect(events[15]).toStrictEqual({ type: 'metadata', metadata });
  });

  it('anthropic-flow-error.sse: a flow failing mid-stream ends as a clean stream; metadata says why', async () => {
    const stream = await decodeServed(fixture('anthropic-flow-error.sse'), 'anthropic');
    // The runtime closes the open block and terminates normally: iteration must not throw.
    const events = await collect(stream);
    const metadata: AxonMetadata = {
      // No FlowComplete, so no envelope: only terminal_reason and error.
      streamPolicies: [],
      terminalReason: 'error',
      error: `flow 'Summarize' failed at step 'Draft': BackendError("upstream 529: overloaded")`,
    };
    expect(events).toStrictEqual([
      { type: 'message_start', messageId: 'msg_axon_2c', model: 'anthropic' },
      { type: 'text_start', index: 0 },
      ...textDeltas(0, ['Drafting', ' the summary', ' of']),
      { type: 'text_stop', index: 0, text: 'Drafting the summary of' },
      // Anthropic has no error stop reason; the runtime sends end_turn and relies on the metadata.
      { type: 'message_delta', stopReason: 'end_turn', outputTokens: 3 },
      { type: 'metadata', metadata },
      { type: 'message_stop' },
    ]);
    await expect(stream.metadata).resolves.toStrictEqual(metadata);
  });

  // The runtime's `FlowError` arm runs without a `FlowStart` when the flow is not deployed or no
  // backend is available, so the wire has no `message_start`: the decoder accepts such a stream
  // and keeps the platform's own error text in the metadata.
  it('anthropic-not-deployed.sse: an error stream without message_start still yields its metadata', async () => {
    const stream = await decodeServed(fixture('anthropic-not-deployed.sse'), 'anthropic');
    const events = await collect(stream);
    const metadata: AxonMetadata = {
      streamPolicies: [],
      terminalReason: 'error',
      error: "flow 'Missing' not deployed",
    };
    expect(events).toStrictEqual([
      { type: 'message_delta', stopReason: 'end_turn', outputTokens: 0 },
      { type: 'metadata', metadata },
      { type: 'message_stop' },
    ]);
    await expect(stream.metadata).resolves.toStrictEqual(metadata);
  });

  it('still refuses a content block before message_start', async () => {
    const body =
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n';
    const result = await decodeOutcome(bytes(body), 'anthropic');
    expect(result.error?.message).toBe('AXON stream sent content_block_start before message_start');
  });

  it('resolves metadata as soon as its frame arrives, before message_stop is sent', async () => {
    const body = fixture('anthropic-text.sse');
    const stopFrame = frames(body).at(-1);
    if (!stopFrame) throw new Error('no frames');
    let release!: () => void;
    const held = new Promise<void>(resolve => {
      release = resolve;
    });
    const server = await listen(async res => {
      res.write(body.subarray(0, stopFrame.start));
      await held;
      res.end(body.subarray(stopFrame.start));
    });
    const res = await request(server.url);
    const stream = decodeAxonStream(res.body, { dialect: 'anthropic' });
    const iteration = collect(stream);
    await expect(stream.metadata).resolves.toMatchObject({ traceId: 42, terminalReason: 'stop' });
    release();
    expect((await iteration).at(-1)).toEqual({ type: 'message_stop' });
  });
});

describe('decodeAxonStream on recorded AXON runtime streams (openai dialect)', () => {
  it('openai-text.sse: role marker, content chunks, finish chunk, axon_metadata, [DONE] (fetch body)', async () => {
    const server = await serve(fixture('openai-text.sse'));
    const res = await fetch(server.url);
    if (!res.body) throw new Error('no body');
    const stream = decodeAxonStream(res.body, { dialect: 'openai' });
    const events = await collect(stream);
    const metadata: AxonMetadata = {
      traceId: 45,
      flow: 'Hello',
      backend: 'openai',
      success: true,
      stepsExecuted: 1,
      tokensInput: 0,
      tokensOutput: 4,
      latencyMs: 377,
      streamPolicies: [],
      terminalReason: 'stop',
    };
    expect(events).toStrictEqual([
      // The role-marker chunk (FlowStart) carries the id `chatcmpl-axon-<trace hex>` and the model.
      { type: 'message_start', messageId: 'chatcmpl-axon-2d', model: 'openai' },
      { type: 'text_start', index: 0 },
      ...textDeltas(0, ['Hello', ' from', ' AXON', ' — ünïcödé ✓']),
      { type: 'text_stop', index: 0, text: 'Hello from AXON — ünïcödé ✓' },
      // The runtime's chunks carry no usage, so there is no output token count.
      { type: 'message_delta', stopReason: 'stop', outputTokens: undefined },
      { type: 'metadata', metadata },
      { type: 'message_stop' },
    ]);
    await expect(stream.metadata).resolves.toStrictEqual(metadata);
  });

  it('openai-tool-call.sse: each complete tool call (all at tool_calls index 0) is its own tool use', async () => {
    const stream = await decodeServed(fixture('openai-tool-call.sse'), 'openai');
    const events = await collect(stream);
    expect(events).toStrictEqual([
      { type: 'message_start', messageId: 'chatcmpl-axon-2e', model: 'openai' },
      { type: 'text_start', index: 0 },
      { type: 'text_delta', index: 0, text: 'Checking two cities.' },
      { type: 'text_stop', index: 0, text: 'Checking two cities.' },
      { type: 'tool_use_start', index: 1, id: 'call_2e_1', name: 'get_weather' },
      { type: 'tool_use_delta', index: 1, partialJson: '{"city":"Paris"}' },
      {
        type: 'tool_use_stop',
        index: 1,
        id: 'call_2e_1',
        name: 'get_weather',
        inputJson: '{"city":"Paris"}',
        input: { city: 'Paris' },
      },
      { type: 'tool_use_start', index: 2, id: 'call_2e_2', name: 'get_weather' },
      { type: 'tool_use_delta', index: 2, partialJson: '{"city":"Oslo"}' },
      {
        type: 'tool_use_stop',
        index: 2,
        id: 'call_2e_2',
        name: 'get_weather',
        inputJson: '{"city":"Oslo"}',
        input: { city: 'Oslo' },
      },
      // The runtime finishes with "stop" after tool calls too.
      { type: 'message_delta', stopReason: 'stop', outputTokens: undefined },
      {
        type: 'metadata',
        metadata: expect.objectContaining({ traceId: 46, flow: 'WeatherAgent' }),
      },
      { type: 'message_stop' },
    ]);
  });

  it('openai-flow-error.sse: finish "stop", then metadata with terminal_reason error and the cause', async () => {
    const stream = await decodeServed(fixture('openai-flow-error.sse'), 'openai');
    const events = await collect(stream);
    const metadata: AxonMetadata = {
      streamPolicies: [],
      terminalReason: 'error',
      error: `flow 'Summarize' failed at step 'Draft': BackendError("upstream 529: overloaded")`,
    };
    expect(events).toStrictEqual([
      { type: 'message_start', messageId: 'chatcmpl-axon-2f', model: 'openai' },
      { type: 'text_start', index: 0 },
      ...textDeltas(0, ['Drafting', ' the summary']),
      { type: 'text_stop', index: 0, text: 'Drafting the summary' },
      { type: 'message_delta', stopReason: 'stop', outputTokens: undefined },
      { type: 'metadata', metadata },
      { type: 'message_stop' },
    ]);
    await expect(stream.metadata).resolves.toStrictEqual(metadata);
  });

  it('openai-not-deployed.sse: a stream with no role marker (no FlowStart) still decodes', async () => {
    const stream = await decodeServed(fixture('openai-not-deployed.sse'), 'openai');
    expect(await collect(stream)).toStrictEqual([
      // The adapter's defaults: trace 0, model "axon".
      { type: 'message_start', messageId: 'chatcmpl-axon-0', model: 'axon' },
      { type: 'message_delta', stopReason: 'stop', outputTokens: undefined },
      {
        type: 'metadata',
        metadata: {
          streamPolicies: [],
          terminalReason: 'error',
          error: "flow 'Missing' not deployed",
        },
      },
      { type: 'message_stop' },
    ]);
  });
});

// --- Framing ---------------------------------------------------------------------------------------

describe('decodeAxonStream framing of runtime streams', () => {
  it.each(ALL_FIXTURES)(
    '%s is framed as the runtime frames it (LF only, retry hint first)',
    name => {
      const body = text(fixture(name));
      expect(body.startsWith('retry: 5000\n\n')).toBe(true);
      expect(body.endsWith('\n\n')).toBe(true);
      expect(body).not.toContain('\r');
      // axum writes `name: value`, with a space; every block ends with one blank line.
      for (const line of body.split('\n').filter(l => l !== '')) {
        expect(line).toMatch(/^(retry|event|data|): /);
      }
      expect(body).not.toContain('\n\n\n');
    },
  );

  it('decodes anthropic-tool-use.sse the same when split at every byte boundary', async () => {
    const body = fixture('anthropic-tool-use.sse');
    const whole = await decodeOutcome(pieces(body, []), 'anthropic');
    expect(whole.error).toBeUndefined();
    for (let cut = 1; cut < body.length; cut++) {
      const split = await decodeOutcome(pieces(body, [cut]), 'anthropic');
      if (JSON.stringify(split) !== JSON.stringify(whole)) {
        expect({ cut, ...split }).toEqual({ cut, ...whole });
      }
    }
  });

  it('decodes openai-text.sse the same when split at every byte boundary (multi-byte text)', async () => {
    const body = fixture('openai-text.sse');
    const whole = await decodeOutcome(pieces(body, []), 'openai');
    expect(whole.error).toBeUndefined();
    for (let cut = 1; cut < body.length; cut++) {
      const split = await decodeOutcome(pieces(body, [cut]), 'openai');
      if (JSON.stringify(split) !== JSON.stringify(whole)) {
        expect({ cut, ...split }).toEqual({ cut, ...whole });
      }
    }
  });

  it.each(ALL_FIXTURES)('decodes %s the same one byte at a time', async (name, dialect) => {
    const body = fixture(name);
    const whole = await decodeOutcome(pieces(body, []), dialect);
    expect(await decodeOutcome(bytes(body, 1), dialect)).toEqual(whole);
  });

  it.each(ALL_FIXTURES)('decodes %s the same with CRLF line endings', async (name, dialect) => {
    const body = fixture(name);
    const whole = await decodeOutcome(pieces(body, []), dialect);
    const crlf = utf8.encode(text(body).replaceAll('\n', '\r\n'));
    expect(await decodeOutcome(pieces(crlf, []), dialect)).toEqual(whole);
    expect(await decodeOutcome(bytes(crlf, 7), dialect)).toEqual(whole);
  });

  // SSE allows a bare CR as a line ending (the runtime never sends one): the held-back final CR
  // ends the last event at the end of the body.
  it('decodes a stream with CR-only line endings, whose last byte is a bare CR', async () => {
    const body = fixture('openai-text.sse');
    const whole = await decodeOutcome(pieces(body, []), 'openai');
    const cr = utf8.encode(text(body).replaceAll('\n', '\r'));
    expect(await decodeOutcome(pieces(cr, []), 'openai')).toEqual(whole);
    expect(await decodeOutcome(bytes(cr, 5), 'openai')).toEqual(whole);
  });

  it('decodes a CRLF stream split at every byte boundary, between CR and LF included', async () => {
    const body = fixture('anthropic-flow-error.sse');
    const whole = await decodeOutcome(pieces(body, []), 'anthropic');
    const crlf = utf8.encode(text(body).replaceAll('\n', '\r\n'));
    for (let cut = 1; cut < crlf.length; cut++) {
      const split = await decodeOutcome(pieces(crlf, [cut]), 'anthropic');
      if (JSON.stringify(split) !== JSON.stringify(whole)) {
        expect({ cut, ...split }).toEqual({ cut, ...whole });
      }
    }
  });

  it('decodes a fixture served over loopback HTTP in 5-byte writes', async () => {
    const body = fixture('anthropic-tool-use.sse');
    const whole = await decodeOutcome(pieces(body, []), 'anthropic');
    expect(await outcome(await decodeServed(body, 'anthropic', 5))).toEqual(whole);
  });
});

// --- Missing metadata, truncation, size bound -------------------------------------------------------

describe('decodeAxonStream on runtime streams that lost frames', () => {
  it.each([
    ['anthropic-text.sse', 'anthropic', 'event: axon.metadata'],
    ['openai-text.sse', 'openai', 'axon_metadata'],
  ] as const)(
    '%s without its metadata frame: events intact, only metadata rejects',
    async (name, dialect, needle) => {
      const body = fixture(name);
      const whole = await decodeOutcome(pieces(body, []), dialect);
      const stream = decodeAxonStream(pieces(without(body, needle), []), { dialect });
      const events = await collect(stream);
      expect(events).toEqual(whole.events.filter(e => e.type !== 'metadata'));
      const error = await stream.metadata.catch(e => e);
      expect(error).toBeInstanceOf(StreamProtocolError);
      expect(error.code).toBe(ErrorCode.STREAM_PROTOCOL);
      expect(error.message).toBe('AXON stream ended without an axon metadata frame');
    },
  );

  it.each([
    ['anthropic-text.sse', 'anthropic'],
    ['anthropic-tool-use.sse', 'anthropic'],
    ['openai-text.sse', 'openai'],
    ['openai-tool-call.sse', 'openai'],
  ] as const)('rejects every proper prefix of %s as a protocol error', async (name, dialect) => {
    const body = fixture(name);
    const blocks = frames(body);
    const metadataBlock = blocks.find(f => f.text.includes('axon_metadata'));
    if (!metadataBlock) throw new Error('fixture has no metadata frame');
    for (let length = 0; length < body.length; length++) {
      const result = await decodeOutcome(pieces(body.subarray(0, length), []), dialect);
      expect(result.error?.code, `prefix of ${length} bytes`).toBe(ErrorCode.STREAM_PROTOCOL);
      // Metadata resolves exactly when its whole frame (blank line included) arrived.
      if (length >= metadataBlock.end) {
        expect('value' in result.metadata, `prefix of ${length} bytes`).toBe(true);
      } else {
        expect(result.metadata, `prefix of ${length} bytes`).toEqual({
          error: `StreamProtocolError: ${result.error?.message}`,
        });
      }
    }
  });

  it.each([
    [
      'before message_stop',
      'anthropic',
      'event: message_stop',
      /ended before message_stop \(truncated\)$/,
    ],
    [
      'inside an open text block',
      'anthropic',
      '" ☕ au"',
      /ended before message_stop \(truncated\); content block 1 was never closed/,
    ],
    ['before [DONE]', 'openai', 'data: [DONE]', /ended before \[DONE\] \(truncated\)/],
  ] as const)(
    'names a stream cut %s (loopback server ending early)',
    async (_where, dialect, at, message) => {
      const body = fixture(dialect === 'anthropic' ? 'anthropic-text.sse' : 'openai-text.sse');
      const cut = utf8.encode(text(body).slice(0, text(body).indexOf(at))).length;
      const stream = await decodeServed(body.subarray(0, cut), dialect);
      const error = await collect(stream).catch(e => e);
      expect(error).toBeInstanceOf(StreamProtocolError);
      expect(error.code).toBe(ErrorCode.STREAM_PROTOCOL);
      expect(error.message).toMatch(message);
    },
  );

  it('turns a connection reset mid-stream into StreamProtocolError, and rejects metadata with it', async () => {
    const body = fixture('anthropic-tool-use.sse');
    const server = await listen(res => {
      res.write(body.subarray(0, 700));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const res = await request(server.url);
    const stream = decodeAxonStream(res.body, { dialect: 'anthropic' });
    const error = await collect(stream).catch(e => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error.code).toBe(ErrorCode.STREAM_PROTOCOL);
    expect(error.message).toBe('AXON stream failed while reading');
    expect(error.cause).toBeInstanceOf(Error);
    await expect(stream.metadata).rejects.toBe(error);
  });

  it('bounds frames: a metadata frame over maxEventSize is refused, one within it accepted', async () => {
    const body = fixture('anthropic-tool-use.sse');
    const metadataFrame = frames(body).find(f => f.text.includes('axon.metadata'));
    if (!metadataFrame) throw new Error('no metadata frame');
    const size = metadataFrame.text.length; // ASCII only
    // Delivered in 64-byte pieces, as a network would, so the frame is buffered while it arrives.
    const refused = decodeAxonStream(bytes(body, 64), {
      dialect: 'anthropic',
      maxEventSize: size - 100,
    });
    const error = await collect(refused).catch(e => e);
    expect(error).toBeInstanceOf(StreamProtocolError);
    expect(error.code).toBe(ErrorCode.STREAM_PROTOCOL);
    expect(error.message).toBe(`AXON stream event exceeds ${size - 100} characters`);
    await expect(refused.metadata).rejects.toBe(error);

    const accepted = decodeAxonStream(bytes(body, 64), {
      dialect: 'anthropic',
      maxEventSize: size,
    });
    expect((await collect(accepted)).at(-1)).toEqual({ type: 'message_stop' });
    await expect(accepted.metadata).resolves.toMatchObject({ traceId: 43 });
  });

  it('refuses a text delta over the default 4 MiB bound arriving over loopback HTTP', async () => {
    const huge = 'x'.repeat(4 * 1024 * 1024 + 256 * 1024);
    const body = fixture('anthropic-text.sse');
    const grown = utf8.encode(text(body).replace('"The capital"', JSON.stringify(huge)));
    const stream = await decodeServed(grown, 'anthropic', 64 * 1024);
    await expect(collect(stream)).rejects.toThrow(/exceeds 4194304 characters/);
  });

  it('refuses an oversized frame even when it arrives whole in one read', async () => {
    const body = fixture('anthropic-tool-use.sse');
    const stream = decodeAxonStream(pieces(body, []), { dialect: 'anthropic', maxEventSize: 256 });
    await expect(collect(stream)).rejects.toThrow(/exceeds 256 characters/);
  });

  it('refuses a frame over maxEventSize whose last read completes it', async () => {
    const body = fixture('anthropic-tool-use.sse');
    const metadataFrame = frames(body).find(f => f.text.includes('axon.metadata'));
    if (!metadataFrame) throw new Error('no metadata frame');
    expect(metadataFrame.end - metadataFrame.start).toBeGreaterThan(1000);
    const split = decodeAxonStream(pieces(body, [metadataFrame.start, metadataFrame.start + 200]), {
      dialect: 'anthropic',
      maxEventSize: 300,
    });
    await expect(collect(split)).rejects.toThrow(/exceeds 300 characters/);
  });
});

// --- Lifecycle checks (moved from test/sandbox/axon-stream.test.ts) ---------------------------------

/**
 * A tiny loopback server answering every request with scripted SSE text, for streams the runtime
 * would never produce (truncated, out of order, malformed). It records when a client's connection
 * closes, so tests can check that a decoder released its body.
 */
interface RawServer {
  url: string;
  /** Resolves when the current request's connection has closed. */
  closed(): Promise<void>;
  close(): Promise<void>;
}

async function rawSseServer(
  script: (res: ServerResponse) => void | Promise<void>,
): Promise<RawServer> {
  let onClose: Promise<void> = Promise.resolve();
  const server = createServer((req, res) => {
    onClose = new Promise(resolve => res.on('close', () => resolve()));
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    void script(res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    closed: () => onClose,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const ev = (type: string, payload: Record<string, unknown> = {}) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;
const data = (payload: unknown) =>
  `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;

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
