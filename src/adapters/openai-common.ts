/**
 * What the three OpenAI protocols (Chat Completions, Responses, Embeddings) read the same way:
 * content parts of every kind, the common request parameters, the output format and the
 * response's service tier and fingerprint. Defensive: any field may be missing or of another type.
 *
 * The input read for the pre-check is every part the provider will see: text / file (inline data
 * decoded when it is text) / image / audio parts. Placeholders: see `messages.ts`.
 */
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv/index.js';
import {
  inlineFileParts,
  isRecord,
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

export function contentParts(content: unknown): Part[] {
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
export function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return contentParts(output).map(partText).join(' ');
  if (isRecord(output)) return contentParts([output]).map(partText).join(' ');
  return stringify(output);
}

export function commonAttributes(params: any, operation: string): Attributes {
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
export function outputType(format: unknown): string | undefined {
  const type = isRecord(format) ? format.type : undefined;
  if (type === 'text') return sc.GEN_AI_OUTPUT_TYPE_TEXT;
  if (type === 'json_object' || type === 'json_schema') return sc.GEN_AI_OUTPUT_TYPE_JSON;
  return undefined;
}

export function withOutputType(attrs: Attributes, format: unknown): Attributes {
  const type = outputType(format);
  if (type) attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = type;
  return attrs;
}

/** `openai.response.service_tier` and `openai.response.system_fingerprint`, when the reply has them. */
export function responseAttributes(record: ResponseRecord, data: any): void {
  const tier = str(data?.service_tier);
  if (tier) record.attributes[sc.ATTR_OPENAI_RESPONSE_SERVICE_TIER] = tier;
  const fingerprint = str(data?.system_fingerprint);
  if (fingerprint) record.attributes[sc.ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT] = fingerprint;
}

/**
 * Tool definitions of a Chat (`{ type: 'function', function: {…} }`) or Responses
 * (`{ type: 'function', name, … }`, or a built-in tool by its type) request.
 */
export function toolDefinitions(tools: unknown): unknown[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter(isRecord).map(tool => {
    const fn = isRecord(tool.function) ? tool.function : tool;
    const definition: Record<string, unknown> = { type: str(tool.type) ?? 'function' };
    if (typeof fn.name === 'string') definition.name = fn.name;
    if (typeof fn.description === 'string') definition.description = fn.description;
    if (fn.parameters !== undefined) definition.parameters = fn.parameters;
    return definition;
  });
}

/**
 * A complete response's id, model, OpenAI response attributes and choices: each choice's finish
 * reason and text (`textOf` reads a choice's text: Chat `message.content`, legacy `text`).
 * Returns the choices.
 */
export function readChoices(
  record: ResponseRecord,
  data: any,
  textOf: (choice: any) => unknown,
): any[] {
  record.id = str(data?.id);
  record.model = str(data?.model);
  responseAttributes(record, data);
  const choices: any[] = Array.isArray(data?.choices) ? data.choices : [];
  choices.forEach((choice, i) => {
    if (typeof choice?.finish_reason === 'string') record.finishReasons.push(choice.finish_reason);
    record.appendChoiceText(smallIndex(choice?.index) ?? i, textOf(choice));
  });
  return choices;
}
