/**
 * Adapter for `@anthropic-ai/sdk` Messages (`messages.create`, which `messages.stream()` uses).
 * Usage follows the GenAI conventions for Anthropic: cache read and cache creation tokens are added
 * to the input tokens; `message_delta` usage is cumulative, so it replaces, never adds. Reasoning
 * tokens are `usage.output_tokens_details.thinking_tokens` (part of `output_tokens`), which the
 * API reports for extended thinking (the SDK types have it, `OutputTokensDetails`; the sandbox
 * model does not think, so never sends it): without it there is no reasoning count.
 *
 * The input read for the pre-check is every block the model will see, in the system prompt
 * (string or blocks) and in every message: text, thinking, tool calls, tool results (string or
 * blocks, nested documents and search results included), documents (title, context, and the text
 * of `text` and `content` sources), search results (title, source, text), images as `[image]`.
 * Placeholders: see `messages.ts`.
 */

import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import {
  type CallInput,
  inlineFileParts,
  isRecord,
  isTextMedia,
  list,
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

const MAX_NESTING = 8;

/**
 * The parts of a content value (a string or an array of blocks), as the model will read them. A
 * block of a type not named here still has its strings checked (`unknownParts`).
 */
function blocks(content: unknown, depth = 0): Part[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (!Array.isArray(content) || depth > MAX_NESTING) return [];
  const parts: Part[] = [];
  for (const block of content) {
    if (typeof block === 'string') {
      parts.push({ type: 'text', content: block });
      continue;
    }
    if (!isRecord(block)) continue;
    switch (block.type) {
      case 'text':
        parts.push(text(block.text ?? ''));
        break;
      case 'thinking':
        parts.push({ type: 'reasoning', content: String(block.thinking ?? '') });
        break;
      case 'redacted_thinking':
        parts.push(placeholder('redacted_thinking'));
        break;
      case 'tool_use':
      case 'server_tool_use':
      case 'mcp_tool_use':
        parts.push({
          type: 'tool_call',
          id: str(block.id),
          name: String(block.name ?? ''),
          arguments: stringify(block.input),
        } as Part);
        break;
      case 'tool_result':
      case 'mcp_tool_result': {
        const response = blocks(block.content, depth + 1)
          .map(partText)
          .join(' ');
        parts.push({ type: 'tool_call_response', id: str(block.tool_use_id), response } as Part);
        break;
      }
      case 'image':
        parts.push(placeholder('image'));
        break;
      case 'document':
        parts.push(...documentParts(block, depth));
        break;
      case 'search_result':
        if (typeof block.title === 'string') parts.push(text(block.title));
        if (typeof block.source === 'string') parts.push(text(block.source));
        parts.push(...blocks(block.content, depth + 1));
        break;
      default:
        parts.push(...unknownParts(block));
    }
  }
  return parts;
}

/**
 * A document block: its title and context, then its content: the text of a `text` source, the
 * blocks of a `content` source, decoded base64 of a text media type; a placeholder otherwise
 * (`[document:application/pdf]`, `[document <url>]`, `[document]` for a file id).
 */
function documentParts(block: Record<string, any>, depth: number): Part[] {
  const parts: Part[] = [];
  if (typeof block.title === 'string') parts.push(text(block.title));
  if (typeof block.context === 'string') parts.push(text(block.context));
  const source = block.source;
  const mediaType = str(source?.media_type);
  switch (source?.type) {
    case 'text':
      parts.push(placeholder('document', mediaType ?? 'text/plain'), text(source.data ?? ''));
      break;
    case 'content':
      parts.push(placeholder('document'), ...blocks(source.content, depth + 1));
      break;
    case 'base64':
      if (isTextMedia(mediaType) && typeof source.data === 'string') {
        parts.push(...inlineFileParts('document', source.data, mediaType));
      } else {
        parts.push(placeholder('document', mediaType));
      }
      break;
    case 'url':
      parts.push(placeholder('document', mediaType, str(source.url)));
      break;
    default:
      parts.push(placeholder('document', mediaType));
  }
  return parts;
}

function usage(record: ResponseRecord, u: any): void {
  if (!u || typeof u !== 'object') return;
  const input = num(u.input_tokens);
  const read = num(u.cache_read_input_tokens);
  const created = num(u.cache_creation_input_tokens);
  if (read !== undefined) record.cacheReadTokens = read;
  if (created !== undefined) record.cacheCreationTokens = created;
  if (input !== undefined) {
    record.inputTokens = input + (record.cacheReadTokens ?? 0) + (record.cacheCreationTokens ?? 0);
  }
  const output = num(u.output_tokens);
  if (output !== undefined) record.outputTokens = output;
  const thinking = num(u.output_tokens_details?.thinking_tokens);
  if (thinking !== undefined) record.reasoningTokens = thinking;
}

export const anthropicMessages: CallAdapter = {
  provider: 'anthropic',
  operation: 'chat',
  toolDefinitions(body) {
    return list(body?.tools)
      .filter(isRecord)
      .map(tool => {
        // A custom tool has an input schema; a server tool (`web_search_…`) only its type.
        const definition: Record<string, unknown> = {
          type: tool.input_schema === undefined ? String(tool.type ?? 'function') : 'function',
        };
        if (typeof tool.name === 'string') definition.name = tool.name;
        if (typeof tool.description === 'string') definition.description = tool.description;
        if (tool.input_schema !== undefined) definition.parameters = tool.input_schema;
        return definition;
      });
  },
  input(params) {
    const input: CallInput = { system: blocks(params?.system), messages: [] };
    for (const m of list(params?.messages)) {
      if (!isRecord(m)) continue;
      input.messages.push({ role: String(m.role ?? 'user'), parts: blocks(m.content) });
    }
    return input;
  },
  requestAttributes(params) {
    const attrs: Record<string, string | number | boolean | string[]> = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: 'chat',
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
    };
    const model = str(params?.model);
    if (model) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = model;
    const set = (key: string, value: unknown) => {
      const n = num(value);
      if (n !== undefined) attrs[key] = n;
    };
    set(sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS, params?.max_tokens);
    set(sc.ATTR_GEN_AI_REQUEST_TEMPERATURE, params?.temperature);
    set(sc.ATTR_GEN_AI_REQUEST_TOP_P, params?.top_p);
    set(sc.ATTR_GEN_AI_REQUEST_TOP_K, params?.top_k);
    if (Array.isArray(params?.stop_sequences)) {
      attrs[sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = params.stop_sequences.filter(
        (s: unknown) => typeof s === 'string',
      );
    }
    if (params?.stream === true) attrs[sc.ATTR_GEN_AI_REQUEST_STREAM] = true;
    // Structured outputs: the only format the API takes is a JSON schema.
    if (params?.output_config?.format?.type === 'json_schema') {
      attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_JSON;
    }
    return attrs;
  },
  onResult(record, data) {
    record.id = str(data?.id);
    record.model = str(data?.model);
    if (typeof data?.stop_reason === 'string') record.finishReasons = [data.stop_reason];
    const content = Array.isArray(data?.content) ? data.content : [];
    let tool = 0;
    for (const block of content) {
      if (block?.type === 'text') record.appendText(block.text);
      else if (block?.type === 'thinking') record.appendReasoning(block.thinking);
      else if (block?.type === 'tool_use')
        record.toolCall(tool++, block.id, block.name, block.input);
    }
    usage(record, data?.usage);
  },
  onChunk(record, event) {
    switch (event?.type) {
      case 'content_block_delta': {
        const delta = event.delta;
        if (delta?.type === 'text_delta') record.appendText(delta.text);
        else if (delta?.type === 'thinking_delta') record.appendReasoning(delta.thinking);
        else if (delta?.type === 'input_json_delta' && record.captureTools) {
          record.toolCall(num(event.index) ?? 0, undefined, undefined, delta.partial_json);
        }
        break;
      }
      case 'content_block_start': {
        const block = event.content_block;
        if (block?.type === 'tool_use' && record.captureTools) {
          record.toolCall(num(event.index) ?? 0, block.id, block.name, '');
        }
        break;
      }
      case 'message_start':
        record.id = str(event.message?.id);
        record.model = str(event.message?.model);
        usage(record, event.message?.usage);
        break;
      case 'message_delta':
        if (typeof event.delta?.stop_reason === 'string')
          record.finishReasons = [event.delta.stop_reason];
        usage(record, event.usage);
        break;
    }
  },
};
