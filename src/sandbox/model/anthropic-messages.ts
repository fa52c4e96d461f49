/**
 * `POST /v1/messages` (also as `?beta=true`, the SDK's `beta.messages`), the Anthropic Messages
 * API: a JSON `message`, or with `stream: true` the full SSE lifecycle — `message_start`, `ping`,
 * per content block `content_block_start` → `content_block_delta` (`text_delta` /
 * `input_json_delta`)… → `content_block_stop`, then `message_delta` (stop reason, output usage)
 * and `message_stop`. A tool call is a text block ("I'll call the … tool.") followed by a
 * `tool_use` block, as Claude answers. Also `POST /v1/messages/count_tokens`, and the request
 * reading, message building and stream events that the Message Batches routes and Claude on
 * Bedrock and Vertex AI reuse (there the model is named by the path, not the body).
 */

import { HttpError, isRecord } from '../http/io.js';
import { jsonFrame } from '../http/sse.js';
import {
  type ModelCall,
  modelStream,
  optionalArray,
  optionalBoolean,
  requireArray,
  requireString,
  sendModelJson,
  shortId,
  textOf,
} from './common.js';
import {
  type ChatTurn,
  type Generation,
  generate,
  type ToolChoice,
  type ToolSpec,
} from './engine.js';
import { countTokens, tokenPieces } from './tokenizer.js';

/** A Messages request, read and checked: what `generate()` needs plus the reply's model name. */
export interface MessageRequest {
  model: string;
  maxTokens: number;
  turns: ChatTurn[];
  tools: ToolSpec[];
  toolChoice: ToolChoice;
}

/**
 * The prompt part of a Messages request, shared with `count_tokens` (which has no max_tokens).
 * `model` is given when the path names it (Bedrock, Vertex AI), whose bodies have none.
 */
export function readPrompt(
  body: Record<string, unknown>,
  model?: string,
): Pick<MessageRequest, 'model' | 'turns' | 'tools' | 'toolChoice'> {
  return {
    model: model ?? requireString(body, 'model'),
    turns: [...systemTurns(body.system), ...parseMessages(requireArray(body, 'messages'))],
    tools: parseTools(optionalArray(body, 'tools')),
    toolChoice: parseToolChoice(body.tool_choice),
  };
}

export function readMessageRequest(body: Record<string, unknown>, model?: string): MessageRequest {
  // Checked in the API's order: model, then max_tokens, then the conversation.
  if (model === undefined) requireString(body, 'model');
  const maxTokens = body.max_tokens;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new HttpError(400, 'max_tokens: Field required (a positive integer)');
  }
  return { ...readPrompt(body, model), maxTokens };
}

export type BuiltMessage = ReturnType<typeof buildMessage>;

/**
 * The non-streaming `message` object for a request, as the API and a batch result carry it.
 * `idPrefix` marks where it was served (`msg_bdrk_` on Bedrock, `msg_vrtx_` on Vertex AI).
 */
export function buildMessage(request: MessageRequest, idPrefix = 'msg_sbx') {
  const gen = generate({
    turns: request.turns,
    tools: request.tools,
    toolChoice: request.toolChoice,
    maxTokens: request.maxTokens,
  });
  const blocks = contentBlocks(gen);
  const outputTokens = gen.outputTokens + countTokens(gen.toolPreamble);
  const stopReason = STOP[gen.finish];
  const message = {
    id: `${idPrefix}${shortId()}`,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content: blocks,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: gen.inputTokens,
      output_tokens: outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
  return { message, blocks, outputTokens, stopReason };
}

export async function messages(call: ModelCall): Promise<void> {
  const { body } = call;
  const request = readMessageRequest(body);
  const stream = optionalBoolean(body, 'stream');
  const built = buildMessage(request);

  if (!stream) {
    sendModelJson(call, built.message);
    return;
  }
  const frames = messageStreamEvents(built).map(event => jsonFrame(event, event.type));
  const out = modelStream(call);
  if (await out.sendAll(frames)) out.end();
}

/** One event of a streamed message: the JSON an SSE frame (or a Bedrock chunk) carries. */
export interface MessageStreamEvent {
  type: string;
  [field: string]: unknown;
}

/**
 * The events that stream `built`, in order: `message_start`, `ping`, each block's start, deltas
 * and stop, `message_delta`, `message_stop`. The SSE route names each frame by its `type`.
 */
export function messageStreamEvents(built: BuiltMessage): MessageStreamEvent[] {
  const { message, blocks, outputTokens, stopReason } = built;
  const ev = (type: string, fields: Record<string, unknown> = {}): MessageStreamEvent => ({
    type,
    ...fields,
  });
  const events: MessageStreamEvent[] = [
    ev('message_start', {
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { ...message.usage, output_tokens: 1 },
      },
    }),
    ev('ping'),
  ];
  blocks.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const text of tokenPieces(block.text)) {
        events.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text } }));
      }
    } else {
      events.push(
        ev('content_block_start', {
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        }),
      );
      for (const partial_json of tokenPieces(JSON.stringify(block.input))) {
        events.push(
          ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }),
        );
      }
    }
    events.push(ev('content_block_stop', { index }));
  });
  events.push(
    ev('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: outputTokens },
    }),
    ev('message_stop'),
  );
  return events;
}

/**
 * `POST /v1/messages/count_tokens`: `{input_tokens}`, the count a `messages.create` of the same
 * request reports in `usage.input_tokens`.
 */
export function countMessageTokens(call: ModelCall): void {
  sendModelJson(call, { input_tokens: promptTokens(call.body) });
}

/** The `input_tokens` a Messages request is charged: what `count_tokens` answers. */
export function promptTokens(body: Record<string, unknown>, model?: string): number {
  const { turns } = readPrompt(body, model);
  return turns.reduce((sum, turn) => sum + countTokens(turn.text), 0);
}

const STOP: Record<Generation['finish'], string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_call: 'tool_use',
};

type Block =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

function contentBlocks(gen: Generation): Block[] {
  if (!gen.toolCall) return [{ type: 'text', text: gen.text }];
  return [
    { type: 'text', text: gen.toolPreamble },
    {
      type: 'tool_use',
      id: `toolu_sbx${shortId()}`,
      name: gen.toolCall.name,
      input: gen.toolCall.arguments,
    },
  ];
}

function systemTurns(system: unknown): ChatTurn[] {
  if (system === undefined || system === null) return [];
  const text = textOf(system);
  if (typeof system !== 'string' && !Array.isArray(system)) {
    throw new HttpError(400, 'system: must be a string or an array of text blocks');
  }
  return text === '' ? [] : [{ role: 'system', text }];
}

function parseMessages(messages: unknown[]): ChatTurn[] {
  const toolNames = new Map<string, string>();
  const turns: ChatTurn[] = [];
  for (const [i, message] of messages.entries()) {
    if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) {
      throw new HttpError(400, `messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
    const content = message.content;
    if (typeof content !== 'string' && !Array.isArray(content)) {
      throw new HttpError(
        400,
        `messages.${i}.content: Input should be a string or a list of blocks`,
      );
    }
    const blocks = Array.isArray(content) ? content.filter(isRecord) : [];
    for (const block of blocks) {
      if (block.type === 'tool_use' && typeof block.id === 'string') {
        toolNames.set(block.id, String(block.name ?? ''));
      }
    }
    const result = blocks.find(block => block.type === 'tool_result');
    if (message.role === 'user' && result) {
      const toolName = toolNames.get(String(result.tool_use_id ?? ''));
      turns.push({ role: 'tool', text: textOf(result.content), ...(toolName ? { toolName } : {}) });
    } else {
      turns.push({ role: message.role, text: textOf(content) });
    }
  }
  return turns;
}

function parseTools(tools: unknown[]): ToolSpec[] {
  const specs: ToolSpec[] = [];
  for (const [i, tool] of tools.entries()) {
    if (!isRecord(tool) || typeof tool.name !== 'string') {
      throw new HttpError(400, `tools.${i}.name: Field required`);
    }
    specs.push({
      name: tool.name,
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      schema: tool.input_schema,
    });
  }
  return specs;
}

function parseToolChoice(choice: unknown): ToolChoice {
  if (!isRecord(choice)) return { kind: 'auto' };
  if (choice.type === 'none') return { kind: 'none' };
  if (choice.type === 'any') return { kind: 'required' };
  if (choice.type === 'tool' && typeof choice.name === 'string') {
    return { kind: 'tool', name: choice.name };
  }
  return { kind: 'auto' };
}
