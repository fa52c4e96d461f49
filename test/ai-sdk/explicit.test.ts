/**
 * The explicit API, for apps no module hook reaches (a bundled app): a model wrapped with the AI
 * SDK's own `wrapLanguageModel` / `wrapEmbeddingModel` and `axonflowMiddleware()` /
 * `axonflowEmbeddingMiddleware()` is governed with no instrumentation registered by the app (the
 * middleware starts one from the `AXONFLOW_*` environment). The same middleware value is accepted
 * by the types of ai 5, 6 and 7 (this file type-checks against each).
 */
import { createOpenAI as createOpenAI7 } from '@ai-sdk/openai';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import * as ai7 from 'ai';
import { createOpenAI as createOpenAI2 } from 'ai-sdk-openai-v2';
import { createOpenAI as createOpenAI3 } from 'ai-sdk-openai-v3';
import * as ai5 from 'ai-v5';
import * as ai6 from 'ai-v6';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxonFlowClient, type AxonFlowInstrumentation } from '../../src/index.js';
import {
  axonflowEmbeddingMiddleware,
  axonflowMiddleware,
} from '../../src/instrumentation/ai-sdk/middleware.js';
import { currentEnvironmentSource } from '../../src/instrumentation/environment.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { setupHarness } from '../helpers/otel.js';
import { gateCode, POLICY_VIOLATION, PROMPT, SSN_PROMPT, streamParts } from './suite.js';

const MODEL = 'sandbox-gpt';

let sandbox: Sandbox;
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const saved = { ...process.env };

beforeAll(async () => {
  sandbox = await startSandbox();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  // What the middleware's own instrumentation is built from.
  process.env.AXONFLOW_AGENT_URL = sandbox.agentUrl;
  process.env.AXONFLOW_CACHE = 'off';
});

/** The instrumentation the middleware started from the environment. */
let started: AxonFlowInstrumentation | undefined;

afterAll(async () => {
  started?.disable();
  await started?.client?.close();
  process.env = saved;
  await provider.shutdown();
  await sandbox.close();
});

beforeEach(() => {
  exporter.reset();
  sandbox.resetCounters();
});

function childrenOf(span: ReadableSpan): string[] {
  return exporter
    .getFinishedSpans()
    .filter(s => s.parentSpanContext?.spanId === span.spanContext().spanId)
    .map(s => s.name)
    .sort();
}

function onlySpan(name: string): ReadableSpan {
  const found = exporter.getFinishedSpans().filter(s => s.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('wrapLanguageModel({ model, middleware: axonflowMiddleware() })', () => {
  it('governs ai 7 calls with no instrumentation registered by the app', async () => {
    expect(currentEnvironmentSource()).toBeUndefined();
    const openai = createOpenAI7({ baseURL: sandbox.modelUrl, apiKey: 'sk-test-explicit' });
    const model = ai7.wrapLanguageModel({ model: openai(MODEL), middleware: axonflowMiddleware() });

    const result = await ai7.generateText({ model, prompt: PROMPT });
    started = currentEnvironmentSource() as AxonFlowInstrumentation | undefined;
    expect(started).toBeDefined();
    expect(result.text).toContain('Sandbox reply');
    const chat = onlySpan(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'axonflow.decision': 'allow',
      'gen_ai.usage.output_tokens': result.usage.outputTokens,
    });
    expect(childrenOf(chat)).toEqual(['axonflow.delegate', 'axonflow.pre_check']);

    exporter.reset();
    const err = await ai7.generateText({ model, prompt: SSN_PROMPT }).catch((e: unknown) => e);
    expect(gateCode(err)).toBe(POLICY_VIOLATION);
    expect(sandbox.modelRequests()).toBe(1);
    expect(sandbox.agentRequests()).toBe(2);
  });

  it('governs ai 6 and ai 5 calls, streamed and not', async () => {
    const openai3 = createOpenAI3({ baseURL: sandbox.modelUrl, apiKey: 'sk-test-explicit' });
    const model6 = ai6.wrapLanguageModel({
      model: openai3(MODEL),
      middleware: axonflowMiddleware(),
    });
    const openai2 = createOpenAI2({ baseURL: sandbox.modelUrl, apiKey: 'sk-test-explicit' });
    const model5 = ai5.wrapLanguageModel({
      model: openai2(MODEL),
      middleware: axonflowMiddleware(),
    });

    expect((await ai6.generateText({ model: model6, prompt: PROMPT })).text).toContain('Sandbox');
    expect(await ai5.streamText({ model: model5, prompt: PROMPT }).text).toContain('Sandbox');
    const chats = exporter.getFinishedSpans().filter(s => s.name === `chat ${MODEL}`);
    expect(chats.map(s => s.attributes['gen_ai.request.stream'] === true).sort()).toEqual([
      false,
      true,
    ]);
    for (const chat of chats) expect(chat.attributes['axonflow.decision']).toBe('allow');

    exporter.reset();
    const denied = ai5.streamText({ model: model5, prompt: SSN_PROMPT, onError: vi.fn() });
    expect(await streamParts(denied.fullStream)).toContain(`error:${POLICY_VIOLATION}`);
    expect(sandbox.modelRequests()).toBe(2);
  });
});

describe('wrapEmbeddingModel({ model, middleware: axonflowEmbeddingMiddleware() })', () => {
  it('governs embed and embedMany of ai 6 and ai 7', async () => {
    const openai4 = createOpenAI7({ baseURL: sandbox.modelUrl, apiKey: 'sk-test-explicit' });
    const model7 = ai7.wrapEmbeddingModel({
      model: openai4.embedding('sandbox-embed'),
      middleware: axonflowEmbeddingMiddleware(),
    });
    const openai3 = createOpenAI3({ baseURL: sandbox.modelUrl, apiKey: 'sk-test-explicit' });
    const model6 = ai6.wrapEmbeddingModel({
      model: openai3.embedding('sandbox-embed'),
      middleware: axonflowEmbeddingMiddleware(),
    });

    await ai7.embed({ model: model7, value: PROMPT });
    await ai6.embedMany({ model: model6, values: ['one', 'two'] });
    const spans = exporter.getFinishedSpans().filter(s => s.name === 'embeddings sandbox-embed');
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span.attributes['axonflow.decision']).toBe('allow');

    const err = await ai6.embed({ model: model6, value: SSN_PROMPT }).catch((e: unknown) => e);
    expect(gateCode(err)).toBe(POLICY_VIOLATION);
    expect(sandbox.modelRequests()).toBe(2);
  });
});

describe('an explicitly wrapped model passed to a patched ai module', () => {
  it('is governed once: one chat span and one pre-check per model call', async () => {
    const client = new AxonFlowClient({
      endpoint: sandbox.agentUrl,
      telemetry: false,
      cache: { enabled: false },
    });
    const ai = { ...ai7 };
    const h = setupHarness({ client }, { ai });
    try {
      const openai = createOpenAI7({ baseURL: sandbox.modelUrl, apiKey: 'sk-test-explicit' });
      const model = ai7.wrapLanguageModel({
        model: openai(MODEL),
        middleware: axonflowMiddleware(),
      });
      await ai.generateText({ model, prompt: PROMPT });
      expect(h.spans().filter(s => s.name === `chat ${MODEL}`)).toHaveLength(1);
      expect(h.spans().filter(s => s.name === 'axonflow.pre_check')).toHaveLength(1);
      expect(sandbox.agentRequests()).toBe(1);
    } finally {
      await h.close();
      await client.close();
    }
  });
});
