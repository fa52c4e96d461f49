/**
 * ai 7 with @ai-sdk/anthropic against the sandbox's Messages API: the provider behind the AI SDK
 * is named `anthropic`, and structured output (which the provider asks for with a forced tool,
 * so the sandbox answers it) comes back as the object.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { SpanStatusCode } from '@opentelemetry/api';
import * as aiNamespace from 'ai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';
import {
  type AiModule,
  citySchema,
  gateCode,
  POLICY_VIOLATION,
  PROMPT,
  SSN_PROMPT,
  streamParts,
  weatherTool,
} from './suite.js';

const MODEL = 'sandbox-claude';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;
let ai: AiModule;
let anthropic: ReturnType<typeof createAnthropic>;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    retry: { maxAttempts: 1 },
    cache: { enabled: false },
  });
  ai = { ...aiNamespace };
  h = setupHarness({ client }, { ai });
  anthropic = createAnthropic({ baseURL: `${sandbox.url}/v1`, apiKey: 'sk-ant-test-ai-sdk-key' });
  // The sandbox model is unknown to the provider, which says so on every call.
  (globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  h.reset();
  sandbox.resetCounters();
});

afterEach(() => {
  for (const s of h.spans()) expect(s.ended).toBe(true);
});

const chatSpans = () => h.spans().filter(s => s.name === `chat ${MODEL}`);
const children = (name: string) =>
  h
    .childrenOf(h.span(name))
    .map(s => s.name)
    .sort();

describe('ai 7 with @ai-sdk/anthropic', () => {
  it('traces generateText as an anthropic chat call', async () => {
    const result = await ai.generateText({ model: anthropic(MODEL), prompt: PROMPT });
    expect(result.text).toContain('Sandbox reply');
    expect(h.span(`chat ${MODEL}`).attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': MODEL,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': result.usage.inputTokens,
      'gen_ai.usage.output_tokens': result.usage.outputTokens,
      'server.address': '127.0.0.1',
      'server.port': sandbox.port,
      'axonflow.decision': 'allow',
    });
    expect(children(`chat ${MODEL}`)).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
  });

  it('traces streamText and streams a denial as an error part', async () => {
    const allowed = ai.streamText({ model: anthropic(MODEL), prompt: PROMPT });
    expect(await allowed.text).toContain('Sandbox reply');
    expect(h.span(`chat ${MODEL}`).attributes['gen_ai.request.stream']).toBe(true);

    h.reset();
    const denied = ai.streamText({ model: anthropic(MODEL), prompt: SSN_PROMPT, onError: vi.fn() });
    expect(await streamParts(denied.fullStream)).toContain(`error:${POLICY_VIOLATION}`);
    expect(h.span(`chat ${MODEL}`).status.code).toBe(SpanStatusCode.ERROR);
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('returns the object of generateObject and streamObject, each call governed', async () => {
    const generated = await ai.generateObject({
      model: anthropic(MODEL),
      schema: citySchema(ai),
      prompt: 'Name a city in France',
    });
    expect(generated.object).toEqual({ city: expect.any(String) });
    expect(h.span(`chat ${MODEL}`).attributes).toMatchObject({
      'gen_ai.output.type': 'json',
      'axonflow.decision': 'allow',
    });

    h.reset();
    const streamed = ai.streamObject({
      model: anthropic(MODEL),
      schema: citySchema(ai),
      prompt: 'Name a city in France',
    });
    for await (const _partial of streamed.partialObjectStream) {
      // Read to the end: the object resolves once the stream is consumed.
    }
    expect(await streamed.object).toEqual({ city: expect.any(String) });
    expect(h.span(`chat ${MODEL}`).attributes['gen_ai.request.stream']).toBe(true);
    expect(sandbox.modelRequests()).toBe(2);
  });

  it('rejects a denied generateObject, model never called', async () => {
    const err = await ai
      .generateObject({ model: anthropic(MODEL), schema: citySchema(ai), prompt: SSN_PROMPT })
      .catch((e: unknown) => e);
    expect(gateCode(err)).toBe(POLICY_VIOLATION);
    expect(sandbox.modelRequests()).toBe(0);
    expect(sandbox.agentRequests()).toBe(1);
  });

  it('governs each call of a tool loop', async () => {
    const result = await ai.generateText({
      model: anthropic(MODEL),
      tools: { weather: weatherTool(ai) },
      prompt: 'What is the weather in Paris?',
      stopWhen: ai.stepCountIs(2),
    });
    expect(result.text).toContain('Sunny in Paris');
    const reasons = chatSpans()
      .map(s => (s.attributes['gen_ai.response.finish_reasons'] as string[])[0])
      .sort();
    expect(reasons).toEqual(['stop', 'tool_call']);
    expect(sandbox.agentRequests()).toBe(2);
    expect(sandbox.modelRequests()).toBe(2);
  });
});
