/** Adapter for OpenAI Embeddings (`POST /embeddings`): the input texts are what is checked. */

import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import { num, str } from './messages.js';
import { commonAttributes } from './openai-common.js';

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
