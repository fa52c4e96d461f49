/**
 * Adapter for OpenAI Chat Completions (`POST /chat/completions`). The input read for the pre-check
 * is every message of every role (system, developer, user, assistant with its refusal and tool
 * calls, tool) and Predicted Outputs content; parts as `openai-common.ts` reads them.
 */
import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import {
  type CallInput,
  isRecord,
  list,
  num,
  type Part,
  partText,
  placeholder,
  type ResponseRecord,
  smallIndex,
  str,
  stringify,
  text,
} from './messages.js';
import {
  commonAttributes,
  contentParts,
  readChoices,
  responseAttributes,
  toolDefinitions,
  withOutputType,
} from './openai-common.js';

function chatUsage(record: ResponseRecord, usage: any): void {
  if (!usage || typeof usage !== 'object') return;
  record.inputTokens = num(usage.prompt_tokens) ?? record.inputTokens;
  record.outputTokens = num(usage.completion_tokens) ?? record.outputTokens;
  record.cacheReadTokens =
    num(usage.prompt_tokens_details?.cached_tokens) ?? record.cacheReadTokens;
  record.reasoningTokens =
    num(usage.completion_tokens_details?.reasoning_tokens) ?? record.reasoningTokens;
}

export const openaiChat: CallAdapter = {
  provider: 'openai',
  operation: 'chat',
  toolDefinitions: body => toolDefinitions(body?.tools),
  input(params) {
    const input: CallInput = { system: [], messages: [] };
    for (const m of list(params?.messages)) {
      if (!isRecord(m)) continue;
      const role = String(m.role ?? 'user');
      const parts = contentParts(m.content);
      if (typeof m.refusal === 'string' && m.refusal) parts.push(text(m.refusal));
      if (isRecord(m.audio)) parts.push(placeholder('audio'));
      const calls = [...list(m.tool_calls), ...(isRecord(m.function_call) ? [m] : [])];
      for (const entry of calls) {
        if (!isRecord(entry)) continue;
        const fn = isRecord(entry.function) ? entry.function : entry.function_call;
        parts.push({
          type: 'tool_call',
          id: str(entry.id),
          name: String(fn?.name ?? entry.custom?.name ?? ''),
          arguments: stringify(fn?.arguments ?? entry.custom?.input ?? ''),
        } as Part);
      }
      if (role === 'tool' || role === 'function') {
        const response = parts.map(partText).join(' ');
        input.messages.push({
          role,
          parts: [{ type: 'tool_call_response', id: str(m.tool_call_id), response } as Part],
        });
      } else {
        input.messages.push({ role, parts });
      }
    }
    // Predicted Outputs: text the provider receives with the request.
    const prediction = params?.prediction;
    if (isRecord(prediction) && prediction.content !== undefined) {
      input.messages.push({ role: 'prediction', parts: contentParts(prediction.content) });
    }
    return input;
  },
  requestAttributes(params) {
    const attrs = withOutputType(commonAttributes(params, 'chat'), params?.response_format);
    attrs[sc.ATTR_OPENAI_API_TYPE] = sc.OPENAI_API_TYPE_CHAT_COMPLETIONS;
    return attrs;
  },
  onResult(record, data) {
    const choices = readChoices(record, data, choice => choice?.message?.content);
    const message = choices[0]?.message;
    // OpenAI-compatible providers that reason return the text in `reasoning_content`.
    record.appendReasoning(message?.reasoning_content);
    if (Array.isArray(message?.tool_calls)) {
      message.tool_calls.forEach((call: any, i: number) => {
        record.toolCall(i, call?.id, call?.function?.name, call?.function?.arguments);
      });
    }
    chatUsage(record, data?.usage);
  },
  onChunk(record, chunk) {
    if (record.id === undefined) {
      record.id = str(chunk?.id);
      record.model = str(chunk?.model);
      responseAttributes(record, chunk);
    }
    const choices = chunk?.choices;
    if (Array.isArray(choices)) {
      for (const choice of choices) {
        const index = smallIndex(choice?.index ?? 0);
        if (index === undefined) continue;
        const delta = choice?.delta;
        if (delta) {
          if (delta.content) record.appendChoiceText(index, delta.content);
          if (index === 0) {
            if (delta.reasoning_content) record.appendReasoning(delta.reasoning_content);
            if (record.captureTools && Array.isArray(delta.tool_calls)) {
              for (const call of delta.tool_calls) {
                record.toolCall(
                  num(call?.index) ?? 0,
                  call?.id,
                  call?.function?.name,
                  call?.function?.arguments,
                );
              }
            }
          }
        }
        if (typeof choice?.finish_reason === 'string')
          record.finishReasons[index] = choice.finish_reason;
      }
    }
    if (chunk?.usage) chatUsage(record, chunk.usage);
  },
};
