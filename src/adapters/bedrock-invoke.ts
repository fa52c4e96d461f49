/**
 * Adapter for Amazon Bedrock Runtime's InvokeModel API (`InvokeModelCommand`,
 * `InvokeModelWithResponseStreamCommand` of `@aws-sdk/client-bedrock-runtime`), whose body is
 * JSON in the model family's own format. The patch layer hands over the command input with its
 * body decoded (`InvokeRequest`: the JSON when it parses, else the text); the family comes from
 * the model id (also inside an inference-profile id or ARN), else from the body's shape:
 *
 * - Anthropic Claude: a Messages body (`anthropic_version`, `system`, `messages`), read as the
 *   Anthropic adapter reads it, or a legacy `prompt`;
 * - Amazon Nova: Converse-style `system`, `messages` (`content: [{ text }]`), `inferenceConfig`;
 * - Amazon Titan Text (`inputText`), Meta Llama and Mistral (`prompt`; Mistral's chat format
 *   `messages` as OpenAI's), Cohere Command R (`preamble`, `chat_history`, `message`,
 *   `documents`, `tool_results`) and Command (`prompt`);
 * - embedding models (Titan `inputText`, Cohere `texts`), traced as `embeddings`;
 * - any other body: every string in its JSON, or its raw text when it is not JSON. A known
 *   family whose reader finds nothing falls back to the same, so a body in a format we do not
 *   know is still checked.
 *
 * Responses are read by their shape, whatever the family said: the reply body (bytes of JSON,
 * with Bedrock's token-count headers as the usage fallback) and, streamed, each
 * `{ chunk: { bytes } }` payload, the last of which carries Bedrock's
 * `amazon-bedrock-invocationMetrics` (the usage fallback there).
 */
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv/index.js';
import { type CallAdapter, streamed } from './adapter.js';
import { anthropicMessages } from './anthropic-messages.js';
import { converseInput, readConverseEvent, readConverseReply } from './bedrock-converse.js';
import {
  type CallInput,
  isRecord,
  list,
  type Message,
  num,
  type Part,
  placeholder,
  type ResponseRecord,
  renderPrompt,
  str,
  stringify,
  text,
  unknownParts,
} from './messages.js';
import { openaiChat } from './openai-chat.js';

/** The InvokeModel request as this adapter reads it (plain data: it is snapshot for the check). */
export interface InvokeRequest {
  modelId?: string;
  /** The body: its JSON value when it parses, else its text; absent when there is none. */
  body?: unknown;
  /** A body that cannot be read without consuming it (a stream): the placeholder's kind. */
  unreadable?: string;
}

const textDecoder = new TextDecoder();

/**
 * The request of an InvokeModel command input, given its body's text (what the patch layer read
 * of a string, bytes or a `Blob`), or `unreadable` for a body that cannot be read without
 * consuming it. The body is JSON in every family's format: it is parsed here, once.
 */
export function invokeRequest(
  input: Record<string, unknown>,
  bodyText: string | undefined,
  unreadable?: string,
): InvokeRequest {
  const request: InvokeRequest = {};
  if (typeof input.modelId === 'string') request.modelId = input.modelId;
  if (unreadable !== undefined) request.unreadable = unreadable;
  else if (bodyText !== undefined) {
    try {
      request.body = JSON.parse(bodyText);
    } catch {
      request.body = bodyText;
    }
  }
  return request;
}

/** The text of a body given as a string or bytes; undefined for anything else. */
export function bodyTextOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (ArrayBuffer.isView(body)) {
    return textDecoder.decode(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  }
  if (body instanceof ArrayBuffer) return textDecoder.decode(new Uint8Array(body));
  return undefined;
}

export type InvokeFamily =
  | 'anthropic'
  | 'nova'
  | 'titan-text'
  | 'titan-embed'
  | 'llama'
  | 'mistral'
  | 'cohere-command-r'
  | 'cohere-command'
  | 'cohere-embed'
  | 'embed'
  | 'unknown';

/** Model-id markers, most specific first; an inference profile or an ARN contains one too. */
const ID_FAMILIES: ReadonlyArray<[RegExp, InvokeFamily]> = [
  [/(?:^|[.:/])anthropic\./, 'anthropic'],
  [/(?:^|[.:/])amazon\.nova-[^/]*embed/, 'embed'],
  [/(?:^|[.:/])amazon\.nova/, 'nova'],
  [/(?:^|[.:/])amazon\.titan-embed/, 'titan-embed'],
  [/(?:^|[.:/])amazon\.titan/, 'titan-text'],
  [/(?:^|[.:/])meta\.llama/, 'llama'],
  [/(?:^|[.:/])mistral\./, 'mistral'],
  [/(?:^|[.:/])cohere\.embed/, 'cohere-embed'],
  [/(?:^|[.:/])cohere\.command-r/, 'cohere-command-r'],
  [/(?:^|[.:/])cohere\.command/, 'cohere-command'],
  [/embed/, 'embed'],
];

/** The model family of a request: by its model id, else by its body's shape. */
export function invokeFamily(request: InvokeRequest | undefined): InvokeFamily {
  const id = typeof request?.modelId === 'string' ? request.modelId.toLowerCase() : '';
  for (const [pattern, family] of ID_FAMILIES) if (pattern.test(id)) return family;
  const body = request?.body;
  if (!isRecord(body)) return 'unknown';
  if (typeof body.anthropic_version === 'string') return 'anthropic';
  if (Array.isArray(body.messages)) {
    // Nova's blocks are `{ text }`; Claude's carry a `type`; Mistral's content is a string.
    const first = list(body.messages).find(isRecord);
    const content = isRecord(first) ? first.content : undefined;
    const novaShaped =
      body.inferenceConfig !== undefined ||
      body.schemaVersion !== undefined ||
      (Array.isArray(content) && content.some(b => isRecord(b) && b.type === undefined));
    if (novaShaped) return 'nova';
    return typeof content === 'string' ? 'mistral' : 'anthropic';
  }
  if (typeof body.inputText === 'string') {
    return body.textGenerationConfig === undefined &&
      (body.dimensions !== undefined || body.normalize !== undefined)
      ? 'titan-embed'
      : 'titan-text';
  }
  if (typeof body.message === 'string') return 'cohere-command-r';
  if (Array.isArray(body.texts)) return 'cohere-embed';
  if (typeof body.prompt === 'string') return 'llama';
  return 'unknown';
}

function isEmbedding(family: InvokeFamily): boolean {
  return family === 'titan-embed' || family === 'cohere-embed' || family === 'embed';
}

function userTurn(parts: Part[]): Message[] {
  return parts.length > 0 ? [{ role: 'user', parts }] : [];
}

function stringParts(value: unknown): Part[] {
  return typeof value === 'string' && value ? [text(value)] : [];
}

const COHERE_ROLES: Record<string, string> = {
  USER: 'user',
  CHATBOT: 'assistant',
  SYSTEM: 'system',
  TOOL: 'tool',
};

/** Cohere Command R: preamble, chat history, documents, tool results, then the message. */
function cohereCommandRInput(body: Record<string, any>): CallInput {
  const input: CallInput = { system: stringParts(body.preamble), messages: [] };
  for (const entry of list(body.chat_history)) {
    if (!isRecord(entry)) continue;
    const role = COHERE_ROLES[String(entry.role).toUpperCase()] ?? String(entry.role ?? 'user');
    const parts = stringParts(entry.message);
    for (const call of list(entry.tool_calls)) {
      if (!isRecord(call)) continue;
      parts.push({
        type: 'tool_call',
        name: String(call.name ?? ''),
        arguments: stringify(call.parameters ?? {}),
      } as Part);
    }
    for (const result of list(entry.tool_results)) {
      parts.push({ type: 'tool_call_response', response: stringify(result) } as Part);
    }
    input.messages.push({ role, parts });
  }
  const documents = list(body.documents).flatMap(doc => unknownParts(doc));
  if (documents.length > 0) input.messages.push({ role: 'documents', parts: documents });
  const results = list(body.tool_results).map(
    result => ({ type: 'tool_call_response', response: stringify(result) }) as Part,
  );
  if (results.length > 0) input.messages.push({ role: 'tool', parts: results });
  input.messages.push(...userTurn(stringParts(body.message)));
  return input;
}

function embeddingInput(body: Record<string, any>): CallInput {
  const parts: Part[] = [...stringParts(body.inputText)];
  for (const t of list(body.texts)) parts.push(...stringParts(t));
  if (body.inputImage !== undefined) parts.push(placeholder('image'));
  for (const _ of list(body.images)) parts.push(placeholder('image'));
  return { system: [], messages: userTurn(parts) };
}

function familyInput(family: InvokeFamily, body: Record<string, any>): CallInput {
  switch (family) {
    case 'anthropic': {
      const input = anthropicMessages.input(body);
      // Claude's legacy text-completion body (`\n\nHuman: … \n\nAssistant:`).
      input.messages.push(...userTurn(stringParts(body.prompt)));
      return input;
    }
    case 'nova':
      return converseInput(body);
    case 'titan-text':
      return { system: [], messages: userTurn(stringParts(body.inputText)) };
    case 'mistral':
      if (Array.isArray(body.messages)) return openaiChat.input(body);
      return { system: [], messages: userTurn(stringParts(body.prompt)) };
    case 'llama':
    case 'cohere-command':
      return { system: [], messages: userTurn(stringParts(body.prompt)) };
    case 'cohere-command-r':
      return cohereCommandRInput(body);
    case 'titan-embed':
    case 'cohere-embed':
    case 'embed':
      return embeddingInput(body);
    case 'unknown':
      return { system: [], messages: userTurn(unknownParts(body)) };
  }
}

function invokeInput(request: InvokeRequest | undefined): CallInput {
  if (typeof request?.unreadable === 'string') {
    return { system: [], messages: userTurn([placeholder(request.unreadable)]) };
  }
  const body = request?.body;
  if (typeof body === 'string') return { system: [], messages: userTurn(stringParts(body)) };
  if (!isRecord(body)) return { system: [], messages: userTurn(unknownParts(body)) };
  const input = familyInput(invokeFamily(request), body);
  // A format the family's reader does not know: every string of the body is checked instead.
  if (renderPrompt(input).trim() === '') {
    return { system: [], messages: userTurn(unknownParts(body)) };
  }
  return input;
}

const MAX_TOKEN_KEYS = [
  'max_tokens',
  'max_gen_len',
  'max_new_tokens',
  'maxTokens',
  'maxTokenCount',
  'max_tokens_to_sample',
];

/** Parameters by the names the families give them, at the top or in their config object. */
function invokeAttributes(request: InvokeRequest | undefined, operation: string): Attributes {
  const attrs: Attributes = {
    [sc.ATTR_GEN_AI_OPERATION_NAME]: operation,
    [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'aws.bedrock',
  };
  const model = str(request?.modelId);
  if (model) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = model;
  const body = isRecord(request?.body) ? request.body : {};
  const scopes = [body, body.inferenceConfig, body.textGenerationConfig].filter(isRecord);
  const first = (keys: readonly string[]): unknown => {
    for (const scope of scopes) {
      for (const key of keys) if (scope[key] !== undefined) return scope[key];
    }
    return undefined;
  };
  const set = (key: string, keys: readonly string[]) => {
    const n = num(first(keys));
    if (n !== undefined) attrs[key] = n;
  };
  set(sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS, MAX_TOKEN_KEYS);
  set(sc.ATTR_GEN_AI_REQUEST_TEMPERATURE, ['temperature']);
  set(sc.ATTR_GEN_AI_REQUEST_TOP_P, ['top_p', 'topP', 'p']);
  set(sc.ATTR_GEN_AI_REQUEST_TOP_K, ['top_k', 'topK', 'k']);
  set(sc.ATTR_GEN_AI_REQUEST_SEED, ['seed']);
  set(sc.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, ['frequency_penalty']);
  set(sc.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, ['presence_penalty']);
  const stop = first(['stop_sequences', 'stopSequences', 'stop']);
  const stops = typeof stop === 'string' ? [stop] : list(stop).filter(s => typeof s === 'string');
  if (stops.length > 0) attrs[sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = stops as string[];
  if (operation === sc.GEN_AI_OPERATION_EMBEDDINGS) {
    const dimensions = num(body.dimensions) ?? num(body.output_dimension);
    if (dimensions !== undefined) attrs[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions;
  }
  return attrs;
}

// ---------------------------------------------------------------------------------------------
// Responses, by shape.

/** Bytes (or a string) of JSON as a value; undefined when it is not JSON. */
export function decodeJson(bytes: unknown): unknown {
  let textValue: string;
  if (typeof bytes === 'string') textValue = bytes;
  else if (bytes instanceof Uint8Array) textValue = textDecoder.decode(bytes);
  else return undefined;
  try {
    return JSON.parse(textValue);
  } catch {
    return undefined;
  }
}

function setFinish(record: ResponseRecord, reason: unknown): void {
  if (typeof reason === 'string' && reason) record.finishReasons = [reason];
}

/** Cohere's `meta`: `tokens` (what the model saw), else `billed_units`. */
function cohereMeta(record: ResponseRecord, meta: unknown): void {
  if (!isRecord(meta)) return;
  const counts = isRecord(meta.tokens) ? meta.tokens : meta.billed_units;
  if (!isRecord(counts)) return;
  record.inputTokens = num(counts.input_tokens) ?? record.inputTokens;
  record.outputTokens = num(counts.output_tokens) ?? record.outputTokens;
}

function embeddingDimensions(record: ResponseRecord, json: Record<string, any>): void {
  let first: unknown = Array.isArray(json.embedding) ? json.embedding : undefined;
  if (first === undefined) {
    const embeddings = isRecord(json.embeddings)
      ? Object.values(json.embeddings).find(Array.isArray)
      : json.embeddings;
    first = list(embeddings)[0];
  }
  const count = Array.isArray(first) ? first.length : 0;
  if (count > 0) record.attributes[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = count;
}

/** A complete reply body of any family. */
function readReplyJson(record: ResponseRecord, json: unknown): void {
  if (!isRecord(json)) return;
  if (json.type === 'message' || typeof json.stop_reason === 'string' || isRecord(json.usage)) {
    if (Array.isArray(json.content)) {
      anthropicMessages.onResult(record, json);
      return;
    }
  }
  if (isRecord(json.output) && isRecord(json.output.message)) {
    readConverseReply(record, json);
    return;
  }
  if (Array.isArray(json.choices)) {
    openaiChat.onResult(record, json);
    return;
  }
  if (Array.isArray(json.results)) {
    const first = json.results[0];
    if (isRecord(first)) {
      record.appendText(first.outputText);
      setFinish(record, first.completionReason);
    }
    record.inputTokens = num(json.inputTextTokenCount) ?? record.inputTokens;
    const output = json.results.reduce<number | undefined>((sum, r) => {
      const n = isRecord(r) ? num(r.tokenCount) : undefined;
      return n === undefined ? sum : (sum ?? 0) + n;
    }, undefined);
    if (output !== undefined) record.outputTokens = output;
    return;
  }
  if (typeof json.generation === 'string') {
    record.appendText(json.generation);
    setFinish(record, json.stop_reason);
    record.inputTokens = num(json.prompt_token_count) ?? record.inputTokens;
    record.outputTokens = num(json.generation_token_count) ?? record.outputTokens;
    return;
  }
  if (Array.isArray(json.outputs)) {
    const first = json.outputs[0];
    if (isRecord(first)) {
      record.appendText(first.text);
      setFinish(record, first.stop_reason);
    }
    return;
  }
  if (Array.isArray(json.generations)) {
    const first = json.generations[0];
    if (isRecord(first)) {
      record.appendText(first.text);
      setFinish(record, first.finish_reason);
    }
    record.id ??= str(json.id);
    cohereMeta(record, json.meta);
    return;
  }
  if (json.embedding !== undefined || json.embeddings !== undefined) {
    embeddingDimensions(record, json);
    record.inputTokens = num(json.inputTextTokenCount) ?? record.inputTokens;
    cohereMeta(record, json.meta);
    return;
  }
  if (typeof json.text === 'string') {
    record.appendText(json.text);
    setFinish(record, json.finish_reason);
    record.id ??= str(json.response_id);
    cohereMeta(record, json.meta);
  }
}

/** One streamed payload of any family. */
function readChunkJson(record: ResponseRecord, json: unknown): void {
  if (!isRecord(json)) return;
  if (typeof json.type === 'string') {
    anthropicMessages.onChunk(record, json);
  } else if (
    json.messageStart !== undefined ||
    json.contentBlockDelta !== undefined ||
    json.contentBlockStart !== undefined ||
    json.messageStop !== undefined ||
    json.metadata !== undefined
  ) {
    readConverseEvent(record, json);
  } else if (Array.isArray(json.choices)) {
    openaiChat.onChunk(record, json);
  } else if (typeof json.outputText === 'string') {
    record.appendText(json.outputText);
    setFinish(record, json.completionReason);
    record.inputTokens = num(json.inputTextTokenCount) ?? record.inputTokens;
    record.outputTokens = num(json.totalOutputTextTokenCount) ?? record.outputTokens;
  } else if (typeof json.generation === 'string') {
    record.appendText(json.generation);
    setFinish(record, json.stop_reason);
    record.inputTokens = num(json.prompt_token_count) ?? record.inputTokens;
    record.outputTokens = num(json.generation_token_count) ?? record.outputTokens;
  } else if (Array.isArray(json.outputs)) {
    const first = json.outputs[0];
    if (isRecord(first)) {
      record.appendText(first.text);
      setFinish(record, first.stop_reason);
    }
  } else if (typeof json.event_type === 'string') {
    // Cohere Command R: `text-generation` pieces, then `stream-end` with the whole response.
    if (json.event_type === 'text-generation') record.appendText(json.text);
    else if (json.event_type === 'stream-end') {
      setFinish(record, json.finish_reason);
      if (isRecord(json.response)) cohereMeta(record, json.response.meta);
    }
  } else if (typeof json.is_finished === 'boolean') {
    // Cohere Command: text pieces, then the finished chunk with the whole response.
    if (json.is_finished) setFinish(record, json.finish_reason);
    else record.appendText(json.text);
  }
  // Bedrock appends its own count to the last payload: the fallback when the family has none.
  const metrics = json['amazon-bedrock-invocationMetrics'];
  if (isRecord(metrics)) {
    record.inputTokens ??= num(metrics.inputTokenCount);
    record.outputTokens ??= num(metrics.outputTokenCount);
  }
}

function header(headers: unknown, name: string): number | undefined {
  if (!isRecord(headers)) return undefined;
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== name) continue;
    const n = Number(headers[key]);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** What the patch layer hands over of a complete reply: its body bytes and the HTTP headers. */
export interface InvokeReply {
  body?: unknown;
  headers?: unknown;
}

function readReply(record: ResponseRecord, reply: InvokeReply | undefined): void {
  readReplyJson(record, decodeJson(reply?.body));
  record.inputTokens ??= header(reply?.headers, 'x-amzn-bedrock-input-token-count');
  record.outputTokens ??= header(reply?.headers, 'x-amzn-bedrock-output-token-count');
}

/** A streamed event as the SDK yields it: `{ chunk: { bytes } }` (or an exception member). */
function readStreamEvent(record: ResponseRecord, event: any): void {
  const bytes = isRecord(event?.chunk) ? event.chunk.bytes : undefined;
  if (bytes !== undefined) readChunkJson(record, decodeJson(bytes));
}

const bedrockInvoke: CallAdapter = {
  provider: 'aws.bedrock',
  operation: sc.GEN_AI_OPERATION_CHAT,
  input: invokeInput,
  toolDefinitions(request: InvokeRequest | undefined) {
    const body = request?.body;
    if (!isRecord(body)) return [];
    if (invokeFamily(request) === 'anthropic')
      return anthropicMessages.toolDefinitions?.(body) ?? [];
    return [];
  },
  requestAttributes: request => invokeAttributes(request, sc.GEN_AI_OPERATION_CHAT),
  onResult: readReply,
  onChunk: readStreamEvent,
};

const bedrockInvokeStream: CallAdapter = streamed(bedrockInvoke);

const bedrockInvokeEmbeddings: CallAdapter = {
  ...bedrockInvoke,
  operation: sc.GEN_AI_OPERATION_EMBEDDINGS,
  toolDefinitions: undefined,
  requestAttributes: request => invokeAttributes(request, sc.GEN_AI_OPERATION_EMBEDDINGS),
};

/** The adapter of one InvokeModel request: embeddings for embedding models, chat otherwise. */
export function bedrockInvokeAdapter(request: InvokeRequest, stream: boolean): CallAdapter {
  if (isEmbedding(invokeFamily(request))) return bedrockInvokeEmbeddings;
  return stream ? bedrockInvokeStream : bedrockInvoke;
}
