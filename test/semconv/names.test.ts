/**
 * Every GenAI name we emit is spelled as the released conventions spell it. The reference is
 * the incubating entry of `@opentelemetry/semantic-conventions` 1.45.0 (installed with
 * `@opentelemetry/core`), which has the names of GenAI conventions v1.41.0: the package says not
 * to import it at run time, so `src/semconv/index.ts` copies them and this test keeps
 * the copies honest.
 */
import * as conventions from '@opentelemetry/semantic-conventions/incubating';
import { describe, expect, it } from 'vitest';
import * as sc from '../../src/semconv/index.js';

const released = conventions as unknown as Record<string, unknown>;
const ours = sc as unknown as Record<string, unknown>;

describe('semantic conventions', () => {
  it('follows GenAI conventions v1.41.0: every gen_ai, openai, server and error name is the released one', () => {
    expect(sc.SEMCONV_VERSION).toBe('1.41.0');
    const names = Object.entries(ours).filter(
      ([key, value]) =>
        /^(ATTR|METRIC)_/.test(key) &&
        typeof value === 'string' &&
        /^(gen_ai|openai|server|error)\./.test(value),
    );
    expect(names.length).toBeGreaterThan(30);
    for (const [key, value] of names) {
      expect({ key, value: released[key] }).toEqual({ key, value });
    }
  });

  it('defines the reasoning, output type, OpenAI service tier and fingerprint, and embeddings dimension names', () => {
    for (const key of [
      'ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS',
      'ATTR_GEN_AI_OUTPUT_TYPE',
      'ATTR_OPENAI_REQUEST_SERVICE_TIER',
      'ATTR_OPENAI_RESPONSE_SERVICE_TIER',
      'ATTR_OPENAI_RESPONSE_SYSTEM_FINGERPRINT',
      'ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT',
      'ATTR_SERVER_ADDRESS',
      'ATTR_SERVER_PORT',
    ]) {
      expect({ key, value: ours[key] }).toEqual({ key, value: released[key] });
    }
    expect(sc.GEN_AI_OUTPUT_TYPE_TEXT).toBe(conventions.GEN_AI_OUTPUT_TYPE_VALUE_TEXT);
    expect(sc.GEN_AI_OUTPUT_TYPE_JSON).toBe(conventions.GEN_AI_OUTPUT_TYPE_VALUE_JSON);
    expect(sc.GEN_AI_OUTPUT_TYPE_IMAGE).toBe(conventions.GEN_AI_OUTPUT_TYPE_VALUE_IMAGE);
    expect(sc.GEN_AI_OUTPUT_TYPE_SPEECH).toBe(conventions.GEN_AI_OUTPUT_TYPE_VALUE_SPEECH);
    expect(sc.GEN_AI_OPERATION_CHAT).toBe(conventions.GEN_AI_OPERATION_NAME_VALUE_CHAT);
    expect(sc.GEN_AI_OPERATION_EMBEDDINGS).toBe(conventions.GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS);
    expect(sc.GEN_AI_OPERATION_TEXT_COMPLETION).toBe(
      conventions.GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
    );
    expect(sc.GEN_AI_OPERATION_GENERATE_CONTENT).toBe(
      conventions.GEN_AI_OPERATION_NAME_VALUE_GENERATE_CONTENT,
    );
  });
});
