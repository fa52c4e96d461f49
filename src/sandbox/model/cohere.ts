/**
 * Cohere's v2 API, as `cohere-ai` (`CohereClientV2`) calls it:
 * - `POST /v2/chat` → `{id, message: {role: "assistant", content: [{type: "text", text}]},
 *   finish_reason, usage: {billed_units, tokens}}`; a tool call is `message.tool_plan` (the
 *   "I'll call the … tool." preamble Cohere writes first) plus `message.tool_calls`, with
 *   `finish_reason: "TOOL_CALL"`;
 * - `POST /v2/chat` with `stream: true` → SSE events named by their `type`: `message-start`,
 *   `content-start`, `content-delta`…, `content-end` (or `tool-plan-delta`…, `tool-call-start`,
 *   `tool-call-delta`…, `tool-call-end`), and `message-end` with the finish reason and usage;
 * - `POST /v2/embed` → `{id, embeddings: {<type>: […]}, texts, meta, response_type:
 *   "embeddings_by_type"}` for each requested `embedding_types` entry (float, int8, uint8,
 *   binary, ubinary, base64).
 * Output tokens include the tool plan's, as Anthropic's include the preamble's.
 */

import { randomUUID } from 'node:crypto';
import { HttpError, isRecord } from '../http/io.js';
import { jsonFrame, type SseFrame } from '../http/sse.js';
import {
  type ModelCall,
  modelStream,
  optionalArray,
  optionalBoolean,
  optionalNumber,
  requireArray,
  requireString,
  sendModelJson,
  textOf,
} from './common.js';
import { DEFAULT_DIMENSIONS, embed } from './embeddings.js';
import {
  type ChatTurn,
  type Generation,
  generate,
  type ToolChoice,
  type ToolSpec,
} from './engine.js';
import { countTokens, tokenPieces } from './tokenizer.js';

const FINISH: Record<Generation['finish'], string> = {
  stop: 'COMPLETE',
  length: 'MAX_TOKENS',
  tool_call: 'TOOL_CALL',
};

export async function chat(call: ModelCall): Promise<void> {
  const { body } = call;
  requireString(body, 'model');
  const maxTokens = optionalNumber(body, 'max_tokens');
  const gen = generate({
    turns: readMessages(requireArray(body, 'messages')),
    tools: readTools(optionalArray(body, 'tools')),
    toolChoice: readToolChoice(body.tool_choice),
    ...(maxTokens === undefined ? {} : { maxTokens }),
  });
  const id = randomUUID();
  const toolCallId = `${gen.toolCall?.name ?? 'tool'}_${randomUUID().slice(0, 8)}`;
  const outputTokens = gen.outputTokens + countTokens(gen.toolPreamble);
  const usage = {
    billed_units: { input_tokens: gen.inputTokens, output_tokens: outputTokens },
    tokens: { input_tokens: gen.inputTokens, output_tokens: outputTokens },
  };
  const finishReason = FINISH[gen.finish];

  if (!optionalBoolean(body, 'stream')) {
    const message = gen.toolCall
      ? {
          role: 'assistant',
          tool_plan: gen.toolPreamble,
          tool_calls: [
            {
              id: toolCallId,
              type: 'function',
              function: { name: gen.toolCall.name, arguments: gen.toolCall.argumentsJson },
            },
          ],
        }
      : { role: 'assistant', content: [{ type: 'text', text: gen.text }] };
    sendModelJson(call, { id, message, finish_reason: finishReason, usage });
    return;
  }

  const ev = (type: string, fields: Record<string, unknown> = {}): SseFrame =>
    jsonFrame({ type, ...fields }, type);
  const frames: SseFrame[] = [
    ev('message-start', {
      id,
      delta: {
        message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] },
      },
    }),
  ];
  if (gen.toolCall) {
    for (const tool_plan of tokenPieces(gen.toolPreamble)) {
      frames.push(ev('tool-plan-delta', { delta: { message: { tool_plan } } }));
    }
    frames.push(
      ev('tool-call-start', {
        index: 0,
        delta: {
          message: {
            tool_calls: {
              id: toolCallId,
              type: 'function',
              function: { name: gen.toolCall.name, arguments: '' },
            },
          },
        },
      }),
    );
    for (const fragment of tokenPieces(gen.toolCall.argumentsJson)) {
      frames.push(
        ev('tool-call-delta', {
          index: 0,
          delta: { message: { tool_calls: { function: { arguments: fragment } } } },
        }),
      );
    }
    frames.push(ev('tool-call-end', { index: 0 }));
  } else {
    frames.push(
      ev('content-start', {
        index: 0,
        delta: { message: { content: { type: 'text', text: '' } } },
      }),
    );
    for (const text of gen.pieces) {
      frames.push(ev('content-delta', { index: 0, delta: { message: { content: { text } } } }));
    }
    frames.push(ev('content-end', { index: 0 }));
  }
  frames.push(ev('message-end', { id, delta: { finish_reason: finishReason, usage } }));
  const out = modelStream(call);
  if (await out.sendAll(frames)) out.end();
}

function readMessages(messages: unknown[]): ChatTurn[] {
  const toolNames = new Map<string, string>();
  return messages.map((message, i) => {
    if (!isRecord(message) || typeof message.role !== 'string') {
      throw new HttpError(400, `messages[${i}] must be an object with a 'role'`);
    }
    if (message.role === 'assistant' && Array.isArray(message.tool_calls)) {
      for (const tc of message.tool_calls) {
        if (isRecord(tc) && typeof tc.id === 'string' && isRecord(tc.function)) {
          toolNames.set(tc.id, String(tc.function.name ?? ''));
        }
      }
    }
    if (message.role === 'tool') {
      const toolName = toolNames.get(String(message.tool_call_id ?? ''));
      return {
        role: 'tool',
        text: toolResultText(message.content),
        ...(toolName ? { toolName } : {}),
      };
    }
    const role: ChatTurn['role'] =
      message.role === 'system' ? 'system' : message.role === 'assistant' ? 'assistant' : 'user';
    return { role, text: textOf(message.content) };
  });
}

/** A tool message's content: text, or documents whose `data` is shown as JSON. */
function toolResultText(content: unknown): string {
  if (!Array.isArray(content)) return textOf(content);
  return content
    .map(part => {
      if (!isRecord(part)) return '';
      if (typeof part.text === 'string') return part.text;
      if (isRecord(part.document)) {
        const data = part.document.data;
        return typeof data === 'string' ? data : JSON.stringify(data);
      }
      return '';
    })
    .filter(text => text !== '')
    .join('\n');
}

function readTools(tools: unknown[]): ToolSpec[] {
  return tools.map((tool, i) => {
    if (!isRecord(tool) || !isRecord(tool.function) || typeof tool.function.name !== 'string') {
      throw new HttpError(400, `tools[${i}] must be {type: 'function', function: {name, …}}`);
    }
    return {
      name: tool.function.name,
      ...(typeof tool.function.description === 'string'
        ? { description: tool.function.description }
        : {}),
      schema: tool.function.parameters,
    };
  });
}

function readToolChoice(choice: unknown): ToolChoice {
  if (choice === 'NONE') return { kind: 'none' };
  if (choice === 'REQUIRED') return { kind: 'required' };
  return { kind: 'auto' };
}

type EmbeddingType = 'float' | 'int8' | 'uint8' | 'binary' | 'ubinary' | 'base64';
const EMBEDDING_TYPES: readonly EmbeddingType[] = [
  'float',
  'int8',
  'uint8',
  'binary',
  'ubinary',
  'base64',
];

export function embedV2(call: ModelCall): void {
  const { body } = call;
  requireString(body, 'model');
  const texts = readTexts(body);
  const dimensions = optionalNumber(body, 'output_dimension') ?? DEFAULT_DIMENSIONS;
  if (dimensions < 8 || dimensions > 4096) {
    throw new HttpError(400, 'output_dimension must be between 8 and 4096');
  }
  const requested = body.embedding_types ?? ['float'];
  if (!Array.isArray(requested) || requested.length === 0) {
    throw new HttpError(400, 'embedding_types must be a non-empty list');
  }
  const types = requested.map(type => {
    if (!EMBEDDING_TYPES.includes(type as EmbeddingType)) {
      throw new HttpError(400, `invalid embedding type: ${String(type)}`);
    }
    return type as EmbeddingType;
  });
  const vectors = texts.map(text => embed(text, dimensions));
  const embeddings: Record<string, unknown[]> = {};
  for (const type of types) embeddings[type] = vectors.map(vector => encodeAs(vector, type));
  const inputTokens = texts.reduce((sum, text) => sum + countTokens(text), 0);
  sendModelJson(call, {
    id: randomUUID(),
    embeddings,
    texts,
    meta: { api_version: { version: '2' }, billed_units: { input_tokens: inputTokens } },
    response_type: 'embeddings_by_type',
  });
}

/** `texts`, or the text parts of `inputs` (the multimodal form). */
function readTexts(body: Record<string, unknown>): string[] {
  if (Array.isArray(body.texts) && body.texts.length > 0) {
    return body.texts.map((text, i) => {
      if (typeof text !== 'string') throw new HttpError(400, `texts[${i}] must be a string`);
      return text;
    });
  }
  const inputs = optionalArray(body, 'inputs');
  const texts = inputs.map(input => (isRecord(input) ? textOf(input.content) : ''));
  if (texts.length === 0) throw new HttpError(400, 'texts or inputs must be a non-empty list');
  return texts;
}

function encodeAs(vector: Float32Array, type: EmbeddingType): unknown {
  switch (type) {
    case 'float':
      return Array.from(vector);
    case 'int8':
      return Array.from(vector, v => Math.max(-128, Math.min(127, Math.round(v * 127))));
    case 'uint8':
      return Array.from(vector, v => Math.max(0, Math.min(255, Math.round((v + 1) * 127.5))));
    case 'base64': {
      const bytes = Buffer.alloc(vector.length * 4);
      for (const [i, value] of vector.entries()) bytes.writeFloatLE(value, i * 4);
      return bytes.toString('base64');
    }
    case 'binary':
    case 'ubinary': {
      // One bit per dimension (set when positive), eight to a byte; `binary` is signed.
      const packed: number[] = [];
      for (let i = 0; i < vector.length; i += 8) {
        let byte = 0;
        for (let bit = 0; bit < 8; bit++) byte = (byte << 1) | ((vector[i + bit] ?? 0) > 0 ? 1 : 0);
        packed.push(type === 'binary' ? byte - 128 : byte);
      }
      return packed;
    }
  }
}
