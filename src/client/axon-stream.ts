/**
 * Decoder for AXON-dialect streams: the SSE an AxonFlow agent sends for a streamed
 * `POST /api/request`, in the Anthropic Messages dialect (named events, `event: axon.metadata`
 * before `message_stop`) or the OpenAI Chat Completions dialect (data-only chunks,
 * `data: {"axon_metadata":…}`, `data: [DONE]`).
 *
 * Both dialects decode to one typed event model (`AxonStreamEvent`). The decoder checks the
 * stream's lifecycle as it goes, because a governance layer must not report a broken stream as
 * a clean answer: a block opened while another is open, a block index going backwards, deltas for
 * a block that is not open, a message ending with a block still open, or a body ending before
 * `message_stop` / `[DONE]` all throw `StreamProtocolError` at the point of iteration.
 *
 * The `metadata` promise settles as soon as the metadata frame is decoded. It rejects with the
 * iteration's error when the stream fails, with a `StreamProtocolError` when a clean stream carried
 * no metadata frame, and with an `AbortError` when the consumer aborts or stops iterating first.
 * It never rejects unhandled: nobody has to await it.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';
import { isAxonFlowError, StreamProtocolError, sanitizeAgentText } from './errors/index.js';

export type AxonDialect = 'anthropic' | 'openai';

// --- Wire shape of the metadata frame (the AXON runtime's `axon_metadata` object) -------------

export const StreamPolicySchema = z.object({ step: z.string(), policy: z.string() });

export const AxonMetadataWireSchema = z.object({
  trace_id: z.number().optional(),
  flow: z.string().optional(),
  backend: z.string().optional(),
  success: z.boolean().optional(),
  steps_executed: z.number().optional(),
  tokens_input: z.number().optional(),
  tokens_output: z.number().optional(),
  latency_ms: z.number().optional(),
  stream_policies: z.array(StreamPolicySchema).optional(),
  enforcement_summary: z.record(z.string(), z.unknown()).optional(),
  runtime_warnings: z.array(z.unknown()).optional(),
  step_audit: z.array(z.unknown()).optional(),
  terminal_reason: z.enum(['none', 'stop', 'error']),
  error: z.string().optional(),
});
export type AxonMetadataWire = z.infer<typeof AxonMetadataWireSchema>;

/** The metadata frame, camelCased. Flow fields are absent when the flow did not complete. */
export interface AxonMetadata {
  traceId?: number;
  flow?: string;
  backend?: string;
  success?: boolean;
  stepsExecuted?: number;
  tokensInput?: number;
  tokensOutput?: number;
  latencyMs?: number;
  streamPolicies: { step: string; policy: string }[];
  enforcementSummary?: Record<string, unknown>;
  runtimeWarnings?: unknown[];
  stepAudit?: unknown[];
  /** How the flow ended: `stop` (completed), `error` (flow error), `none` (no terminal event). */
  terminalReason: 'none' | 'stop' | 'error';
  /** The flow's error diagnostic, when it failed. */
  error?: string;
}

// --- Decoded events ------------------------------------------------------------------------------

export type AxonStreamEvent =
  | { type: 'message_start'; messageId: string; model: string }
  | { type: 'text_start'; index: number }
  | { type: 'text_delta'; index: number; text: string }
  | { type: 'text_stop'; index: number; text: string }
  | { type: 'tool_use_start'; index: number; id: string; name: string }
  | { type: 'tool_use_delta'; index: number; partialJson: string }
  | {
      type: 'tool_use_stop';
      index: number;
      id: string;
      name: string;
      /** The tool input as sent (a JSON text in both dialects, but not guaranteed to be one). */
      inputJson: string;
      /** `inputJson` parsed, or undefined when it is not JSON. */
      input: unknown;
    }
  | { type: 'message_delta'; stopReason: string | null; outputTokens: number | undefined }
  | { type: 'metadata'; metadata: AxonMetadata }
  | { type: 'message_stop' };

export type AxonStream = AsyncIterable<AxonStreamEvent> & {
  /** Settles with the metadata frame; see the module comment for when it rejects. */
  readonly metadata: Promise<AxonMetadata>;
  /** Stops the stream: iteration ends quietly and the body is released. Idempotent. */
  abort(): void;
};

export interface DecodeAxonStreamOptions {
  dialect: AxonDialect;
  signal?: AbortSignal;
  /** Largest SSE event (or unterminated line) accepted, in characters. Default 4 MiB. */
  maxEventSize?: number;
}

const DEFAULT_MAX_EVENT_SIZE = 4 * 1024 * 1024;

export function decodeAxonStream(
  body: AsyncIterable<Uint8Array>,
  options: DecodeAxonStreamOptions,
): AxonStream {
  let resolveMetadata!: (value: AxonMetadata) => void;
  let rejectMetadata!: (reason: unknown) => void;
  let metadataSettled = false;
  const metadata = new Promise<AxonMetadata>((resolve, reject) => {
    resolveMetadata = resolve;
    rejectMetadata = reject;
  });
  // Rejections of `metadata` are part of the API, not a leak: mark them handled here.
  metadata.catch(() => {});
  const settleMetadata = (outcome: { value: AxonMetadata } | { error: unknown }) => {
    if (metadataSettled) return;
    metadataSettled = true;
    if ('value' in outcome) resolveMetadata(outcome.value);
    else rejectMetadata(outcome.error);
  };

  let source: ByteSource | undefined;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    source ??= openSource(body);
    source.release();
  };

  let aborted = false;
  let wakeOnAbort: (() => void) | undefined;
  const abort = () => {
    if (aborted) return;
    aborted = true;
    settleMetadata({ error: abortError() });
    wakeOnAbort?.();
    release();
  };
  const { signal } = options;
  if (signal?.aborted) abort();
  else signal?.addEventListener('abort', abort, { once: true });

  const machine =
    options.dialect === 'anthropic' ? new AnthropicStreamMachine() : new OpenAIStreamMachine();
  const maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;

  async function* run(): AsyncGenerator<AxonStreamEvent> {
    const pending: EventSourceMessage[] = [];
    let parseFailure: StreamProtocolError | undefined;
    const parser = createParser({
      maxBufferSize: maxEventSize,
      // eventsource-parser bounds only what it still buffers between reads; an event that arrives
      // whole inside one read is bounded here.
      onEvent: event => {
        if (event.data.length > maxEventSize) {
          parseFailure ??= new StreamProtocolError(
            `AXON stream event exceeds ${maxEventSize} characters`,
          );
        } else pending.push(event);
      },
      onError: error => {
        if (error.type === 'max-buffer-size-exceeded') {
          parseFailure = new StreamProtocolError(
            `AXON stream event exceeds ${maxEventSize} characters`,
          );
        }
      },
    });
    const decoder = new TextDecoder();
    let endsWithCr = false;
    let completed = false;
    try {
      source ??= openSource(body);
      while (!aborted && !machine.finished) {
        const next = await nextOrAbort(source);
        if (next === undefined || next.done) break;
        const chunk = decoder.decode(next.value, { stream: true });
        if (chunk.length > 0) endsWithCr = chunk.endsWith('\r');
        parser.feed(chunk);
        if (parseFailure) throw parseFailure;
        while (pending.length > 0 && !aborted && !machine.finished) {
          for (const event of machine.accept(pending.shift() as EventSourceMessage)) {
            if (event.type === 'metadata') settleMetadata({ value: event.metadata });
            yield event;
            if (aborted) return;
          }
        }
      }
      if (aborted) return;
      // Events still queued after the body ended are processed; a last event without its blank
      // line is dropped, as the SSE spec says, which makes the stream read as truncated.
      // A bare CR is a line ending in SSE; the parser holds a final one back in case an LF
      // follows. At the end of the body none will: release it.
      const rest = decoder.decode();
      parser.feed(rest.length > 0 ? rest : endsWithCr ? '\n' : '');
      if (rest.endsWith('\r')) parser.feed('\n');
      while (pending.length > 0 && !machine.finished) {
        for (const event of machine.accept(pending.shift() as EventSourceMessage)) {
          if (event.type === 'metadata') settleMetadata({ value: event.metadata });
          yield event;
          if (aborted) return;
        }
      }
      machine.assertFinished();
      completed = true;
      settleMetadata({
        error: new StreamProtocolError('AXON stream ended without an axon metadata frame'),
      });
    } catch (err) {
      const error =
        // Typed errors of the request itself (a policy block, an unreachable agent) pass through.
        isAxonFlowError(err)
          ? err
          : new StreamProtocolError('AXON stream failed while reading', { cause: err });
      settleMetadata({ error });
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
      if (!completed) settleMetadata({ error: abortError() });
      release();
    }
  }

  /** Next body chunk, or undefined when the stream is aborted while waiting for it. */
  function nextOrAbort(from: ByteSource): Promise<IteratorResult<Uint8Array> | undefined> {
    const next = from.next();
    // If abort wins the race, this read may still reject when the body is torn down.
    next.catch(() => {});
    const onAbort = new Promise<undefined>(resolve => {
      wakeOnAbort = () => resolve(undefined);
    });
    return Promise.race([next, onAbort]).finally(() => {
      wakeOnAbort = undefined;
    });
  }

  let iterated = false;
  return {
    metadata,
    abort,
    [Symbol.asyncIterator]() {
      if (iterated) throw new TypeError('An AxonStream can be iterated only once');
      iterated = true;
      return run();
    },
  };
}

/** Reads a body and can release it even while a read is pending. */
interface ByteSource {
  next(): Promise<IteratorResult<Uint8Array>>;
  release(): void;
}

/**
 * An async iterator's `return()` waits behind a pending `next()`, so it cannot free a body whose
 * server went quiet. Streams are therefore released by their own means: a web ReadableStream
 * through its reader's `cancel()`, a Node stream (undici's body) through `destroy()`, which also
 * aborts the request. Other iterables get `return()`, the best they offer.
 */
function openSource(body: AsyncIterable<Uint8Array>): ByteSource {
  const candidate = body as Partial<ReadableStream<Uint8Array>> & { destroy?: () => void };
  if (typeof candidate.getReader === 'function') {
    const reader = candidate.getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
      release: () => {
        reader.cancel().catch(() => {});
      },
    };
  }
  const iterator = body[Symbol.asyncIterator]();
  return {
    next: () => iterator.next(),
    release: () => {
      if (typeof candidate.destroy === 'function') {
        candidate.destroy();
        return;
      }
      // A body's return() may reject (e.g. a destroyed socket); nobody is left to tell.
      Promise.resolve()
        .then(() => iterator.return?.())
        .catch(() => {});
    },
  };
}

function abortError(): Error {
  return new DOMException('The AXON stream was closed before its metadata frame', 'AbortError');
}

function toMetadata(wire: AxonMetadataWire): AxonMetadata {
  const out: AxonMetadata = {
    streamPolicies: wire.stream_policies ?? [],
    terminalReason: wire.terminal_reason,
  };
  if (wire.trace_id !== undefined) out.traceId = wire.trace_id;
  if (wire.flow !== undefined) out.flow = wire.flow;
  if (wire.backend !== undefined) out.backend = wire.backend;
  if (wire.success !== undefined) out.success = wire.success;
  if (wire.steps_executed !== undefined) out.stepsExecuted = wire.steps_executed;
  if (wire.tokens_input !== undefined) out.tokensInput = wire.tokens_input;
  if (wire.tokens_output !== undefined) out.tokensOutput = wire.tokens_output;
  if (wire.latency_ms !== undefined) out.latencyMs = wire.latency_ms;
  if (wire.enforcement_summary !== undefined) out.enforcementSummary = wire.enforcement_summary;
  if (wire.runtime_warnings !== undefined) out.runtimeWarnings = wire.runtime_warnings;
  if (wire.step_audit !== undefined) out.stepAudit = wire.step_audit;
  if (wire.error !== undefined) out.error = sanitizeAgentText(wire.error);
  return out;
}

function parseMetadata(value: unknown): AxonMetadata {
  const parsed = AxonMetadataWireSchema.safeParse(value);
  if (!parsed.success) throw new StreamProtocolError('AXON stream sent an invalid metadata frame');
  return toMetadata(parsed.data);
}

function parseJson(data: string, what: string): unknown {
  try {
    return JSON.parse(data);
  } catch (err) {
    throw new StreamProtocolError(`AXON stream sent a ${what} that is not JSON`, { cause: err });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseToolInput(json: string): unknown {
  if (json.trim() === '') return {};
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

// --- Lifecycle state machines --------------------------------------------------------------------

interface StreamMachine {
  readonly finished: boolean;
  accept(message: EventSourceMessage): AxonStreamEvent[];
  /** Throws when the body ended before the dialect's terminator. */
  assertFinished(): void;
}

interface OpenBlock {
  index: number;
  kind: 'text' | 'tool_use' | 'other';
  id: string;
  name: string;
  buffer: string;
}

function closeBlock(block: OpenBlock): AxonStreamEvent[] {
  if (block.kind === 'text') return [{ type: 'text_stop', index: block.index, text: block.buffer }];
  if (block.kind === 'tool_use') {
    return [
      {
        type: 'tool_use_stop',
        index: block.index,
        id: block.id,
        name: block.name,
        inputJson: block.buffer,
        input: parseToolInput(block.buffer),
      },
    ];
  }
  return [];
}

/**
 * Anthropic Messages lifecycle: `message_start`, then blocks (start → delta* → stop, one open at
 * a time, indices strictly increasing), then `message_delta` and `message_stop`. `ping` and
 * unknown event names are ignored, as the Anthropic spec asks; `error` fails the stream.
 */
class AnthropicStreamMachine implements StreamMachine {
  #started = false;
  #messageDelta = false;
  #finished = false;
  #sawMetadata = false;
  #open: OpenBlock | undefined;
  #lastIndex = -1;

  get finished(): boolean {
    return this.#finished;
  }

  accept(message: EventSourceMessage): AxonStreamEvent[] {
    const data = parseJson(message.data, 'frame');
    const type =
      (isRecord(data) && typeof data.type === 'string' ? data.type : message.event) ?? '';
    if (!isRecord(data)) throw new StreamProtocolError('AXON stream frame is not a JSON object');
    switch (type) {
      case 'ping':
        return [];
      case 'error':
        throw new StreamProtocolError(`AXON stream reported an error: ${errorText(data.error)}`);
      case 'message_start':
        return this.#messageStart(data);
      case 'content_block_start':
        return this.#blockStart(data);
      case 'content_block_delta':
        return this.#blockDelta(data);
      case 'content_block_stop':
        return this.#blockStop(data);
      case 'message_delta':
        return this.#delta(data);
      case 'message_stop':
        return this.#stop();
      case 'axon.metadata':
        return this.#metadata(data);
      default:
        return [];
    }
  }

  assertFinished(): void {
    if (this.#finished) return;
    const open = this.#open ? `; content block ${this.#open.index} was never closed` : '';
    throw new StreamProtocolError(`AXON stream ended before message_stop (truncated)${open}`);
  }

  #requireStarted(what: string): void {
    if (!this.#started)
      throw new StreamProtocolError(`AXON stream sent ${what} before message_start`);
    if (this.#messageDelta && what !== 'message_stop' && what !== 'axon.metadata') {
      throw new StreamProtocolError(`AXON stream sent ${what} after message_delta`);
    }
  }

  #messageStart(data: Record<string, unknown>): AxonStreamEvent[] {
    if (this.#started) throw new StreamProtocolError('AXON stream sent a second message_start');
    this.#started = true;
    const message = isRecord(data.message) ? data.message : {};
    return [
      {
        type: 'message_start',
        messageId: typeof message.id === 'string' ? message.id : '',
        model: typeof message.model === 'string' ? message.model : '',
      },
    ];
  }

  #index(data: Record<string, unknown>, what: string): number {
    const index = data.index;
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
      throw new StreamProtocolError(`AXON stream sent ${what} without a valid index`);
    }
    return index;
  }

  #blockStart(data: Record<string, unknown>): AxonStreamEvent[] {
    this.#requireStarted('content_block_start');
    const index = this.#index(data, 'content_block_start');
    if (this.#open) {
      throw new StreamProtocolError(
        `AXON stream opened content block ${index} while block ${this.#open.index} was still open`,
      );
    }
    if (index <= this.#lastIndex) {
      throw new StreamProtocolError(
        `AXON stream content block index went backwards (${index} after ${this.#lastIndex})`,
      );
    }
    this.#lastIndex = index;
    const block = isRecord(data.content_block) ? data.content_block : {};
    if (block.type === 'text') {
      this.#open = { index, kind: 'text', id: '', name: '', buffer: '' };
      return [{ type: 'text_start', index }];
    }
    if (block.type === 'tool_use') {
      const id = typeof block.id === 'string' ? block.id : '';
      const name = typeof block.name === 'string' ? block.name : '';
      this.#open = { index, kind: 'tool_use', id, name, buffer: '' };
      return [{ type: 'tool_use_start', index, id, name }];
    }
    // Block types this model does not surface (thinking, …) are tracked for balance only.
    this.#open = { index, kind: 'other', id: '', name: '', buffer: '' };
    return [];
  }

  #blockDelta(data: Record<string, unknown>): AxonStreamEvent[] {
    this.#requireStarted('content_block_delta');
    const index = this.#index(data, 'content_block_delta');
    const open = this.#open;
    if (!open || open.index !== index) {
      throw new StreamProtocolError(
        `AXON stream sent a delta for content block ${index}, which is not open`,
      );
    }
    const delta = isRecord(data.delta) ? data.delta : {};
    if (open.kind === 'text' && delta.type === 'text_delta' && typeof delta.text === 'string') {
      open.buffer += delta.text;
      return [{ type: 'text_delta', index, text: delta.text }];
    }
    if (
      open.kind === 'tool_use' &&
      delta.type === 'input_json_delta' &&
      typeof delta.partial_json === 'string'
    ) {
      open.buffer += delta.partial_json;
      return [{ type: 'tool_use_delta', index, partialJson: delta.partial_json }];
    }
    if (delta.type === 'text_delta' || delta.type === 'input_json_delta') {
      throw new StreamProtocolError(
        `AXON stream sent a ${String(delta.type)} for a ${open.kind} block`,
      );
    }
    return [];
  }

  #blockStop(data: Record<string, unknown>): AxonStreamEvent[] {
    this.#requireStarted('content_block_stop');
    const index = this.#index(data, 'content_block_stop');
    const open = this.#open;
    if (!open || open.index !== index) {
      throw new StreamProtocolError(`AXON stream closed content block ${index}, which is not open`);
    }
    this.#open = undefined;
    return closeBlock(open);
  }

  #delta(data: Record<string, unknown>): AxonStreamEvent[] {
    // The runtime reports a flow that never started (not deployed, no backend) with its `FlowError`
    // frames alone: `message_delta`, `axon.metadata`, `message_stop`, and no `message_start`.
    // Such a stream has no content, so it is accepted as it is, and its metadata carries the error.
    if (!this.#started && this.#lastIndex === -1) this.#started = true;
    this.#requireStarted('message_delta');
    if (this.#open) {
      throw new StreamProtocolError(
        `AXON stream sent message_delta while content block ${this.#open.index} was never closed`,
      );
    }
    this.#messageDelta = true;
    const delta = isRecord(data.delta) ? data.delta : {};
    const usage = isRecord(data.usage) ? data.usage : {};
    return [
      {
        type: 'message_delta',
        stopReason: typeof delta.stop_reason === 'string' ? delta.stop_reason : null,
        outputTokens: typeof usage.output_tokens === 'number' ? usage.output_tokens : undefined,
      },
    ];
  }

  #stop(): AxonStreamEvent[] {
    this.#requireStarted('message_stop');
    if (this.#open) {
      throw new StreamProtocolError(
        `AXON stream sent message_stop while content block ${this.#open.index} was never closed`,
      );
    }
    this.#finished = true;
    return [{ type: 'message_stop' }];
  }

  #metadata(data: Record<string, unknown>): AxonStreamEvent[] {
    this.#requireStarted('axon.metadata');
    if (this.#sawMetadata)
      throw new StreamProtocolError('AXON stream sent a second metadata frame');
    this.#sawMetadata = true;
    return [{ type: 'metadata', metadata: parseMetadata(data.axon_metadata) }];
  }
}

/**
 * OpenAI Chat Completions lifecycle: chunks until one carries a `finish_reason`, then only
 * usage / metadata chunks, then `[DONE]`. Text and tool calls become blocks with synthesized,
 * increasing indices, so consumers see the same event model as for the Anthropic dialect.
 */
class OpenAIStreamMachine implements StreamMachine {
  #started = false;
  #finishedReason = false;
  #finished = false;
  #sawMetadata = false;
  #open: OpenBlock | undefined;
  #nextIndex = 0;

  get finished(): boolean {
    return this.#finished;
  }

  accept(message: EventSourceMessage): AxonStreamEvent[] {
    if (message.data === '[DONE]') return this.#done();
    const data = parseJson(message.data, 'chunk');
    if (!isRecord(data)) throw new StreamProtocolError('AXON stream chunk is not a JSON object');
    if (data.error !== undefined && data.error !== null) {
      throw new StreamProtocolError(`AXON stream reported an error: ${errorText(data.error)}`);
    }
    if ('axon_metadata' in data) return this.#metadata(data.axon_metadata);
    const events: AxonStreamEvent[] = [];
    if (!this.#started) {
      this.#started = true;
      events.push({
        type: 'message_start',
        messageId: typeof data.id === 'string' ? data.id : '',
        model: typeof data.model === 'string' ? data.model : '',
      });
    }
    const choices = Array.isArray(data.choices) ? data.choices : [];
    const choice = choices.find(c => isRecord(c) && (c.index ?? 0) === 0);
    if (!isRecord(choice)) return events;
    const delta = isRecord(choice.delta) ? choice.delta : {};
    const hasContent = typeof delta.content === 'string' && delta.content !== '';
    const toolCalls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
    if (this.#finishedReason && (hasContent || toolCalls.length > 0)) {
      throw new StreamProtocolError('AXON stream sent content after its finish_reason');
    }
    if (hasContent) events.push(...this.#text(delta.content as string));
    for (const call of toolCalls) events.push(...this.#toolCall(call));
    if (typeof choice.finish_reason === 'string') {
      if (this.#finishedReason)
        throw new StreamProtocolError('AXON stream sent a second finish_reason');
      this.#finishedReason = true;
      events.push(...this.#closeOpen());
      const usage = isRecord(data.usage) ? data.usage : {};
      events.push({
        type: 'message_delta',
        stopReason: choice.finish_reason,
        outputTokens:
          typeof usage.completion_tokens === 'number' ? usage.completion_tokens : undefined,
      });
    }
    return events;
  }

  assertFinished(): void {
    if (!this.#finished)
      throw new StreamProtocolError('AXON stream ended before [DONE] (truncated)');
  }

  #closeOpen(): AxonStreamEvent[] {
    const open = this.#open;
    this.#open = undefined;
    return open ? closeBlock(open) : [];
  }

  #text(text: string): AxonStreamEvent[] {
    const events: AxonStreamEvent[] = [];
    if (this.#open?.kind !== 'text') {
      events.push(...this.#closeOpen());
      const index = this.#nextIndex++;
      this.#open = { index, kind: 'text', id: '', name: '', buffer: '' };
      events.push({ type: 'text_start', index });
    }
    const open = this.#open as OpenBlock;
    open.buffer += text;
    events.push({ type: 'text_delta', index: open.index, text });
    return events;
  }

  #toolCall(call: unknown): AxonStreamEvent[] {
    if (!isRecord(call)) throw new StreamProtocolError('AXON stream sent a malformed tool call');
    const fn = isRecord(call.function) ? call.function : {};
    const args = typeof fn.arguments === 'string' ? fn.arguments : '';
    const events: AxonStreamEvent[] = [];
    if (typeof call.id === 'string' && call.id !== '') {
      // A call with an id starts a new tool call; fragments without one continue it.
      events.push(...this.#closeOpen());
      const index = this.#nextIndex++;
      const name = typeof fn.name === 'string' ? fn.name : '';
      this.#open = { index, kind: 'tool_use', id: call.id, name, buffer: '' };
      events.push({ type: 'tool_use_start', index, id: call.id, name });
    } else if (this.#open?.kind !== 'tool_use') {
      throw new StreamProtocolError('AXON stream continued a tool call that was never started');
    }
    const open = this.#open as OpenBlock;
    if (args !== '') {
      open.buffer += args;
      events.push({ type: 'tool_use_delta', index: open.index, partialJson: args });
    }
    return events;
  }

  #metadata(value: unknown): AxonStreamEvent[] {
    if (this.#sawMetadata)
      throw new StreamProtocolError('AXON stream sent a second metadata frame');
    this.#sawMetadata = true;
    return [{ type: 'metadata', metadata: parseMetadata(value) }];
  }

  #done(): AxonStreamEvent[] {
    if (!this.#started) throw new StreamProtocolError('AXON stream sent [DONE] before any chunk');
    this.#finished = true;
    // A flow that never reached a terminal event sends no finish chunk; its blocks end here.
    return [...this.#closeOpen(), { type: 'message_stop' }];
  }
}

function errorText(error: unknown): string {
  if (isRecord(error)) {
    const type = typeof error.type === 'string' ? `${error.type}: ` : '';
    return sanitizeAgentText(`${type}${typeof error.message === 'string' ? error.message : ''}`);
  }
  return sanitizeAgentText(typeof error === 'string' ? error : 'unknown error');
}
