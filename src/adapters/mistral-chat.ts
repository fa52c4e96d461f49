/**
 * Adapters for `@mistralai/mistralai` chat completions (`chat.complete`, `chat.stream`,
 * `chat.parse`, `chat.parseStream`) and embeddings (`embeddings.create`), in the SDK's own
 * request and response shapes (camelCase: `maxTokens`, `toolCalls`, `finishReason`,
 * `usage.promptTokens`). Stream items are the SDK's `{ data: CompletionChunk }` events.
 *
 * The input read for the pre-check is every message of every role: text chunks, thinking,
 * tool calls and tool results, documents given as data URLs of a text type (decoded), and the
 * Predicted Outputs content. Images, audio, files by id and documents by URL are placeholders
 * (see `messages.ts`).
 */
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv/index.js';
import { type CallAdapter, streamed } from './adapter.js';
import {
  type CallInput,
  functionCallParts,
  inlineFileParts,
  isRecord,
  list,
  mediaFromName,
  num,
  type Part,
  partText,
  placeholder,
  pushTurn,
  type ResponseRecord,
  smallIndex,
  str,
  text,
  unknownParts,
} from './messages.js';
import { requestAttributes as baseRequestAttributes } from './request-attributes.js';

const MAX_NESTING = 8;

/** The parts of a message's content: a string, or chunks. */
function contentParts(content: unknown, depth = 0): Part[] {
  if (typeof content === 'string') return [text(content)];
  if (!Array.isArray(content) || depth > MAX_NESTING) return [];
  const parts: Part[] = [];
  for (const chunk of content) {
    if (typeof chunk === 'string') {
      parts.push(text(chunk));
      continue;
    }
    if (!isRecord(chunk)) continue;
    switch (chunk.type) {
      case 'text':
        parts.push(text(chunk.text ?? ''));
        break;
      case 'thinking':
        parts.push({
          type: 'reasoning',
          content: contentParts(chunk.thinking, depth + 1)
            .map(partText)
            .join(' '),
        });
        break;
      case 'image_url':
        parts.push(placeholder('image'));
        break;
      case 'input_audio':
        parts.push(placeholder('audio'));
        break;
      case 'document_url': {
        const url = str(chunk.documentUrl) ?? '';
        const name = str(chunk.documentName);
        if (url.startsWith('data:'))
          parts.push(...inlineFileParts('document', url, undefined, name));
        else parts.push(placeholder('document', mediaFromName(name ?? url), name ?? url));
        break;
      }
      case 'file':
        parts.push(placeholder('file'));
        break;
      case 'reference':
        // Ids of documents the model was given earlier, not content.
        break;
      default:
        parts.push(...unknownParts(chunk));
    }
  }
  return parts;
}

function input(params: any): CallInput {
  const input: CallInput = { system: [], messages: [] };
  for (const m of list(params?.messages)) {
    if (!isRecord(m)) continue;
    const role = String(m.role ?? 'user');
    const parts = contentParts(m.content);
    if (role === 'system') {
      input.system.push(...parts);
      continue;
    }
    parts.push(...functionCallParts(m.toolCalls));
    pushTurn(input, role, parts, m.toolCallId);
  }
  // Predicted Outputs: text the provider receives with the request.
  const prediction = params?.prediction;
  if (isRecord(prediction) && typeof prediction.content === 'string' && prediction.content) {
    input.messages.push({ role: 'prediction', parts: [text(prediction.content)] });
  }
  return input;
}

function requestAttributes(params: any, operation: string): Attributes {
  const attrs = baseRequestAttributes(operation, 'mistral_ai', {
    model: params?.model,
    maxTokens: params?.maxTokens,
    temperature: params?.temperature,
    topP: params?.topP,
    seed: params?.randomSeed,
    frequencyPenalty: params?.frequencyPenalty,
    presencePenalty: params?.presencePenalty,
    choiceCount: params?.n,
    stop: params?.stop,
  });
  const format = params?.responseFormat?.type;
  if (format === 'json_object' || format === 'json_schema') {
    attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_JSON;
  } else if (format === 'text') {
    attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_TEXT;
  }
  return attrs;
}

function usage(record: ResponseRecord, u: unknown): void {
  if (!isRecord(u)) return;
  record.inputTokens = num(u.promptTokens) ?? record.inputTokens;
  record.outputTokens = num(u.completionTokens) ?? record.outputTokens;
  // Not modelled by the SDK: kept among the usage's extra properties, as the wire names it.
  const details = u.promptTokensDetails ?? u.prompt_tokens_details;
  if (isRecord(details)) {
    record.cacheReadTokens =
      num(details.cachedTokens ?? details.cached_tokens) ?? record.cacheReadTokens;
  }
}

/** The text of a message or delta's content: a string, or text chunks (thinking apart). */
function appendContent(record: ResponseRecord, index: number, content: unknown): void {
  if (typeof content === 'string') {
    record.appendChoiceText(index, content);
    return;
  }
  for (const chunk of list(content)) {
    if (!isRecord(chunk)) continue;
    if (chunk.type === 'text') record.appendChoiceText(index, chunk.text);
    else if (chunk.type === 'thinking' && index === 0) {
      for (const inner of list(chunk.thinking)) {
        if (isRecord(inner) && typeof inner.text === 'string') record.appendReasoning(inner.text);
      }
    }
  }
}

function readToolCalls(record: ResponseRecord, calls: unknown): void {
  list(calls).forEach((call, i) => {
    if (!isRecord(call)) return;
    const fn = isRecord(call.function) ? call.function : {};
    record.toolCall(smallIndex(call.index) ?? i, call.id, fn.name, fn.arguments);
  });
}

function readCompletion(record: ResponseRecord, data: any): void {
  record.id = str(data?.id);
  record.model = str(data?.model);
  for (const choice of list(data?.choices)) {
    if (!isRecord(choice)) continue;
    const index = smallIndex(choice.index ?? 0);
    if (index === undefined) continue;
    const message = isRecord(choice.message) ? choice.message : {};
    appendContent(record, index, message.content);
    if (index === 0) readToolCalls(record, message.toolCalls);
    if (typeof choice.finishReason === 'string') record.finishReasons[index] = choice.finishReason;
  }
  usage(record, data?.usage);
}

function readChunk(record: ResponseRecord, event: any): void {
  // The SDK yields `{ event?, data }`; a bare chunk is read too.
  const chunk = isRecord(event?.data) ? event.data : event;
  if (!isRecord(chunk)) return;
  if (record.id === undefined) {
    record.id = str(chunk.id);
    record.model = str(chunk.model);
  }
  for (const choice of list(chunk.choices)) {
    if (!isRecord(choice)) continue;
    const index = smallIndex(choice.index ?? 0);
    if (index === undefined) continue;
    const delta = isRecord(choice.delta) ? choice.delta : {};
    appendContent(record, index, delta.content);
    if (index === 0 && record.captureTools) readToolCalls(record, delta.toolCalls);
    if (typeof choice.finishReason === 'string') record.finishReasons[index] = choice.finishReason;
  }
  usage(record, chunk.usage);
}

function toolDefinitions(params: any): unknown[] {
  return list(params?.tools)
    .filter(isRecord)
    .map(tool => {
      const fn = isRecord(tool.function) ? tool.function : undefined;
      if (fn === undefined) return { type: String(tool.type ?? 'function') };
      const definition: Record<string, unknown> = { type: 'function' };
      if (typeof fn.name === 'string') definition.name = fn.name;
      if (typeof fn.description === 'string') definition.description = fn.description;
      if (fn.parameters !== undefined) definition.parameters = fn.parameters;
      return definition;
    });
}

export const mistralChat: CallAdapter = {
  provider: 'mistral_ai',
  operation: sc.GEN_AI_OPERATION_CHAT,
  input,
  toolDefinitions,
  requestAttributes: params => requestAttributes(params, sc.GEN_AI_OPERATION_CHAT),
  onResult: readCompletion,
  onChunk: readChunk,
};

/** `chat.stream` / `chat.parseStream`: the same reading, with `gen_ai.request.stream`. */
export const mistralChatStream: CallAdapter = streamed(mistralChat);

export const mistralEmbeddings: CallAdapter = {
  provider: 'mistral_ai',
  operation: sc.GEN_AI_OPERATION_EMBEDDINGS,
  input(params) {
    const raw = params?.inputs;
    const texts = typeof raw === 'string' ? [raw] : list(raw).filter(t => typeof t === 'string');
    return {
      system: [],
      messages: texts.map(content => ({ role: 'user', parts: [text(content)] })),
    };
  },
  requestAttributes(params) {
    const attrs = requestAttributes(params, sc.GEN_AI_OPERATION_EMBEDDINGS);
    const dimensions = num(params?.outputDimension);
    if (dimensions !== undefined) attrs[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions;
    if (typeof params?.encodingFormat === 'string') {
      attrs[sc.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS] = [params.encodingFormat];
    }
    return attrs;
  },
  onResult(record, data) {
    record.id = str(data?.id);
    record.model = str(data?.model);
    // An embedding has no output tokens.
    record.inputTokens = num(data?.usage?.promptTokens);
    const first = list(data?.data)[0];
    const count = isRecord(first) && Array.isArray(first.embedding) ? first.embedding.length : 0;
    if (count > 0) record.attributes[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = count;
  },
  onChunk() {},
};
