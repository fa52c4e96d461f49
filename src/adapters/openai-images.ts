/**
 * Adapter for OpenAI image generation (`POST /images/generations`): the `prompt` is what is
 * checked. The reply carries images, not text: what is read of it is the model's usage (GPT image
 * models report input and output tokens; DALL·E models report none).
 */
import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import { num, str } from './messages.js';
import { commonAttributes } from './openai-common.js';

export const openaiImages: CallAdapter = {
  provider: 'openai',
  operation: sc.GEN_AI_OPERATION_GENERATE_CONTENT,
  input: body => ({
    system: [],
    messages: [{ role: 'user', parts: [{ type: 'text', content: str(body?.prompt) ?? '' }] }],
  }),
  requestAttributes(body) {
    const attrs = commonAttributes(body, sc.GEN_AI_OPERATION_GENERATE_CONTENT);
    attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_IMAGE;
    const n = num(body?.n);
    if (n !== undefined && n !== 1) attrs[sc.ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = n;
    return attrs;
  },
  onResult(record, data) {
    record.inputTokens = num(data?.usage?.input_tokens);
    record.outputTokens = num(data?.usage?.output_tokens);
  },
  onChunk(record, event) {
    if (event?.type === 'image_generation.completed') this.onResult(record, event);
  },
};
