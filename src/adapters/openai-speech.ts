/**
 * Adapter for OpenAI text to speech (`POST /audio/speech`): the `input` text, and the
 * `instructions` of models that take them, are what is checked. The reply is audio bytes, which
 * are not read.
 */
import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import type { Part } from './messages.js';
import { commonAttributes } from './openai-common.js';

export const openaiSpeech: CallAdapter = {
  provider: 'openai',
  operation: sc.GEN_AI_OPERATION_GENERATE_CONTENT,
  input(body) {
    const system: Part[] =
      typeof body?.instructions === 'string' ? [{ type: 'text', content: body.instructions }] : [];
    const input = typeof body?.input === 'string' ? body.input : '';
    return { system, messages: [{ role: 'user', parts: [{ type: 'text', content: input }] }] };
  },
  requestAttributes(body) {
    const attrs = commonAttributes(body, sc.GEN_AI_OPERATION_GENERATE_CONTENT);
    attrs[sc.ATTR_GEN_AI_OUTPUT_TYPE] = sc.GEN_AI_OUTPUT_TYPE_SPEECH;
    return attrs;
  },
  onResult() {},
  onChunk() {},
};
