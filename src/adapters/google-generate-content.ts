/**
 * Adapters for the `@google/genai` models module (Gemini API and Vertex AI): content generation
 * (`generateContent`, `generateContentStream`, and each model call of `chats` and of automatic
 * function calling) and `embedContent`, in the SDK's own request and response shapes (camelCase).
 *
 * The input read for the pre-check is every part the model will see: the system instruction and
 * every content's parts (text, thoughts, function calls and responses, inline data decoded when it
 * is text, file URIs as placeholders). Usage: `promptTokenCount` (cached tokens included) is the
 * input; the output is `candidatesTokenCount` plus `thoughtsTokenCount` (thinking is output the
 * model bills), which is also the reasoning count.
 */
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import {
  type CallInput,
  inlineFileParts,
  isRecord,
  list,
  type Message,
  num,
  type Part,
  placeholder,
  type ResponseRecord,
  str,
  stringify,
  unknownParts,
} from './messages.js';
import { requestAttributes as baseRequestAttributes } from './request-attributes.js';

function partsOf(part: unknown): Part[] {
  if (typeof part === 'string') return [{ type: 'text', content: part }];
  if (!isRecord(part)) return [];
  if (typeof part.text === 'string') {
    return [{ type: part.thought === true ? 'reasoning' : 'text', content: part.text } as Part];
  }
  if (isRecord(part.functionCall)) {
    return [
      {
        type: 'tool_call',
        id: str(part.functionCall.id),
        name: String(part.functionCall.name ?? ''),
        arguments: stringify(part.functionCall.args ?? {}),
      } as Part,
    ];
  }
  if (isRecord(part.functionResponse)) {
    return [
      {
        type: 'tool_call_response',
        id: str(part.functionResponse.id),
        response: stringify(part.functionResponse.response ?? ''),
      } as Part,
    ];
  }
  if (isRecord(part.inlineData)) {
    const data = part.inlineData;
    return typeof data.data === 'string'
      ? inlineFileParts('file', data.data, str(data.mimeType), str(data.displayName))
      : [placeholder('file', str(data.mimeType))];
  }
  if (isRecord(part.fileData)) {
    return [placeholder('file', str(part.fileData.mimeType), str(part.fileData.fileUri))];
  }
  return unknownParts(part);
}

/** A content: a string, a part, a `{ role, parts }` content, or a list of any of them. */
function contentsOf(value: unknown): Message[] {
  if (typeof value === 'string')
    return [{ role: 'user', parts: [{ type: 'text', content: value }] }];
  if (Array.isArray(value)) {
    // A list of parts is one user turn; a list of contents is the conversation.
    if (value.every(v => typeof v === 'string' || (isRecord(v) && !('parts' in v)))) {
      return [{ role: 'user', parts: value.flatMap(partsOf) }];
    }
    return value.flatMap(contentsOf);
  }
  if (!isRecord(value)) return [];
  if (Array.isArray(value.parts)) {
    return [{ role: String(value.role ?? 'user'), parts: value.parts.flatMap(partsOf) }];
  }
  return [{ role: 'user', parts: partsOf(value) }];
}

function usage(record: ResponseRecord, metadata: any): void {
  if (!isRecord(metadata)) return;
  const candidates = num(metadata.candidatesTokenCount);
  const thoughts = num(metadata.thoughtsTokenCount);
  record.inputTokens = num(metadata.promptTokenCount) ?? record.inputTokens;
  if (candidates !== undefined || thoughts !== undefined) {
    record.outputTokens = (candidates ?? 0) + (thoughts ?? 0);
  }
  if (thoughts !== undefined) record.reasoningTokens = thoughts;
  record.cacheReadTokens = num(metadata.cachedContentTokenCount) ?? record.cacheReadTokens;
}

/** One response or stream chunk: they have the same shape; usage in a chunk is cumulative. */
function readResponse(record: ResponseRecord, data: any, streamed: boolean): void {
  record.id ??= str(data?.responseId);
  record.model ??= str(data?.modelVersion);
  list(data?.candidates).forEach((candidate: any, i) => {
    if (typeof candidate?.finishReason === 'string') {
      record.finishReasons[i] = candidate.finishReason.toLowerCase();
    }
    let tool = 0;
    for (const part of list(candidate?.content?.parts) as any[]) {
      if (typeof part?.text === 'string') {
        if (part.thought === true) {
          if (i === 0) record.appendReasoning(part.text);
        } else record.appendChoiceText(i, part.text);
      } else if (i === 0 && isRecord(part?.functionCall) && !streamed) {
        record.toolCall(
          tool++,
          part.functionCall.id,
          part.functionCall.name,
          part.functionCall.args,
        );
      }
    }
  });
  usage(record, data?.usageMetadata);
}

function requestAttributes(body: any, operation: string): Attributes {
  const config = isRecord(body?.config) ? body.config : {};
  const attrs = baseRequestAttributes(operation, 'gcp.gemini', {
    model: str(body?.model)?.replace(/^models\//, ''),
    maxTokens: config.maxOutputTokens,
    temperature: config.temperature,
    topP: config.topP,
    topK: config.topK,
    seed: config.seed,
    frequencyPenalty: config.frequencyPenalty,
    presencePenalty: config.presencePenalty,
    choiceCount: config.candidateCount,
    stop: config.stopSequences,
  });
  if (config.responseMimeType === 'application/json' || config.responseSchema !== undefined) {
    attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_JSON;
  }
  return attrs;
}

function toolDefinitions(body: any): unknown[] {
  const tools = isRecord(body?.config) ? list(body.config.tools) : [];
  return tools.flatMap(tool =>
    isRecord(tool)
      ? list(tool.functionDeclarations)
          .filter(isRecord)
          .map(fn => ({
            type: 'function',
            name: fn.name,
            description: fn.description,
            parameters: fn.parametersJsonSchema ?? fn.parameters,
          }))
      : [],
  );
}

/** The request's input: the system instruction and the contents. */
function input(body: any): CallInput {
  const system = isRecord(body?.config) ? contentsOf(body.config.systemInstruction) : [];
  return { system: system.flatMap(m => m.parts), messages: contentsOf(body?.contents) };
}

export const googleGenerateContent: CallAdapter = {
  provider: 'gcp.gemini',
  operation: sc.GEN_AI_OPERATION_GENERATE_CONTENT,
  input,
  toolDefinitions,
  requestAttributes: body => requestAttributes(body, sc.GEN_AI_OPERATION_GENERATE_CONTENT),
  onResult: (record, data) => readResponse(record, data, false),
  onChunk: (record, chunk) => readResponse(record, chunk, true),
};

export const googleEmbedContent: CallAdapter = {
  provider: 'gcp.gemini',
  operation: sc.GEN_AI_OPERATION_EMBEDDINGS,
  input: body => ({ system: [], messages: contentsOf(body?.contents) }),
  requestAttributes(body) {
    const attrs = requestAttributes(body, sc.GEN_AI_OPERATION_EMBEDDINGS);
    const dimensions = num(body?.config?.outputDimensionality);
    if (dimensions !== undefined) attrs[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions;
    return attrs;
  },
  onResult(record, data) {
    const first = list(data?.embeddings)[0] as any;
    const count = Array.isArray(first?.values) ? first.values.length : undefined;
    if (count) record.attributes[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = count;
    // Vertex AI reports the input's token count per embedding.
    const tokens = list(data?.embeddings).reduce<number | undefined>((sum, e: any) => {
      const n = num(e?.statistics?.tokenCount);
      return n === undefined ? sum : (sum ?? 0) + n;
    }, undefined);
    if (tokens !== undefined) record.inputTokens = tokens;
  },
  onChunk() {},
};
