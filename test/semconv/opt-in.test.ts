/**
 * `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` (a shared list: other values belong
 * to other instrumentations) switches to the GenAI conventions' newer development names; without
 * it, the v1.41.0 names.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
  h = setupHarness({ client });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

afterEach(() => {
  delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
  h.instrumentation.setConfig({ client });
  h.reset();
});

async function cacheAttributes(): Promise<string[]> {
  // The SDK's own tracing off: our span carries the usage (the sandbox reports cache tokens, 0).
  const anthropic = new Anthropic({
    apiKey: 'k',
    baseURL: sandbox.url,
    maxRetries: 0,
    openTelemetry: false,
  } as ConstructorParameters<typeof Anthropic>[0]);
  await anthropic.messages.create({
    model: 'names',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'hello' }],
  });
  return Object.keys(h.span('chat names').attributes).filter(k =>
    k.startsWith('gen_ai.usage.cache'),
  );
}

describe('OTEL_SEMCONV_STABILITY_OPT_IN', () => {
  it('unset: the v1.41.0 name gen_ai.usage.cache_creation.input_tokens', async () => {
    h.instrumentation.setConfig({ client });
    expect((await cacheAttributes()).sort()).toEqual([
      'gen_ai.usage.cache_creation.input_tokens',
      'gen_ai.usage.cache_read.input_tokens',
    ]);
  });

  it('with gen_ai_latest_experimental among other values: the development name cache_write', async () => {
    process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'http, gen_ai_latest_experimental';
    h.instrumentation.setConfig({ client });
    expect((await cacheAttributes()).sort()).toEqual([
      'gen_ai.usage.cache_read.input_tokens',
      'gen_ai.usage.cache_write.input_tokens',
    ]);
  });
});
