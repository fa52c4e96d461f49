import { describe, expect, it } from 'vitest';
import { decodeAxonStream } from '../../src/client/axon-stream.js';
import {
  AnthropicDialectAdapter,
  type FlowExecutionEvent,
  OpenAIDialectAdapter,
  type WireFormatAdapter,
} from '../../src/sandbox/axon-dialects.js';
import type { SseFrame } from '../../src/sandbox/http/sse.js';
import { bytes, framesToText, parsed } from './support/sse.js';

const TRACE = 0xabc123;
const t = 1_700_000_000_000;
const start: FlowExecutionEvent = {
  kind: 'flow_start',
  flow_name: 'f',
  backend: 'claude-x',
  timestamp_ms: t,
};
const stepStart: FlowExecutionEvent = {
  kind: 'step_start',
  step_name: 's',
  step_index: 0,
  step_type: 'llm',
  timestamp_ms: t,
};
const token = (content: string, i: number): FlowExecutionEvent => ({
  kind: 'step_token',
  step_name: 's',
  content,
  token_index: i,
  timestamp_ms: t,
});
const stepDone: FlowExecutionEvent = {
  kind: 'step_complete',
  step_name: 's',
  step_index: 0,
  success: true,
  full_output: 'Hi there',
  tokens_input: 3,
  tokens_output: 2,
  timestamp_ms: t,
};
const tool: FlowExecutionEvent = {
  kind: 'tool_call',
  step_name: 's',
  tool_name: 'get_weather',
  content: '{"city":"Paris"}',
  timestamp_ms: t,
};
const complete = (policies: { step: string; policy: string }[] = []): FlowExecutionEvent => ({
  kind: 'flow_complete',
  flow_name: 'f',
  backend: 'claude-x',
  success: true,
  steps_executed: 1,
  tokens_input: 3,
  tokens_output: 2,
  latency_ms: 12,
  timestamp_ms: t,
  stream_policies: policies,
});
const failure: FlowExecutionEvent = {
  kind: 'flow_error',
  flow_name: 'f',
  error: 'node s failed',
  timestamp_ms: t,
};

function run(adapter: WireFormatAdapter, events: FlowExecutionEvent[]): SseFrame[] {
  return [...events.flatMap(e => adapter.translate(e)), ...adapter.flushTerminator()];
}

/** Every start has its stop, one block open at a time, indices strictly increasing. */
function assertBalanced(frames: SseFrame[]): void {
  let open: number | undefined;
  let last = -1;
  for (const { data } of parsed(frames)) {
    if (data.type === 'content_block_start') {
      expect(open).toBeUndefined();
      expect(data.index).toBeGreaterThan(last);
      open = last = data.index;
    } else if (data.type === 'content_block_delta') {
      expect(data.index).toBe(open);
    } else if (data.type === 'content_block_stop') {
      expect(data.index).toBe(open);
      open = undefined;
    } else if (data.type === 'message_delta' || data.type === 'message_stop') {
      expect(open).toBeUndefined();
    }
  }
}

describe('anthropic dialect', () => {
  it('maps a flow with text and a tool call exactly like the AXON runtime', () => {
    const frames = run(new AnthropicDialectAdapter(TRACE), [
      start,
      stepStart,
      token('Hi', 1),
      token(' there', 2),
      tool,
      stepDone,
      complete([{ step: 's', policy: 'email_detection' }]),
    ]);
    const events = parsed(frames);
    expect(events.map(e => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'axon.metadata',
      'message_stop',
    ]);
    // Named events carry the same type in their data, as Anthropic's wire does.
    for (const e of events) expect(e.data.type).toBe(e.event);
    expect(events[0]?.data.message).toEqual({
      id: 'msg_axon_abc123',
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-x',
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    });
    expect(events[1]?.data).toEqual({
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    });
    expect(events[3]?.data.delta).toEqual({ type: 'text_delta', text: ' there' });
    expect(events[5]?.data).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: {
        type: 'tool_use',
        id: 'toolu_axon_abc123_1',
        name: 'get_weather',
        input: {},
      },
    });
    expect(events[6]?.data.delta).toEqual({
      type: 'input_json_delta',
      partial_json: '{"city":"Paris"}',
    });
    expect(events[8]?.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 2 },
    });
    expect(events[9]?.data).toEqual({
      type: 'axon.metadata',
      axon_metadata: {
        trace_id: TRACE,
        flow: 'f',
        backend: 'claude-x',
        success: true,
        steps_executed: 1,
        tokens_input: 3,
        tokens_output: 2,
        latency_ms: 12,
        stream_policies: [{ step: 's', policy: 'email_detection' }],
        terminal_reason: 'stop',
      },
    });
    assertBalanced(frames);
  });

  it('opens no block for a step without tokens and elides empty stream policies', () => {
    const events = parsed(
      run(new AnthropicDialectAdapter(1), [start, stepStart, stepDone, complete()]),
    );
    expect(events.map(e => e.event)).toEqual([
      'message_start',
      'message_delta',
      'axon.metadata',
      'message_stop',
    ]);
    expect(events[2]?.data.axon_metadata).not.toHaveProperty('stream_policies');
  });

  it('closes the open text block when the flow errors mid-block, and reports the error', () => {
    const frames = run(new AnthropicDialectAdapter(TRACE), [
      start,
      stepStart,
      token('Hi', 1),
      failure,
    ]);
    const events = parsed(frames);
    expect(events.map(e => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'axon.metadata',
      'message_stop',
    ]);
    expect(events[5]?.data.axon_metadata).toEqual({
      terminal_reason: 'error',
      error: 'node s failed',
    });
    assertBalanced(frames);
  });

  it('stays balanced whatever the producer does: no flow_start, events after the end, two flushes', () => {
    const adapter = new AnthropicDialectAdapter(7);
    const frames = [
      ...adapter.translate(token('a', 1)),
      ...adapter.translate(complete()),
      ...adapter.translate(token('late', 2)),
      ...adapter.translate(tool),
      ...adapter.flushTerminator(),
    ];
    expect(adapter.flushTerminator()).toEqual([]);
    expect(parsed(frames).map(e => e.event)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'axon.metadata',
      'message_stop',
    ]);
    assertBalanced(frames);
    // Flushed with a block open and no terminal event: the block is closed, the reason is none.
    const cut = new AnthropicDialectAdapter(8);
    const cutFrames = run(cut, [start, token('x', 1)]);
    assertBalanced(cutFrames);
    expect(parsed(cutFrames).at(-2)?.data.axon_metadata).toEqual({ terminal_reason: 'none' });
  });

  it('random event sequences always give a stream the strict decoder accepts', async () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pool = [
      start,
      stepStart,
      token('w', 1),
      token(' x', 2),
      tool,
      stepDone,
      complete(),
      failure,
    ];
    for (let round = 0; round < 200; round++) {
      const events = Array.from(
        { length: rand(12) },
        () => pool[rand(pool.length)] as FlowExecutionEvent,
      );
      const frames = run(new AnthropicDialectAdapter(round + 1), events);
      assertBalanced(frames);
      const stream = decodeAxonStream(bytes(framesToText(frames), 7), { dialect: 'anthropic' });
      const decoded = [];
      for await (const event of stream) decoded.push(event.type);
      expect(decoded[0]).toBe('message_start');
      expect(decoded.at(-1)).toBe('message_stop');
      await expect(stream.metadata).resolves.toHaveProperty('terminalReason');
    }
  });
});

describe('openai dialect', () => {
  it('maps a flow to chat.completion.chunk frames, the metadata frame and [DONE]', () => {
    const frames = run(new OpenAIDialectAdapter(TRACE), [
      start,
      stepStart,
      token('Hi', 1),
      tool,
      stepDone,
      complete(),
    ]);
    expect(frames.every(f => f.event === undefined)).toBe(true);
    const events = parsed(frames).map(e => e.data);
    const chunk = (delta: unknown, finish: string | null) => ({
      id: 'chatcmpl-axon-abc123',
      object: 'chat.completion.chunk',
      created: expect.any(Number),
      model: 'claude-x',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    expect(events).toEqual([
      chunk({ role: 'assistant' }, null),
      chunk({ content: 'Hi' }, null),
      chunk(
        {
          tool_calls: [
            {
              index: 0,
              id: 'call_abc123_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        },
        null,
      ),
      chunk({}, 'stop'),
      {
        axon_metadata: {
          trace_id: TRACE,
          flow: 'f',
          backend: 'claude-x',
          success: true,
          steps_executed: 1,
          tokens_input: 3,
          tokens_output: 2,
          latency_ms: 12,
          terminal_reason: 'stop',
        },
      },
      '[DONE]',
    ]);
  });

  it('ends an errored flow with finish_reason stop and the error in the metadata', () => {
    const events = parsed(run(new OpenAIDialectAdapter(1), [start, token('a', 1), failure])).map(
      e => e.data,
    );
    expect(events.at(-3).choices[0].finish_reason).toBe('stop');
    expect(events.at(-2)).toEqual({
      axon_metadata: { terminal_reason: 'error', error: 'node s failed' },
    });
    expect(events.at(-1)).toBe('[DONE]');
  });
});
