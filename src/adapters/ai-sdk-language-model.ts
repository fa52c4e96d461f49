import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import {
  type CallInput,
  inlineFileParts,
  isRecord,
  list,
  mediaFromName,
  num,
  type Part,
  partText,
  placeholder,
  type ResponseRecord,
  str,
  stringify,
  text,
  unknownParts,
} from './messages.js';
import { requestAttributes as baseRequestAttributes } from './request-attributes.js';

/** `gen_ai.provider.name` for the first segment of an AI SDK provider id (`openai.responses`). */
const PROVIDER_NAMES: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'gcp.gemini',
  vertex: 'gcp.vertex_ai',
  azure: 'azure.ai.openai',
  'azure-openai': 'azure.ai.openai',
  'amazon-bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  mistral: 'mistral_ai',
  xai: 'x_ai',
  cohere: 'cohere',
  deepseek: 'deepseek',
  groq: 'groq',
  perplexity: 'perplexity',
};

/**
 * The GenAI provider name of an AI SDK provider id: `openai.chat` → `openai`, `google.generative-ai`
 * → `gcp.gemini`, `google.vertex.chat` → `gcp.vertex_ai`; a provider the conventions do not name
 * is its own first segment (`ollama.chat` → `ollama`).
 */
export function aiSdkProviderName(provider: unknown): string {
  if (typeof provider !== 'string' || provider.length === 0) return 'unknown';
  const lower = provider.toLowerCase();
  if (lower.startsWith('google.vertex')) return 'gcp.vertex_ai';
  const first = lower.split('.')[0] ?? lower;
  return PROVIDER_NAMES[first] ?? first;
}

// ---------------------------------------------------------------------------------------------
// The call view: the call options as plain JSON data.

/** A file's content, whichever specification carried it, as JSON: V4's tagged form. */
type FileDataView =
  | { type: 'data'; data: string }
  | { type: 'url'; url: string }
  | { type: 'text'; text: string }
  | { type: 'reference'; name?: string }
  | { type: 'unknown' };

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * File data as V2/V3 give it (`Uint8Array`, a base64 or data-URL string, a `URL`) or as V4 does
 * (`{ type: 'data' | 'url' | 'text' | 'reference', … }`), and as this function returns it (so it
 * can read a view again).
 */
function fileDataView(data: unknown): FileDataView {
  if (typeof data === 'string') return { type: 'data', data };
  if (data instanceof Uint8Array) return { type: 'data', data: base64(data) };
  if (data instanceof ArrayBuffer) return { type: 'data', data: base64(new Uint8Array(data)) };
  if (data instanceof URL) return { type: 'url', url: data.href };
  if (!isRecord(data)) return { type: 'unknown' };
  switch (data.type) {
    case 'data': {
      const inner = fileDataView(data.data);
      return inner.type === 'data' ? inner : { type: 'unknown' };
    }
    case 'url':
      return { type: 'url', url: data.url instanceof URL ? data.url.href : String(data.url ?? '') };
    case 'text':
      return { type: 'text', text: String(data.text ?? '') };
    case 'reference': {
      // A provider file id (`{ openai: 'file-…' }`, or a view's `name`): named, never fetched.
      const ids = isRecord(data.reference) ? Object.values(data.reference) : [data.name];
      const name = ids.find((id): id is string => typeof id === 'string');
      return name === undefined ? { type: 'reference' } : { type: 'reference', name };
    }
    default:
      return { type: 'unknown' };
  }
}

/** A value as JSON data: byte arrays as base64, `URL`s as strings, functions and signals dropped. */
function jsonData(value: unknown, depth = 0): unknown {
  if (depth > 32) return undefined;
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint'
      ? undefined
      : value;
  }
  if (value instanceof Uint8Array) return base64(value);
  if (value instanceof ArrayBuffer) return base64(new Uint8Array(value));
  if (value instanceof URL) return value.href;
  if (value instanceof Date) return value.toISOString();
  if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) return undefined;
  if (Array.isArray(value)) return value.map(item => jsonData(item, depth + 1) ?? null);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = jsonData((value as Record<string, unknown>)[key], depth + 1);
    if (item !== undefined) out[key] = item;
  }
  return out;
}

/** Keys of a prompt part that carry no model-visible text: ids and provider settings. */
function withoutOpaqueKeys(part: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(part)) {
    if (key === 'providerOptions' || key === 'providerMetadata' || /Id$/.test(key)) continue;
    out[key] = part[key];
  }
  return out;
}

function partView(part: unknown): unknown {
  if (!isRecord(part)) return jsonData(part);
  if (part.type === 'file' || part.type === 'reasoning-file') {
    return {
      type: part.type,
      mediaType: str(part.mediaType),
      filename: str(part.filename),
      data: fileDataView(part.data),
    };
  }
  if (part.type === 'tool-result') {
    return {
      type: 'tool-result',
      toolCallId: str(part.toolCallId),
      toolName: str(part.toolName),
      output: outputView(part.output ?? part.result),
    };
  }
  // Provider settings are not model input, and can be large.
  const { providerOptions: _options, providerMetadata: _metadata, ...rest } = part;
  return jsonData(rest);
}

function outputView(output: unknown): unknown {
  if (!isRecord(output) || output.type !== 'content') return jsonData(output);
  return {
    type: 'content',
    value: list(output.value).map(item =>
      isRecord(item) && item.type === 'file'
        ? {
            type: 'file',
            mediaType: str(item.mediaType),
            filename: str(item.filename),
            data: fileDataView(item.data),
          }
        : jsonData(item),
    ),
  };
}

export interface AiSdkCallView {
  prompt: unknown[];
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  stopSequences?: string[];
  seed?: number;
  responseFormat?: { type: string };
  /** The tools offered, for `gen_ai.tool.definitions` (content capture only; never checked). */
  tools?: unknown[];
  stream?: true;
}

/**
 * The call options of a `doGenerate` / `doStream` call as plain JSON data: the prompt, with file
 * contents as strings, the request parameters and the tools' definitions (which are not part of
 * the checked text). Provider options are left out. Never throws.
 */
export function aiSdkCallView(params: unknown, stream: boolean): AiSdkCallView {
  const p = isRecord(params) ? params : {};
  const view: AiSdkCallView = {
    prompt: list(p.prompt).map(message =>
      isRecord(message)
        ? {
            role: str(message.role) ?? 'user',
            content: Array.isArray(message.content)
              ? message.content.map(partView)
              : jsonData(message.content),
          }
        : jsonData(message),
    ),
  };
  const numbers = [
    'maxOutputTokens',
    'temperature',
    'topP',
    'topK',
    'presencePenalty',
    'frequencyPenalty',
    'seed',
  ] as const;
  for (const key of numbers) {
    const value = num(p[key]);
    if (value !== undefined) view[key] = value;
  }
  if (Array.isArray(p.stopSequences)) {
    view.stopSequences = p.stopSequences.filter((s): s is string => typeof s === 'string');
  }
  if (isRecord(p.responseFormat) && typeof p.responseFormat.type === 'string') {
    view.responseFormat = { type: p.responseFormat.type };
  }
  if (Array.isArray(p.tools) && p.tools.length > 0) {
    view.tools = p.tools.filter(isRecord).map(tool => ({
      type: str(tool.type),
      name: str(tool.name),
      description: str(tool.description),
      inputSchema: jsonData(tool.inputSchema ?? tool.parameters),
    }));
  }
  if (stream) view.stream = true;
  return view;
}

// ---------------------------------------------------------------------------------------------
// Reading the prompt.

function mediaKind(mediaType: string | undefined): 'image' | 'audio' | undefined {
  const type = mediaType?.toLowerCase() ?? '';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/')) return 'audio';
  return undefined;
}

/** A file as the model reads it: its text when it is text, a placeholder otherwise. */
function fileParts(mediaType: unknown, filename: unknown, data: unknown): Part[] {
  const type = str(mediaType);
  const name = str(filename);
  const content = fileDataView(data);
  const kind = mediaKind(type);
  switch (content.type) {
    case 'text':
      return [placeholder('file', type ?? 'text/plain', name), text(content.text)];
    case 'data':
      if (kind !== undefined) return [placeholder(kind)];
      return inlineFileParts('file', content.data, type, name);
    case 'url':
      if (kind !== undefined) return [placeholder(kind)];
      return [placeholder('file', type ?? mediaFromName(content.url), name ?? content.url)];
    case 'reference':
      if (kind !== undefined) return [placeholder(kind)];
      return [placeholder('file', type, name ?? content.name)];
    default:
      return [placeholder(kind ?? 'file', kind ? undefined : type, name)];
  }
}

/** The text of a tool's output (V2+ `output`, or a V1 `result`), as the model reads it. */
function outputText(output: unknown): string {
  if (!isRecord(output)) return stringify(output);
  switch (output.type) {
    case 'text':
    case 'error-text':
      return String(output.value ?? '');
    case 'json':
    case 'error-json':
      return stringify(output.value);
    case 'execution-denied':
      return typeof output.reason === 'string' && output.reason
        ? `[execution-denied] ${output.reason}`
        : '[execution-denied]';
    case 'content':
      return list(output.value).flatMap(contentItemParts).map(partText).join(' ');
    default:
      return unknownParts(withoutOpaqueKeys(output)).map(partText).join(' ');
  }
}

/** One part of a tool's `content` output: text, files and images of every specification. */
function contentItemParts(item: unknown): Part[] {
  if (!isRecord(item)) return typeof item === 'string' ? [text(item)] : [];
  switch (item.type) {
    case 'text':
      return [text(item.text ?? '')];
    case 'media':
    case 'file-data':
    case 'image-data':
    case 'file':
      return fileParts(
        item.mediaType ?? (item.type === 'image-data' ? 'image/*' : undefined),
        item.filename,
        item.data,
      );
    case 'file-url':
      return [
        placeholder('file', str(item.mediaType) ?? mediaFromName(str(item.url)), str(item.url)),
      ];
    case 'image-url':
    case 'image-file-id':
      return [placeholder('image')];
    case 'file-id':
      return [placeholder('file')];
    case 'custom':
      return [placeholder('custom')];
    default:
      return unknownParts(withoutOpaqueKeys(item));
  }
}

function contentParts(content: unknown): Part[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  const parts: Part[] = [];
  for (const part of list(content)) {
    if (typeof part === 'string') {
      parts.push(text(part));
      continue;
    }
    if (!isRecord(part)) continue;
    switch (part.type) {
      case 'text':
        parts.push(text(part.text ?? ''));
        break;
      case 'reasoning':
        parts.push({ type: 'reasoning', content: String(part.text ?? '') });
        break;
      case 'redacted-reasoning':
        parts.push(placeholder('redacted_reasoning'));
        break;
      case 'file':
      case 'reasoning-file':
        parts.push(...fileParts(part.mediaType, part.filename, part.data));
        break;
      case 'image':
        // A V1-style image part.
        parts.push(placeholder('image'));
        break;
      case 'tool-call':
        parts.push({
          type: 'tool_call',
          id: str(part.toolCallId),
          name: String(part.toolName ?? ''),
          arguments: stringify(part.input ?? part.args ?? ''),
        } as Part);
        break;
      case 'tool-result':
        parts.push({
          type: 'tool_call_response',
          id: str(part.toolCallId),
          response: outputText(part.output ?? part.result),
        } as Part);
        break;
      case 'tool-approval-response':
        // The decision is the SDK's; only a reason the app gave is text.
        if (typeof part.reason === 'string' && part.reason) parts.push(text(part.reason));
        break;
      case 'custom':
        parts.push(placeholder('custom'));
        break;
      default:
        parts.push(...unknownParts(withoutOpaqueKeys(part)));
    }
  }
  return parts;
}

function readPrompt(view: unknown): CallInput {
  const input: CallInput = { system: [], messages: [] };
  const prompt = isRecord(view) ? list(view.prompt) : [];
  let leading = true;
  for (const message of prompt) {
    if (!isRecord(message)) continue;
    const role = str(message.role) ?? 'user';
    const parts = contentParts(message.content);
    if (role === 'system' && leading) {
      input.system.push(...parts);
      continue;
    }
    leading = false;
    input.messages.push({ role, parts });
  }
  return input;
}

// ---------------------------------------------------------------------------------------------
// Reading the result.

/** A finish reason in the conventions' vocabulary: V2's string, or V3+'s `unified`. */
function finishReason(value: unknown): string | undefined {
  const reason =
    typeof value === 'string' ? value : isRecord(value) ? str(value.unified) : undefined;
  if (reason === undefined) return undefined;
  if (reason === 'tool-calls') return sc.FINISH_REASON_TOOL_CALL;
  return reason.replace(/-/g, '_');
}

/** Usage with numbers (V2: `inputTokens`, `cachedInputTokens`, …) or objects (V3+: `{ total, … }`). */
function readUsage(record: ResponseRecord, usage: unknown): void {
  if (!isRecord(usage)) return;
  const input = usage.inputTokens;
  const output = usage.outputTokens;
  // V3+ `inputTokens.total` already counts cache reads and writes, as the conventions want.
  record.inputTokens =
    num(input) ?? num(isRecord(input) ? input.total : undefined) ?? record.inputTokens;
  record.outputTokens =
    num(output) ?? num(isRecord(output) ? output.total : undefined) ?? record.outputTokens;
  record.cacheReadTokens =
    num(usage.cachedInputTokens) ??
    num(isRecord(input) ? input.cacheRead : undefined) ??
    record.cacheReadTokens;
  record.cacheCreationTokens =
    num(isRecord(input) ? input.cacheWrite : undefined) ?? record.cacheCreationTokens;
  record.reasoningTokens =
    num(usage.reasoningTokens) ??
    num(isRecord(output) ? output.reasoning : undefined) ??
    record.reasoningTokens;
}

function readResponseMetadata(record: ResponseRecord, metadata: unknown): void {
  if (!isRecord(metadata)) return;
  const id = str(metadata.id);
  if (id) record.id = id;
  const model = str(metadata.modelId);
  if (model) record.model = model;
}

function toolCall(record: ResponseRecord, part: Record<string, unknown>): void {
  if (!record.captureTools) return;
  record.toolCall(
    record.toolCalls?.length ?? 0,
    part.toolCallId,
    part.toolName,
    part.input ?? part.args,
  );
}

/**
 * The adapter of one model: `gen_ai.provider.name` from its provider id, `gen_ai.request.model`
 * from its model id.
 */
export function aiSdkLanguageModelAdapter(model: unknown): CallAdapter {
  const m = isRecord(model) ? model : {};
  const provider = aiSdkProviderName(m.provider);
  const modelId = str(m.modelId);
  return {
    provider,
    operation: 'chat',
    input: readPrompt,
    toolDefinitions(view) {
      return list(isRecord(view) ? view.tools : undefined)
        .filter(isRecord)
        .map(tool => {
          // A function tool has an input schema; a provider tool (`openai.web_search`) its name.
          const definition: Record<string, unknown> = {
            type: tool.type === 'function' || tool.type === undefined ? 'function' : tool.type,
          };
          if (typeof tool.name === 'string') definition.name = tool.name;
          if (typeof tool.description === 'string') definition.description = tool.description;
          if (tool.inputSchema !== undefined) definition.parameters = tool.inputSchema;
          return definition;
        });
    },
    requestAttributes(view) {
      if (!isRecord(view)) {
        return baseRequestAttributes(sc.GEN_AI_OPERATION_CHAT, provider, { model: modelId });
      }
      const attrs = baseRequestAttributes(sc.GEN_AI_OPERATION_CHAT, provider, {
        model: modelId,
        maxTokens: view.maxOutputTokens,
        temperature: view.temperature,
        topP: view.topP,
        topK: view.topK,
        seed: view.seed,
        frequencyPenalty: view.frequencyPenalty,
        presencePenalty: view.presencePenalty,
        stop: view.stopSequences,
        stream: view.stream,
      });
      const format = isRecord(view.responseFormat) ? view.responseFormat.type : undefined;
      if (format === 'json') attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_JSON;
      else if (format === 'text') attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_TEXT;
      return attrs;
    },
    onResult(record, data) {
      readResponseMetadata(record, data?.response);
      const reason = finishReason(data?.finishReason);
      if (reason !== undefined) record.finishReasons = [reason];
      if (Array.isArray(data?.content)) {
        for (const part of data.content) {
          if (!isRecord(part)) continue;
          if (part.type === 'text') record.appendText(part.text);
          else if (part.type === 'reasoning') record.appendReasoning(part.text);
          else if (part.type === 'tool-call') toolCall(record, part);
        }
      } else {
        record.appendText(data?.text);
      }
      readUsage(record, data?.usage);
    },
    onChunk(record, part) {
      switch (part?.type) {
        case 'text-delta':
          record.appendText(part.delta ?? part.textDelta);
          break;
        case 'reasoning-delta':
          record.appendReasoning(part.delta);
          break;
        case 'tool-call':
          toolCall(record, part);
          break;
        case 'response-metadata':
          readResponseMetadata(record, part);
          break;
        case 'finish': {
          const reason = finishReason(part.finishReason);
          if (reason !== undefined) record.finishReasons = [reason];
          readUsage(record, part.usage);
          break;
        }
      }
    },
  };
}
