/**
 * Adapter for Amazon Bedrock Runtime's Converse API (`ConverseCommand`, `ConverseStreamCommand` of
 * `@aws-sdk/client-bedrock-runtime`), in the SDK's own request and response shapes (camelCase
 * union members: `{ text }`, `{ toolUse }`, …). Amazon Nova's InvokeModel format is the same
 * message format, so `bedrock-invoke.ts` reads Nova bodies and stream chunks with the readers
 * exported here.
 *
 * The request is read as the patch layer hands it over (`src/instrumentation/methods/
 * bedrock-runtime.ts`): the command input with every byte array as a base64 string, since the
 * check reads plain JSON. The input read for the pre-check is every block the model will see: the
 * system blocks, and in every message text, tool calls, tool results (text, JSON, nested images,
 * documents and search results), documents (name, context, and the text of `text`, `content` and
 * text-format `bytes` sources), guard content, reasoning, citations' generated text, search
 * results, and the prompt variables a managed prompt is filled with. Images, videos, audio,
 * binary documents and S3 locations are placeholders (see `messages.ts`).
 *
 * Usage: `inputTokens` does not count cache reads and writes, which Bedrock reports apart
 * (`cacheReadInputTokens`, `cacheWriteInputTokens`); they are added to the input, as the GenAI
 * conventions count it, and also reported as the cache attributes.
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
  partText,
  placeholder,
  type ResponseRecord,
  smallIndex,
  str,
  stringify,
  text,
  unknownParts,
} from './messages.js';
import { requestAttributes as baseRequestAttributes } from './request-attributes.js';

const MAX_NESTING = 8;

/** Media types of the formats Converse names (`DocumentFormat`, `ImageFormat`, `VideoFormat`). */
const FORMAT_MEDIA: Record<string, string> = {
  pdf: 'application/pdf',
  csv: 'text/csv',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  html: 'text/html',
  txt: 'text/plain',
  md: 'text/markdown',
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  mp4: 'video/mp4',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
  webm: 'video/webm',
  flv: 'video/x-flv',
  mpeg: 'video/mpeg',
  mpg: 'video/mpeg',
  wmv: 'video/x-ms-wmv',
  three_gp: 'video/3gpp',
};

function mediaOf(kind: string, format: unknown): string | undefined {
  if (typeof format !== 'string') return undefined;
  return FORMAT_MEDIA[format.toLowerCase()] ?? `${kind}/${format.toLowerCase()}`;
}

/** `{ s3Location: { uri } }`: the placeholder names the URI; the object is not fetched. */
function s3Uri(source: Record<string, any>): string | undefined {
  return isRecord(source.s3Location) ? str(source.s3Location.uri) : undefined;
}

/** An image, video or audio block: never readable, named by its media type and location. */
function mediaPart(kind: string, block: unknown): Part {
  if (!isRecord(block)) return placeholder(kind);
  const source = isRecord(block.source) ? block.source : {};
  return placeholder(kind, mediaOf(kind, block.format), s3Uri(source));
}

function documentParts(document: unknown): Part[] {
  if (!isRecord(document)) return [placeholder('document')];
  const name = str(document.name);
  const mime = mediaOf('application', document.format);
  const source = isRecord(document.source) ? document.source : {};
  const parts: Part[] = [];
  if (typeof source.text === 'string') {
    parts.push(placeholder('document', mime ?? 'text/plain', name), text(source.text));
  } else if (Array.isArray(source.content)) {
    parts.push(placeholder('document', mime, name));
    for (const item of source.content) {
      if (isRecord(item) && typeof item.text === 'string') parts.push(text(item.text));
      else parts.push(...unknownParts(item));
    }
  } else if (typeof source.bytes === 'string') {
    // Bytes reach us as base64: text formats (txt, md, csv, html) are decoded and checked.
    parts.push(...inlineFileParts('document', source.bytes, mime, name));
  } else {
    parts.push(placeholder('document', mime, s3Uri(source) ?? name));
  }
  if (typeof document.context === 'string' && document.context) parts.push(text(document.context));
  return parts;
}

function searchResultParts(result: unknown): Part[] {
  if (!isRecord(result)) return [];
  const parts: Part[] = [];
  for (const key of ['title', 'source']) {
    if (typeof result[key] === 'string' && result[key]) parts.push(text(result[key]));
  }
  for (const item of list(result.content)) {
    if (isRecord(item) && typeof item.text === 'string') parts.push(text(item.text));
  }
  return parts;
}

/** A tool result's content: what the model reads of it, as one string. */
function toolResultText(content: unknown, depth: number): string {
  if (typeof content === 'string') return content;
  const pieces: string[] = [];
  for (const item of list(content)) {
    if (!isRecord(item)) continue;
    if (typeof item.text === 'string') pieces.push(item.text);
    else if (item.json !== undefined) pieces.push(stringify(item.json));
    else pieces.push(...blockParts(item, depth + 1).map(partText));
  }
  return pieces.join(' ');
}

/** The parts of one content block (a union: exactly one member is set). */
function blockParts(block: unknown, depth = 0): Part[] {
  if (typeof block === 'string') return [text(block)];
  if (!isRecord(block) || depth > MAX_NESTING) return [];
  if (typeof block.text === 'string') return [text(block.text)];
  if (isRecord(block.toolUse)) {
    const use = block.toolUse;
    return [
      {
        type: 'tool_call',
        id: str(use.toolUseId),
        name: String(use.name ?? ''),
        arguments: stringify(use.input ?? {}),
      } as Part,
    ];
  }
  if (isRecord(block.toolResult)) {
    return [
      {
        type: 'tool_call_response',
        id: str(block.toolResult.toolUseId),
        response: toolResultText(block.toolResult.content, depth),
      } as Part,
    ];
  }
  if (block.image !== undefined) return [mediaPart('image', block.image)];
  if (block.video !== undefined) return [mediaPart('video', block.video)];
  if (block.audio !== undefined) return [mediaPart('audio', block.audio)];
  if (block.document !== undefined) return documentParts(block.document);
  if (isRecord(block.guardContent)) {
    const guarded = block.guardContent;
    if (isRecord(guarded.text) && typeof guarded.text.text === 'string') {
      return [text(guarded.text.text)];
    }
    if (guarded.image !== undefined) return [mediaPart('image', guarded.image)];
    return unknownParts(guarded, depth);
  }
  if (isRecord(block.reasoningContent)) {
    const reasoning = block.reasoningContent;
    if (isRecord(reasoning.reasoningText)) {
      return [{ type: 'reasoning', content: String(reasoning.reasoningText.text ?? '') }];
    }
    return [placeholder('redacted_reasoning')];
  }
  if (isRecord(block.citationsContent)) {
    return list(block.citationsContent.content).flatMap(item =>
      isRecord(item) && typeof item.text === 'string' ? [text(item.text)] : [],
    );
  }
  if (block.searchResult !== undefined) return searchResultParts(block.searchResult);
  // A cache checkpoint carries no content.
  if (block.cachePoint !== undefined) return [];
  // A member this SDK does not model (`$unknown: [name, value]`) or a newer one: its strings.
  if (Array.isArray(block.$unknown)) return unknownParts(block.$unknown[1], depth);
  return unknownParts(block, depth);
}

function messagesOf(messages: unknown): Message[] {
  const out: Message[] = [];
  for (const m of list(messages)) {
    if (!isRecord(m)) continue;
    out.push({
      role: String(m.role ?? 'user'),
      parts: list(m.content).flatMap(b => blockParts(b)),
    });
  }
  return out;
}

/** Document formats whose bytes are text: kept (as base64) for the check to decode. */
const TEXT_DOCUMENT_FORMATS: ReadonlySet<string> = new Set(['txt', 'md', 'csv', 'html']);
const MAX_VIEW_DEPTH = 64;

/**
 * The command input as this adapter reads it: a copy in which each byte array is a base64
 * string, since the check reads plain JSON. Only a document's bytes are kept, and only when its
 * format is text (or not named): image, video and audio bytes are left out, the check never
 * reads them, and copying them would cost as much as the media. Class instances other than byte
 * arrays are kept as they are (the check serialises them as JSON).
 */
export function converseRequestView(input: unknown): unknown {
  return viewOf(input, 0, false);
}

function viewOf(value: unknown, depth: number, textDocument: boolean): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    if (!textDocument) return undefined;
    const bytes = ArrayBuffer.isView(value)
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      : Buffer.from(value);
    return bytes.toString('base64');
  }
  if (depth > MAX_VIEW_DEPTH) return undefined;
  if (Array.isArray(value)) return value.map(item => viewOf(item, depth + 1, textDocument));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    let inText = textDocument;
    if (key === 'document' && isRecord(child)) {
      const format = typeof child.format === 'string' ? child.format.toLowerCase() : undefined;
      inText = format === undefined || TEXT_DOCUMENT_FORMATS.has(format);
    }
    copy[key] = viewOf(child, depth + 1, inText);
  }
  return copy;
}

/** The input of a Converse-format body (Converse, or Nova's InvokeModel body). */
export function converseInput(body: any): CallInput {
  const input: CallInput = {
    system: list(body?.system).flatMap(b => blockParts(b)),
    messages: messagesOf(body?.messages),
  };
  // A managed prompt's variables are filled in by Bedrock: they are part of the input.
  if (isRecord(body?.promptVariables)) {
    const parts = Object.values(body.promptVariables).flatMap(value =>
      isRecord(value) && typeof value.text === 'string' ? [text(value.text)] : unknownParts(value),
    );
    if (parts.length > 0) input.messages.push({ role: 'user', parts });
  }
  return input;
}

function toolDefinitions(body: any): unknown[] {
  const tools = isRecord(body?.toolConfig) ? list(body.toolConfig.tools) : [];
  return tools.flatMap(tool => {
    if (!isRecord(tool) || !isRecord(tool.toolSpec)) return [];
    const spec = tool.toolSpec;
    const definition: Record<string, unknown> = { type: 'function' };
    if (typeof spec.name === 'string') definition.name = spec.name;
    if (typeof spec.description === 'string') definition.description = spec.description;
    if (isRecord(spec.inputSchema)) definition.parameters = spec.inputSchema.json;
    return [definition];
  });
}

function requestAttributes(body: any, stream: boolean): Attributes {
  const config = isRecord(body?.inferenceConfig) ? body.inferenceConfig : {};
  // Top-k is not a Converse field: models that take it get it in their own request fields.
  const extra = isRecord(body?.additionalModelRequestFields)
    ? body.additionalModelRequestFields
    : {};
  const attrs = baseRequestAttributes(sc.GEN_AI_OPERATION_CHAT, 'aws.bedrock', {
    model: body?.modelId,
    maxTokens: config.maxTokens,
    temperature: config.temperature,
    topP: config.topP,
    topK: extra.top_k ?? extra.topK,
    stop: config.stopSequences,
    stream,
  });
  const format = isRecord(body?.outputConfig) ? body.outputConfig.textFormat : undefined;
  if (isRecord(format) && typeof format.type === 'string' && /json/i.test(format.type)) {
    attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_JSON;
  }
  return attrs;
}

/**
 * Converse usage (`TokenUsage`; Nova's InvokeModel reply names the cache fields
 * `cacheReadInputTokenCount` / `cacheWriteInputTokenCount`). Each report replaces the last.
 */
export function converseUsage(record: ResponseRecord, usage: unknown): void {
  if (!isRecord(usage)) return;
  const read = num(usage.cacheReadInputTokens) ?? num(usage.cacheReadInputTokenCount);
  const written = num(usage.cacheWriteInputTokens) ?? num(usage.cacheWriteInputTokenCount);
  if (read !== undefined) record.cacheReadTokens = read;
  if (written !== undefined) record.cacheCreationTokens = written;
  const input = num(usage.inputTokens);
  if (input !== undefined) {
    record.inputTokens = input + (record.cacheReadTokens ?? 0) + (record.cacheCreationTokens ?? 0);
  }
  const output = num(usage.outputTokens);
  if (output !== undefined) record.outputTokens = output;
}

/** A complete Converse-format reply: `{ output: { message }, stopReason, usage }`. */
export function readConverseReply(record: ResponseRecord, data: any): void {
  if (typeof data?.stopReason === 'string') record.finishReasons = [data.stopReason];
  const message = isRecord(data?.output) ? data.output.message : undefined;
  let tool = 0;
  for (const block of isRecord(message) ? list(message.content) : []) {
    if (!isRecord(block)) continue;
    if (typeof block.text === 'string') record.appendText(block.text);
    else if (isRecord(block.reasoningContent) && isRecord(block.reasoningContent.reasoningText)) {
      record.appendReasoning(block.reasoningContent.reasoningText.text);
    } else if (isRecord(block.toolUse)) {
      const use = block.toolUse;
      record.toolCall(tool++, use.toolUseId, use.name, use.input);
    }
  }
  converseUsage(record, data?.usage);
}

/**
 * One ConverseStream event (`{ messageStart }`, `{ contentBlockStart }`, `{ contentBlockDelta }`,
 * `{ messageStop }`, `{ metadata }`, …), which is also the shape of Nova's InvokeModel stream
 * chunks. Exception members end the stream with the SDK's error: nothing to read here.
 */
export function readConverseEvent(record: ResponseRecord, event: any): void {
  if (!isRecord(event)) return;
  const delta = isRecord(event.contentBlockDelta) ? event.contentBlockDelta : undefined;
  if (delta !== undefined) {
    const d = delta.delta;
    if (!isRecord(d)) return;
    if (typeof d.text === 'string') record.appendText(d.text);
    else if (isRecord(d.reasoningContent)) record.appendReasoning(d.reasoningContent.text);
    else if (isRecord(d.toolUse) && record.captureTools) {
      const index = smallIndex(delta.contentBlockIndex) ?? 0;
      record.toolCall(index, undefined, undefined, str(d.toolUse.input) ?? '');
    }
    return;
  }
  if (isRecord(event.contentBlockStart)) {
    const start = event.contentBlockStart;
    const use = isRecord(start.start) ? start.start.toolUse : undefined;
    if (isRecord(use) && record.captureTools) {
      record.toolCall(smallIndex(start.contentBlockIndex) ?? 0, use.toolUseId, use.name, '');
    }
    return;
  }
  if (isRecord(event.messageStop)) {
    if (typeof event.messageStop.stopReason === 'string') {
      record.finishReasons = [event.messageStop.stopReason];
    }
    return;
  }
  if (isRecord(event.metadata)) converseUsage(record, event.metadata.usage);
}

export const bedrockConverse: CallAdapter = {
  provider: 'aws.bedrock',
  operation: sc.GEN_AI_OPERATION_CHAT,
  input: converseInput,
  toolDefinitions,
  requestAttributes: body => requestAttributes(body, false),
  onResult: readConverseReply,
  onChunk: readConverseEvent,
};

/** ConverseStream: the same reading, with `gen_ai.request.stream`. */
export const bedrockConverseStream: CallAdapter = {
  ...bedrockConverse,
  requestAttributes: body => requestAttributes(body, true),
};
