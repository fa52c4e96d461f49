/**
 * Adapter for the OpenAI Responses API (`POST /responses`). The input read for the pre-check is
 * `instructions` (string or items), `input` (string or items: messages with `input_text` /
 * `input_file` / `input_image` parts, tool calls and their outputs, reasoning summaries) and a
 * stored prompt's variables.
 */

import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import {
  type CallInput,
  isRecord,
  list,
  type Message,
  num,
  type Part,
  type ResponseRecord,
  str,
  stringify,
  unknownParts,
} from './messages.js';
import {
  commonAttributes,
  contentParts,
  outputText,
  responseAttributes,
  toolDefinitions,
  withOutputType,
} from './openai-common.js';

function responsesUsage(record: ResponseRecord, response: any): void {
  const usage = response?.usage;
  if (usage && typeof usage === 'object') {
    record.inputTokens = num(usage.input_tokens) ?? record.inputTokens;
    record.outputTokens = num(usage.output_tokens) ?? record.outputTokens;
    record.cacheReadTokens =
      num(usage.input_tokens_details?.cached_tokens) ?? record.cacheReadTokens;
    record.reasoningTokens =
      num(usage.output_tokens_details?.reasoning_tokens) ?? record.reasoningTokens;
  }
}

/** Output items that are tool calls for the app to run (built-in tools run at the provider). */
const CLIENT_TOOL_CALLS = new Set([
  'function_call',
  'custom_tool_call',
  'computer_call',
  'local_shell_call',
  'shell_call',
  'apply_patch_call',
]);

/**
 * The Responses API has no finish reason: a completed response that ends with tool calls for the
 * app reports `tool_call` (the conventions' value), any other completed one `stop`; an incomplete
 * one its reason (`max_output_tokens`, `content_filter`), a failed one `error`.
 */
function responsesFinish(record: ResponseRecord, response: any): void {
  const status = response?.status;
  if (status === 'completed') {
    const output = Array.isArray(response?.output) ? response.output : [];
    const toolCall = output.some((item: any) => CLIENT_TOOL_CALLS.has(item?.type));
    record.finishReasons = [toolCall ? sc.FINISH_REASON_TOOL_CALL : 'stop'];
  } else if (status === 'incomplete')
    record.finishReasons = [String(response?.incomplete_details?.reason ?? 'incomplete')];
  else if (status === 'failed') record.finishReasons = ['error'];
}

function responsesOutput(record: ResponseRecord, response: any): void {
  const output = Array.isArray(response?.output) ? response.output : [];
  let tool = 0;
  for (const item of output) {
    if (item?.type === 'message' && Array.isArray(item.content)) {
      for (const part of item.content)
        if (part?.type === 'output_text') record.appendText(part.text);
    } else if (item?.type === 'function_call') {
      record.toolCall(tool++, item.call_id, item.name, item.arguments);
    } else if (item?.type === 'reasoning' && Array.isArray(item.summary)) {
      for (const part of item.summary) record.appendReasoning(part?.text);
    }
  }
}

/** One Responses input item as a message. */
function responsesItem(item: unknown): Message | undefined {
  if (typeof item === 'string') return { role: 'user', parts: [{ type: 'text', content: item }] };
  if (!isRecord(item)) return undefined;
  switch (item.type) {
    case 'function_call':
    case 'custom_tool_call':
      return {
        role: 'assistant',
        parts: [
          {
            type: 'tool_call',
            id: str(item.call_id),
            name: String(item.name ?? ''),
            arguments: stringify(item.arguments ?? item.input ?? ''),
          } as Part,
        ],
      };
    case 'function_call_output':
    case 'custom_tool_call_output':
    case 'computer_call_output':
    case 'local_shell_call_output':
    case 'shell_call_output':
    case 'apply_patch_call_output':
      return {
        role: 'tool',
        parts: [
          {
            type: 'tool_call_response',
            id: str(item.call_id),
            response: outputText(item.output),
          } as Part,
        ],
      };
    case 'reasoning': {
      const parts: Part[] = [];
      for (const s of [...list(item.summary), ...list(item.content)]) {
        if (isRecord(s) && typeof s.text === 'string')
          parts.push({ type: 'reasoning', content: s.text });
      }
      return { role: 'assistant', parts };
    }
  }
  if ('role' in item) return { role: String(item.role), parts: contentParts(item.content) };
  return { role: 'user', parts: unknownParts(item) };
}

export const openaiResponses: CallAdapter = {
  provider: 'openai',
  operation: 'chat',
  toolDefinitions: body => toolDefinitions(body?.tools),
  input(params) {
    const input: CallInput = { system: [], messages: [] };
    const instructions = params?.instructions;
    if (typeof instructions === 'string') {
      input.system.push({ type: 'text', content: instructions });
    } else {
      for (const item of list(instructions))
        input.system.push(...(responsesItem(item)?.parts ?? []));
    }
    const raw = params?.input;
    if (typeof raw === 'string') {
      input.messages.push({ role: 'user', parts: [{ type: 'text', content: raw }] });
    } else {
      for (const item of list(raw)) {
        const message = responsesItem(item);
        if (message) input.messages.push(message);
      }
    }
    // A stored prompt's variables are filled in by the provider: they are part of the input.
    const variables = params?.prompt?.variables;
    if (isRecord(variables)) {
      const parts = contentParts(Object.values(variables));
      if (parts.length > 0) input.messages.push({ role: 'user', parts });
    }
    return input;
  },
  requestAttributes(params) {
    const attrs = withOutputType(commonAttributes(params, 'chat'), params?.text?.format);
    attrs[sc.ATTR_OPENAI_API_TYPE] = sc.OPENAI_API_TYPE_RESPONSES;
    const conversation = params?.conversation;
    const id = typeof conversation === 'string' ? conversation : str(conversation?.id);
    if (id) attrs[sc.ATTR_GEN_AI_CONVERSATION_ID] = id;
    return attrs;
  },
  onResult(record, data) {
    record.id = str(data?.id);
    record.model = str(data?.model);
    responseAttributes(record, data);
    responsesOutput(record, data);
    responsesFinish(record, data);
    responsesUsage(record, data);
  },
  onChunk(record, event) {
    const type = event?.type;
    if (type === 'response.output_text.delta') {
      record.appendText(event.delta);
    } else if (type === 'response.created' || type === 'response.in_progress') {
      record.id ??= str(event.response?.id);
      record.model ??= str(event.response?.model);
    } else if (
      type === 'response.completed' ||
      type === 'response.incomplete' ||
      type === 'response.failed'
    ) {
      const response = event.response;
      record.id = str(response?.id) ?? record.id;
      record.model = str(response?.model) ?? record.model;
      responseAttributes(record, response);
      if (record.captureTools) {
        record.text = '';
        record.reasoning = '';
        responsesOutput(record, response);
      }
      responsesFinish(record, response);
      responsesUsage(record, response);
    }
  },
};
