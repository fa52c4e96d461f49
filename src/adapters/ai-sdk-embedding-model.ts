/**
 * Adapter for a Vercel AI SDK embedding model call (`doEmbed` of the `EmbeddingModelV2`, `V3` and
 * `V4` specifications: ai 5, 6 and 7), whatever provider is behind the model. The values to embed
 * are what is checked, each as one user message; the result gives the token usage and the
 * dimension count. As for language models, the provider and the model come from the model object
 * (`aiSdkEmbeddingModelAdapter`).
 */
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv/index.js';
import type { CallAdapter } from './adapter.js';
import { aiSdkProviderName } from './ai-sdk-language-model.js';
import { isRecord, list, num, str, stringify } from './messages.js';

export interface AiSdkEmbedView {
  values: string[];
}

/** The values of a `doEmbed` call as plain JSON data (strings; other values as their JSON). */
export function aiSdkEmbedView(params: unknown): AiSdkEmbedView {
  const values = isRecord(params) ? list(params.values) : [];
  return { values: values.map(value => (typeof value === 'string' ? value : stringify(value))) };
}

export function aiSdkEmbeddingModelAdapter(model: unknown): CallAdapter {
  const m = isRecord(model) ? model : {};
  const provider = aiSdkProviderName(m.provider);
  const modelId = str(m.modelId);
  return {
    provider,
    operation: 'embeddings',
    input(view) {
      const values = isRecord(view) ? list(view.values) : [];
      return {
        system: [],
        messages: values.map(value => ({
          role: 'user',
          parts: [{ type: 'text', content: typeof value === 'string' ? value : stringify(value) }],
        })),
      };
    },
    requestAttributes() {
      const attrs: Attributes = {
        [sc.ATTR_GEN_AI_OPERATION_NAME]: sc.GEN_AI_OPERATION_EMBEDDINGS,
        [sc.ATTR_GEN_AI_PROVIDER_NAME]: provider,
      };
      if (modelId) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = modelId;
      return attrs;
    },
    onResult(record, data) {
      const tokens = num(data?.usage?.tokens);
      if (tokens !== undefined) record.inputTokens = tokens;
      const first = Array.isArray(data?.embeddings) ? data.embeddings[0] : undefined;
      const count = Array.isArray(first) && first.length > 0 ? first.length : undefined;
      if (count !== undefined) record.attributes[sc.ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT] = count;
    },
    onChunk() {},
  };
}
