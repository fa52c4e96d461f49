/**
 * Adapters for `cohere-ai` v2 chat (`chat`, `chatStream`) and embeddings (`embed`), in the SDK's
 * own request and response shapes (camelCase: `maxTokens`, `toolCalls`, `toolCallId`,
 * `finishReason`, `usage.tokens.inputTokens`). Stream items are the SDK's parsed events
 * (`message-start`, `content-delta`, `tool-call-start`, `message-end`, …).
 *
 * The input read for the pre-check is every message of every role (system, user, assistant with
 * its tool plan and tool calls, tool results with their text and documents), and the request's
 * `documents` (grounding text the model reads). Images are placeholders (see `messages.ts`).
 *
 * Usage: `usage.tokens` (what the model read and wrote), else `usage.billedUnits`; the
 * `cachedTokens` count is reported as cache reads.
 */
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv/index.js';
import { type CallAdapter, streamed } from './adapter.js';
import {
  type CallInput,
  functionCallParts,
  isRecord,
  list,
  num,
  type Part,
  placeholder,
  pushTurn,
  type ResponseRecord,
  smallIndex,
  str,
  text,
  unknownParts,
} from './messages.js';
import { requestAttributes as baseRequestAttributes } from './request-attributes.js';

/** A message's content: a string, or `{ type: 'text' | 'thinking' | 'image_url' | 'document' }`. */
function contentParts(content: unknown): Part[] {
  if (typeof content === 'string') return [text(content)];
  const parts: Part[] = [];
  for (const item of list(content)) {
    if (typeof item === 'string') {
      parts.push(text(item));
      continue;
    }
    if (!isRecord(item)) continue;
    switch (item.type) {
      case 'text':
        parts.push(text(item.text ?? ''));
        break;
      case 'thinking':
        parts.push({ type: 'reasoning', content: String(item.thinking ?? '') });
        break;
      case 'image_url':
        parts.push(placeholder('image'));
        break;
      case 'document':
        parts.push(...documentParts(item.document));
        break;
      default:
        parts.push(...unknownParts(item));
    }
  }
  return parts;
}

/** A document: a string, or `{ data: { …fields }, id }` whose field values the model reads. */
function documentParts(document: unknown): Part[] {
  if (typeof document === 'string') return [text(document)];
  if (!isRecord(document)) return [];
  return unknownParts(isRecord(document.data) ? document.data : document);
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
    if (typeof m.toolPlan === 'string' && m.toolPlan) parts.unshift(text(m.toolPlan));
    parts.push(...functionCallParts(m.toolCalls));
    pushTurn(input, role, parts, m.toolCallId);
  }
  const documents = list(params?.documents).flatMap(documentParts);
  if (documents.length > 0) input.messages.push({ role: 'documents', parts: documents });
  return input;
}

function requestAttributes(params: any, operation: string): Attributes {
  const attrs = baseRequestAttributes(operation, 'cohere', {
    model: params?.model,
    maxTokens: params?.maxTokens,
    temperature: params?.temperature,
    topP: params?.p,
    topK: params?.k,
    seed: params?.seed,
    frequencyPenalty: params?.frequencyPenalty,
    presencePenalty: params?.presencePenalty,
    stop: params?.stopSequences,
  });
  const format = params?.responseFormat?.type;
  if (format === 'json_object') attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_JSON;
  else if (format === 'text') attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_TEXT;
  return attrs;
}

function usage(record: ResponseRecord, u: unknown): void {
  if (!isRecord(u)) return;
  const counts = isRecord(u.tokens) ? u.tokens : u.billedUnits;
  if (isRecord(counts)) {
    record.inputTokens = num(counts.inputTokens) ?? record.inputTokens;
    record.outputTokens = num(counts.outputTokens) ?? record.outputTokens;
  }
  record.cacheReadTokens = num(u.cachedTokens) ?? record.cacheReadTokens;
}

function readResponse(record: ResponseRecord, data: any): void {
  record.id = str(data?.id);
  if (typeof data?.finishReason === 'string') record.finishReasons = [data.finishReason];
  const message = isRecord(data?.message) ? data.message : {};
  for (const item of list(message.content)) {
    if (!isRecord(item)) continue;
    if (item.type === 'text') record.appendText(item.text);
    else if (item.type === 'thinking') record.appendReasoning(item.thinking);
  }
  list(message.toolCalls).forEach((call, i) => {
    if (!isRecord(call)) return;
    const fn = isRecord(call.function) ? call.function : {};
    record.toolCall(i, call.id, fn.name, fn.arguments);
  });
  usage(record, data?.usage);
}

function readEvent(record: ResponseRecord, event: any): void {
  if (!isRecord(event)) return;
  const message = isRecord(event.delta?.message) ? event.delta.message : undefined;
  switch (event.type) {
    case 'message-start':
      record.id = str(event.id) ?? record.id;
      break;
    case 'content-delta': {
      const content = message?.content;
      if (isRecord(content)) {
        record.appendText(content.text);
        record.appendReasoning(content.thinking);
      }
      break;
    }
    case 'tool-call-start':
    case 'tool-call-delta': {
      if (!record.captureTools) break;
      const call = message?.toolCalls;
      if (!isRecord(call)) break;
      const fn = isRecord(call.function) ? call.function : {};
      const index = smallIndex(event.index) ?? 0;
      record.toolCall(index, call.id, fn.name, str(fn.arguments) ?? '');
      break;
    }
    case 'message-end': {
      const delta = isRecord(event.delta) ? event.delta : {};
      if (typeof delta.finishReason === 'string') record.finishReasons = [delta.finishReason];
      usage(record, delta.usage);
      break;
    }
  }
}

function toolDefinitions(params: any): unknown[] {
  return list(params?.tools)
    .filter(isRecord)
    .map(tool => {
      const fn = isRecord(tool.function) ? tool.function : {};
      const definition: Record<string, unknown> = { type: String(tool.type ?? 'function') };
      if (typeof fn.name === 'string') definition.name = fn.name;
      if (typeof fn.description === 'string') definition.description = fn.description;
      if (fn.parameters !== undefined) definition.parameters = fn.parameters;
      return definition;
    });
}

export const cohereChat: CallAdapter = {
  provider: 'cohere',
  operation: sc.GEN_AI_OPERATION_CHAT,
  input,
  toolDefinitions,
  requestAttributes: params => requestAttributes(params, sc.GEN_AI_OPERATION_CHAT),
  onResult: readResponse,
  onChunk: readEvent,
};

/** `chatStream`: the same reading, with `gen_ai.request.stream`. */
export const cohereChatStream: CallAdapter = streamed(cohereChat);

export const cohereEmbed: CallAdapter = {
  provider: 'cohere',
  operation: sc.GEN_AI_OPERATION_EMBEDDINGS,
  input(params) {
    const messages = list(params?.texts)
      .filter(t => typeof t === 'string')
      .map(t => ({ role: 'user', parts: [text(t)] }));
    for (const _ of list(params?.images)) {
      messages.push({ role: 'user', parts: [placeholder('image')] });
    }
    for (const item of list(params?.inputs)) {
      if (!isRecord(item)) continue;
      const parts = list(item.content).flatMap(c =>
        isRecord(c) && c.type === 'text'
          ? [text(c.text ?? '')]
          : isRecord(c) && c.type === 'image_url'
            ? [placeholder('image')]
            : unknownParts(c),
      );
      if (parts.length > 0) messages.push({ role: 'user', parts });
    }
    return { system: [], messages };
  },
  requestAttributes(params) {
    const attrs = requestAttributes(params, sc.GEN_AI_OPERATION_EMBEDDINGS);
    const dimensions = num(params?.outputDimension);
    if (dimensions !== undefined) attrs[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions;
    if (Array.isArray(params?.embeddingTypes)) {
      attrs[sc.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS] = params.embeddingTypes.filter(
        (t: unknown) => typeof t === 'string',
      );
    }
    return attrs;
  },
  onResult(record, data) {
    record.id = str(data?.id);
    const meta = isRecord(data?.meta) ? data.meta : {};
    const counts = isRecord(meta.tokens) ? meta.tokens : meta.billedUnits;
    // An embedding has no output tokens.
    if (isRecord(counts)) record.inputTokens = num(counts.inputTokens);
    const embeddings = isRecord(data?.embeddings)
      ? Object.values(data.embeddings).find(v => Array.isArray(v) && v.length > 0)
      : data?.embeddings;
    const first = list(embeddings)[0];
    if (Array.isArray(first) && first.length > 0) {
      record.attributes[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = first.length;
    }
  },
  onChunk() {},
};
