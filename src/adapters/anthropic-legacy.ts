/**
 * Adapters for the Anthropic requests around Messages: token counting
 * (`POST /v1/messages/count_tokens`: the prompt goes to the provider, so it is checked; there is
 * no model output to audit), Message Batches (`POST /v1/messages/batches`: each request of the
 * batch is checked on its own, a deny of any stops the batch) and the legacy Text Completions
 * (`POST /v1/complete`: one `\n\nHuman: … \n\nAssistant:` prompt string).
 */
import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import { anthropicMessages } from './anthropic-messages.js';
import { type CallInput, isRecord, list, num, type ResponseRecord, str } from './messages.js';

export const anthropicCountTokens: CallAdapter = {
  provider: 'anthropic',
  operation: sc.OPERATION_COUNT_TOKENS,
  audited: false,
  input: body => anthropicMessages.input(body),
  requestAttributes(body) {
    const attrs = anthropicMessages.requestAttributes(body);
    attrs[sc.ATTR_GEN_AI_OPERATION_NAME] = sc.OPERATION_COUNT_TOKENS;
    return attrs;
  },
  onResult(record, data) {
    record.inputTokens = num(data?.input_tokens);
  },
  onChunk() {},
};

/** The `params` of each request of a batch. */
function batchParams(body: any): unknown[] {
  return list(body?.requests).map(r => (isRecord(r) ? r.params : undefined));
}

export const anthropicBatches: CallAdapter = {
  provider: 'anthropic',
  operation: sc.OPERATION_BATCH,
  input(body) {
    const input: CallInput = { system: [], messages: [] };
    for (const item of anthropicBatches.items?.(body) ?? []) {
      input.system.push(...item.system);
      input.messages.push(...item.messages);
    }
    return input;
  },
  items: body => batchParams(body).map(params => anthropicMessages.input(params)),
  requestAttributes(body) {
    const [first] = batchParams(body);
    const attrs: Record<string, string | number> = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.OPERATION_BATCH,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
    };
    const model = str((first as any)?.model);
    if (model) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = model;
    return attrs;
  },
  onResult(record: ResponseRecord, data) {
    record.id = str(data?.id);
  },
  onChunk() {},
};

export const anthropicComplete: CallAdapter = {
  provider: 'anthropic',
  operation: sc.GEN_AI_OPERATION_TEXT_COMPLETION,
  input: body => ({
    system: [],
    messages: [{ role: 'user', parts: [{ type: 'text', content: str(body?.prompt) ?? '' }] }],
  }),
  requestAttributes(body) {
    const attrs: Record<string, string | number | boolean | string[]> = {
      [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_TEXT_COMPLETION,
      [sc.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
    };
    const model = str(body?.model);
    if (model) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = model;
    const max = num(body?.max_tokens_to_sample);
    if (max !== undefined) attrs[sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS] = max;
    if (body?.stream === true) attrs[sc.ATTR_GEN_AI_REQUEST_STREAM] = true;
    return attrs;
  },
  onResult(record, data) {
    record.id = str(data?.id);
    record.model = str(data?.model);
    if (typeof data?.stop_reason === 'string') record.finishReasons = [data.stop_reason];
    record.appendText(data?.completion);
  },
  onChunk(record, event) {
    if (event?.type !== 'completion') return;
    record.id ??= str(event.id);
    record.model ??= str(event.model);
    if (typeof event.completion === 'string') record.appendText(event.completion);
    if (typeof event.stop_reason === 'string') record.finishReasons = [event.stop_reason];
  },
};
