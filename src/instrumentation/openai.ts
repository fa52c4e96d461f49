/**
 * Adapters for the `openai` SDK: Chat Completions, Responses and Embeddings. They read requests
 * and responses defensively (any field may be missing or of another type) and never mutate them.
 *
 * The input read for the pre-check is every part the provider will see: Chat messages of every
 * role (system, developer, user, assistant with its refusal and tool calls, tool), text / file
 * (inline data decoded when it is text) / image / audio parts, and Predicted Outputs content;
 * Responses `instructions` (string or items), `input` (string or items: messages with
 * `input_text` / `input_file` / `input_image` parts, tool calls and their outputs, reasoning
 * summaries) and a stored prompt's variables. Placeholders: see `messages.ts`.
 */
import type { Attributes } from '@opentelemetry/api';
import type { CallAdapter } from './adapter.js';
import {
  type CallInput,
  inlineFileParts,
  isRecord,
  list,
  type Message,
  mediaFromName,
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
import * as sc from './semconv.js';

/**
 * A file part (Chat `file`, Responses `input_file`): inline data is read as the provider will
 * (`inlineFileParts`): text files as their text, binary ones as `[file:<type> <name>]`. A file
 * given by id or URL is a placeholder: its content is not in the request.
 */
function fileParts(file: Record<string, any>): Part[] {
  const name = str(file.filename);
  if (typeof file.file_data === 'string' && file.file_data.length > 0) {
    return inlineFileParts('file', file.file_data, undefined, name);
  }
  const url = str(file.file_url);
  return [placeholder('file', mediaFromName(name ?? url), name ?? url)];
}

function contentParts(content: unknown): Part[] {
  if (typeof content === 'string') return [{ type: 'text', content }];
  if (!Array.isArray(content)) return [];
  const parts: Part[] = [];
  for (const part of content) {
    if (typeof part === 'string') {
      parts.push({ type: 'text', content: part });
      continue;
    }
    if (!isRecord(part)) continue;
    const type = part.type;
    if (type === 'text' || type === 'input_text' || type === 'output_text') {
      parts.push(text(part.text ?? ''));
    } else if (type === 'refusal') {
      parts.push(text(part.refusal ?? ''));
    } else if (type === 'image_url' || type === 'input_image' || type === 'computer_screenshot') {
      parts.push(placeholder('image'));
    } else if (type === 'input_audio') {
      parts.push(placeholder('audio'));
    } else if (type === 'file') {
      parts.push(...fileParts(isRecord(part.file) ? part.file : {}));
    } else if (type === 'input_file') {
      parts.push(...fileParts(part));
    } else {
      parts.push(...unknownParts(part));
    }
  }
  return parts;
}

/** A tool's output as the model reads it: a string, or content parts. */
function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return contentParts(output).map(partText).join(' ');
  if (isRecord(output)) return contentParts([output]).map(partText).join(' ');
  return stringify(output);
}

function commonAttributes(params: any, operation: string): Attributes {
  const attrs: Attributes = {
    [sc.ATTR_GEN_AI_OPERATION_NAME]: operation,
    [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'openai',
  };
  const model = str(params?.model);
  if (model) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = model;
  const set = (key: string, value: unknown) => {
    const n = num(value);
    if (n !== undefined) attrs[key] = n;
  };
  set(
    sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS,
    params?.max_completion_tokens ?? params?.max_tokens ?? params?.max_output_tokens,
  );
  set(sc.ATTR_GEN_AI_REQUEST_TEMPERATURE, params?.temperature);
  set(sc.ATTR_GEN_AI_REQUEST_TOP_P, params?.top_p);
  set(sc.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY, params?.frequency_penalty);
  set(sc.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY, params?.presence_penalty);
  set(sc.ATTR_GEN_AI_REQUEST_SEED, params?.seed);
  const n = num(params?.n);
  if (n !== undefined && n !== 1) attrs[sc.ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = n;
  const stop = params?.stop;
  if (typeof stop === 'string') attrs[sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = [stop];
  else if (Array.isArray(stop))
    attrs[sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = stop.filter(s => typeof s === 'string');
  if (params?.stream === true) attrs[sc.ATTR_GEN_AI_REQUEST_STREAM] = true;
  const tier = str(params?.service_tier);
  if (tier) attrs[sc.ATTR_OPENAI_REQUEST_SERVICE_TIER] = tier;
  return attrs;
}

/**
 * `gen_ai.output.type` for the output format a request names (Chat `response_format`, Responses
 * `text.format`): `text`, or `json` for `json_object` / `json_schema`. None when the request
 * names no format, or one of another kind.
 */
function outputType(format: unknown): string | undefined {
  const type = isRecord(format) ? format.type : undefined;
  if (type === 'text') return sc.GEN_AI_OUTPUT_TYPE_TEXT;
  if (type === 'json_object' || type === 'json_schema') return sc.GEN_AI_OUTPUT_TYPE_JSON;
  return undefined;
}

function withOutputType(attrs: Attributes, format: unknown): Attributes {
  const type = outputType(format);
  if (type) attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = type;
  return attrs;
}

/** `openai.response.service_tier` and `openai.response.system_fingerprint`, when the reply has them. */
function responseAttributes(record: ResponseRecord, data: any): void {
  const tier = str(data?.service_tier);
  if (tier) record.attributes[sc.ATTR_OPENAI_RESPONSE_SERVICE_TIER] = tier;
  const fingerprint = str(data?.system_fingerprint);
  if (fingerprint) record.attributes[sc.ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint;
}

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
  requestAttributes: params =>
    withOutputType(commonAttributes(params, 'chat'), params?.response_format),
  onResult(record, data) {
    record.id = str(data?.id);
    record.model = str(data?.model);
    responseAttributes(record, data);
    const choices = Array.isArray(data?.choices) ? data.choices : [];
    for (const choice of choices) {
      if (typeof choice?.finish_reason === 'string')
        record.finishReasons.push(choice.finish_reason);
    }
    const message = choices[0]?.message;
    record.appendText(message?.content);
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
    if (Array.isArray(choices) && choices.length > 0) {
      const choice = choices[0];
      const delta = choice?.delta;
      if (delta) {
        if (delta.content) record.appendText(delta.content);
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
      for (const c of choices) {
        if (typeof c?.finish_reason === 'string') {
          const i = smallIndex(c.index ?? 0);
          if (i !== undefined) record.finishReasons[i] = c.finish_reason;
        }
      }
    }
    if (chunk?.usage) chatUsage(record, chunk.usage);
  },
};

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
        responsesOutput(record, response);
      }
      responsesFinish(record, response);
      responsesUsage(record, response);
    }
  },
};

export const openaiEmbeddings: CallAdapter = {
  provider: 'openai',
  operation: 'embeddings',
  input(params) {
    const raw = params?.input;
    const texts =
      typeof raw === 'string'
        ? [raw]
        : Array.isArray(raw)
          ? raw.filter((t: unknown) => typeof t === 'string')
          : [];
    return {
      system: [],
      messages: texts.map((content: string) => ({
        role: 'user',
        parts: [{ type: 'text', content }],
      })),
    };
  },
  requestAttributes(params) {
    const attrs = commonAttributes(params, 'embeddings');
    if (typeof params?.encoding_format === 'string')
      attrs[sc.ATTR_GEN_AI_REQUEST_ENCODING_FORMATS] = [params.encoding_format];
    const dimensions = num(params?.dimensions);
    if (dimensions !== undefined) attrs[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = dimensions;
    return attrs;
  },
  onResult(record, data) {
    record.model = str(data?.model);
    record.inputTokens = num(data?.usage?.prompt_tokens);
    const count = dimensionCount(Array.isArray(data?.data) ? data.data[0]?.embedding : undefined);
    if (count !== undefined) record.attributes[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = count;
  },
  onChunk() {},
};

/**
 * The dimensions of one embedding as the reply has it: an array of numbers, or base64 of
 * little-endian float32 values (what the SDK asks for on the wire, and what the app gets when it
 * asks for `encoding_format: 'base64'`).
 */
function dimensionCount(embedding: unknown): number | undefined {
  if (Array.isArray(embedding)) return embedding.length > 0 ? embedding.length : undefined;
  if (typeof embedding !== 'string' || embedding.length === 0) return undefined;
  const padding = embedding.endsWith('==') ? 2 : embedding.endsWith('=') ? 1 : 0;
  const bytes = Math.floor((embedding.length * 3) / 4) - padding;
  return bytes > 0 && bytes % 4 === 0 ? bytes / 4 : undefined;
}
