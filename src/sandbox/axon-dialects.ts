/**
 * The AXON runtime's flow-event model and its wire-format adapters, as the sandbox agent streams a
 * `POST /api/request` with `stream: true`. One stateful adapter per request translates each
 * `FlowExecutionEvent` into SSE frames of a provider dialect; `flushTerminator()` ends the stream.
 *
 * The mapping follows the AXON runtime's adapters (axon-rs `wire_format/anthropic_dialect.rs` and
 * `openai_dialect.rs`) frame for frame:
 *
 * | flow event     | anthropic                                              | openai                                   |
 * |----------------|--------------------------------------------------------|------------------------------------------|
 * | flow_start     | message_start (id msg_axon_<trace hex>, model=backend) | chunk delta {role:"assistant"}            |
 * | step_start     | –                                                      | –                                        |
 * | step_token     | lazy content_block_start(text) + text_delta            | chunk delta {content}                    |
 * | step_complete  | content_block_stop if a text block is open             | –                                        |
 * | tool_call      | close text; tool_use start + input_json_delta + stop   | chunk delta {tool_calls:[{index:0,…}]}    |
 * | flow_complete  | close text; message_delta end_turn (envelope stashed)  | chunk finish_reason "stop" (envelope)    |
 * | flow_error     | close text; message_delta end_turn (error stashed)     | chunk finish_reason "stop" (error)       |
 * | flush          | close text; event axon.metadata; message_stop          | data {axon_metadata}; data [DONE]        |
 *
 * Beyond the runtime, these adapters make an unbalanced stream impossible whatever order events
 * arrive in: a missing `flow_start` is synthesized before the first frame, events after a
 * terminal event are dropped (nothing may follow `message_delta`), and a second flush is empty.
 */
import type { AxonDialect, AxonMetadataWire } from '../client/axon-stream.js';
import { jsonFrame, type SseFrame } from './http/sse.js';

export type { AxonDialect };

export type FlowExecutionEvent =
  | { kind: 'flow_start'; flow_name: string; backend: string; timestamp_ms: number }
  | {
      kind: 'step_start';
      step_name: string;
      step_index: number;
      step_type: string;
      timestamp_ms: number;
    }
  | {
      kind: 'step_token';
      step_name: string;
      content: string;
      /** Per flow, from 1. */
      token_index: number;
      timestamp_ms: number;
    }
  | {
      kind: 'step_complete';
      step_name: string;
      step_index: number;
      success: boolean;
      full_output: string;
      tokens_input: number;
      tokens_output: number;
      timestamp_ms: number;
    }
  | {
      kind: 'tool_call';
      step_name: string;
      tool_name: string;
      /** Provider-specific payload; the sandbox sends the arguments as JSON text. */
      content: string;
      timestamp_ms: number;
    }
  | {
      kind: 'flow_complete';
      flow_name: string;
      backend: string;
      success: boolean;
      steps_executed: number;
      tokens_input: number;
      tokens_output: number;
      latency_ms: number;
      timestamp_ms: number;
      /** The runtime's per-step effect policies (its completion envelope carries them). */
      stream_policies?: { step: string; policy: string }[];
    }
  | { kind: 'flow_error'; flow_name: string; error: string; timestamp_ms: number };

export interface WireFormatAdapter {
  readonly dialect: AxonDialect;
  translate(event: FlowExecutionEvent): SseFrame[];
  flushTerminator(): SseFrame[];
}

export function createDialectAdapter(dialect: AxonDialect, traceId: number): WireFormatAdapter {
  return dialect === 'openai'
    ? new OpenAIDialectAdapter(traceId)
    : new AnthropicDialectAdapter(traceId);
}

type TerminalReason = 'none' | 'stop' | 'error';

/** State both dialects keep for the metadata frame. */
abstract class MetadataState {
  protected readonly traceId: number;
  protected terminalReason: TerminalReason = 'none';
  protected envelope: Omit<AxonMetadataWire, 'terminal_reason' | 'error'> | undefined;
  protected errorDetail: string | undefined;

  constructor(traceId: number) {
    this.traceId = traceId;
  }

  protected get terminated(): boolean {
    return this.terminalReason !== 'none';
  }

  protected stash(event: Extract<FlowExecutionEvent, { kind: 'flow_complete' }>): void {
    this.terminalReason = 'stop';
    this.envelope = {
      trace_id: this.traceId,
      flow: event.flow_name,
      backend: event.backend,
      success: event.success,
      steps_executed: event.steps_executed,
      tokens_input: event.tokens_input,
      tokens_output: event.tokens_output,
      latency_ms: event.latency_ms,
      // Elided when empty, as the runtime does.
      ...(event.stream_policies && event.stream_policies.length > 0
        ? { stream_policies: event.stream_policies }
        : {}),
    };
  }

  protected metadata(): AxonMetadataWire {
    return {
      ...this.envelope,
      terminal_reason: this.terminalReason,
      ...(this.errorDetail === undefined ? {} : { error: this.errorDetail }),
    };
  }
}

export class AnthropicDialectAdapter extends MetadataState implements WireFormatAdapter {
  readonly dialect = 'anthropic' as const;
  readonly #messageId: string;
  #model = 'axon';
  #started = false;
  #flushed = false;
  #nextBlockIndex = 0;
  #openTextBlock: number | undefined;
  #toolUseCounter = 0;
  #outputTokens = 0;

  constructor(traceId: number) {
    super(traceId);
    this.#messageId = `msg_axon_${traceId.toString(16)}`;
  }

  translate(event: FlowExecutionEvent): SseFrame[] {
    if (this.terminated || this.#flushed) return [];
    const frames = event.kind === 'flow_start' ? [] : this.#ensureStarted();
    switch (event.kind) {
      case 'flow_start':
        if (this.#started) return [];
        this.#model = event.backend;
        return this.#ensureStarted();
      case 'step_start':
        // Lazy: a step that produces no tokens must not open an empty block.
        return frames;
      case 'step_token': {
        this.#outputTokens += 1;
        if (this.#openTextBlock === undefined) {
          this.#openTextBlock = this.#nextBlockIndex++;
          frames.push(
            ev('content_block_start', {
              index: this.#openTextBlock,
              content_block: { type: 'text', text: '' },
            }),
          );
        }
        frames.push(
          ev('content_block_delta', {
            index: this.#openTextBlock,
            delta: { type: 'text_delta', text: event.content },
          }),
        );
        return frames;
      }
      case 'step_complete':
        return [...frames, ...this.#closeText()];
      case 'tool_call': {
        frames.push(...this.#closeText());
        const index = this.#nextBlockIndex++;
        this.#toolUseCounter += 1;
        const id = `toolu_axon_${this.traceId.toString(16)}_${this.#toolUseCounter}`;
        frames.push(
          ev('content_block_start', {
            index,
            content_block: { type: 'tool_use', id, name: event.tool_name, input: {} },
          }),
          ev('content_block_delta', {
            index,
            delta: { type: 'input_json_delta', partial_json: event.content },
          }),
          ev('content_block_stop', { index }),
        );
        return frames;
      }
      case 'flow_complete':
        this.stash(event);
        return [...frames, ...this.#closeText(), this.#messageDelta()];
      case 'flow_error':
        // Anthropic has no error stop reason; the metadata frame says the flow failed and why.
        this.terminalReason = 'error';
        this.errorDetail = event.error;
        return [...frames, ...this.#closeText(), this.#messageDelta()];
    }
  }

  flushTerminator(): SseFrame[] {
    if (this.#flushed) return [];
    const frames = [...this.#ensureStarted(), ...this.#closeText()];
    this.#flushed = true;
    frames.push(
      ev('axon.metadata', { type: 'axon.metadata', axon_metadata: this.metadata() }),
      ev('message_stop', {}),
    );
    return frames;
  }

  #ensureStarted(): SseFrame[] {
    if (this.#started) return [];
    this.#started = true;
    return [
      ev('message_start', {
        message: {
          id: this.#messageId,
          type: 'message',
          role: 'assistant',
          content: [],
          model: this.#model,
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      }),
    ];
  }

  #closeText(): SseFrame[] {
    const index = this.#openTextBlock;
    if (index === undefined) return [];
    this.#openTextBlock = undefined;
    return [ev('content_block_stop', { index })];
  }

  #messageDelta(): SseFrame {
    return ev('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: this.#outputTokens },
    });
  }
}

export class OpenAIDialectAdapter extends MetadataState implements WireFormatAdapter {
  readonly dialect = 'openai' as const;
  readonly #responseId: string;
  readonly #created = Math.floor(Date.now() / 1000);
  #model = 'axon';
  #started = false;
  #flushed = false;
  #toolCallCounter = 0;

  constructor(traceId: number) {
    super(traceId);
    this.#responseId = `chatcmpl-axon-${traceId.toString(16)}`;
  }

  translate(event: FlowExecutionEvent): SseFrame[] {
    if (this.terminated || this.#flushed) return [];
    if (event.kind === 'flow_start') {
      if (this.#started) return [];
      this.#model = event.backend;
      return this.#ensureStarted();
    }
    const frames = this.#ensureStarted();
    switch (event.kind) {
      case 'step_start':
      case 'step_complete':
        // No multi-step concept on this wire; step boundaries live in the metadata frame.
        return frames;
      case 'step_token':
        frames.push(this.#chunk({ content: event.content }, null));
        return frames;
      case 'tool_call': {
        this.#toolCallCounter += 1;
        const id = `call_${this.traceId.toString(16)}_${this.#toolCallCounter}`;
        // The whole arguments string in one chunk is valid OpenAI wire (it does so for short ones).
        frames.push(
          this.#chunk(
            {
              tool_calls: [
                {
                  index: 0,
                  id,
                  type: 'function',
                  function: { name: event.tool_name, arguments: event.content },
                },
              ],
            },
            null,
          ),
        );
        return frames;
      }
      case 'flow_complete':
        this.stash(event);
        frames.push(this.#chunk({}, 'stop'));
        return frames;
      case 'flow_error':
        // No error finish_reason exists; the metadata frame carries the diagnostic.
        this.terminalReason = 'error';
        this.errorDetail = event.error;
        frames.push(this.#chunk({}, 'stop'));
        return frames;
    }
  }

  flushTerminator(): SseFrame[] {
    if (this.#flushed) return [];
    const frames = this.#ensureStarted();
    this.#flushed = true;
    frames.push(jsonFrame({ axon_metadata: this.metadata() }), { data: '[DONE]' });
    return frames;
  }

  #ensureStarted(): SseFrame[] {
    if (this.#started) return [];
    this.#started = true;
    return [this.#chunk({ role: 'assistant' }, null)];
  }

  #chunk(delta: Record<string, unknown>, finishReason: string | null): SseFrame {
    return jsonFrame({
      id: this.#responseId,
      object: 'chat.completion.chunk',
      created: this.#created,
      model: this.#model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });
  }
}

function ev(type: string, fields: Record<string, unknown>): SseFrame {
  return jsonFrame({ type, ...fields }, type);
}
