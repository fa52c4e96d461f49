/**
 * Adapter for OpenAI legacy Completions (`POST /completions`): `prompt` is a string, a list of
 * strings (one completion per prompt: checked one by one), or token ids, which cannot be read as
 * text and are checked as the placeholder `[tokens]`. `suffix` is part of the input too.
 */
import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import {
  type CallInput,
  num,
  type Part,
  placeholder,
  type ResponseRecord,
  smallIndex,
  str,
} from './messages.js';
import { commonAttributes, readChoices } from './openai-common.js';

function promptParts(prompt: unknown): Part[] {
  if (typeof prompt === 'string') return [{ type: 'text', content: prompt }];
  if (typeof prompt === 'number' || Array.isArray(prompt)) return [placeholder('tokens')];
  return [];
}

/** One input per prompt of the request, each with the shared `suffix`. */
function prompts(body: any): CallInput[] {
  const raw = body?.prompt;
  const list: unknown[] =
    Array.isArray(raw) && raw.some(p => typeof p === 'string' || Array.isArray(p)) ? raw : [raw];
  const suffix = typeof body?.suffix === 'string' ? [{ type: 'text', content: body.suffix }] : [];
  return list.map(prompt => ({
    system: [],
    messages: [{ role: 'user', parts: [...promptParts(prompt), ...(suffix as Part[])] }],
  }));
}

function completionUsage(record: ResponseRecord, usage: any): void {
  if (!usage || typeof usage !== 'object') return;
  record.inputTokens = num(usage.prompt_tokens) ?? record.inputTokens;
  record.outputTokens = num(usage.completion_tokens) ?? record.outputTokens;
}

export const openaiCompletions: CallAdapter = {
  provider: 'openai',
  operation: sc.GEN_AI_OPERATION_TEXT_COMPLETION,
  input: body => {
    const all = prompts(body);
    return { system: [], messages: all.flatMap(input => input.messages) };
  },
  items: prompts,
  requestAttributes: body => commonAttributes(body, sc.GEN_AI_OPERATION_TEXT_COMPLETION),
  onResult(record, data) {
    readChoices(record, data, choice => choice?.text);
    completionUsage(record, data?.usage);
  },
  onChunk(record, chunk) {
    if (record.id === undefined) {
      record.id = str(chunk?.id);
      record.model = str(chunk?.model);
    }
    const choices = Array.isArray(chunk?.choices) ? chunk.choices : [];
    for (const choice of choices) {
      const i = smallIndex(choice?.index ?? 0);
      if (i !== undefined) record.appendChoiceText(i, choice?.text);
      if (i !== undefined && typeof choice?.finish_reason === 'string') {
        record.finishReasons[i] = choice.finish_reason;
      }
    }
    if (chunk?.usage) completionUsage(record, chunk.usage);
  },
};
