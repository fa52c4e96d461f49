/**
 * How the AI SDK patch behaves at the edges, on ai 7 with @ai-sdk/openai: the AI SDK's retries,
 * streams that fail, are cancelled or aborted, a failure of ours, ai 7's experimental streaming
 * functions, content capture, a version outside the supported range, and the module's functions
 * restored and patched again.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import * as aiNamespace from 'ai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { axonflowMiddleware } from '../../src/instrumentation/ai-sdk/middleware.js';
import { resetNotices } from '../../src/notices/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';
import { type AiModule, PROMPT, streamParts, weatherTool } from './suite.js';

const MODEL = 'sandbox-gpt';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;
let ai: AiModule;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  sandbox = await startSandbox();
  // The default decision cache: a retry's pre-check is served from it.
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
  ai = { ...aiNamespace };
  h = setupHarness({ client }, { ai });
  openai = createOpenAI({ baseURL: sandbox.modelUrl, apiKey: 'sk-test-robustness' });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  h.reset();
  sandbox.resetCounters();
  sandbox.clearFaults();
  h.instrumentation.setTracerProvider(h.provider);
  h.instrumentation.setConfig({ client });
  h.instrumentation.enable();
});

afterEach(() => {
  for (const s of h.spans()) expect(s.ended).toBe(true);
});

const chatSpans = () =>
  h
    .spans()
    .filter(s => s.name === `chat ${MODEL}`)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);

function aiDefinition(): InstrumentationModuleDefinition {
  const definition = h.instrumentation.getModuleDefinitions().find(d => d.name === 'ai');
  if (definition === undefined) throw new Error('no module definition for ai');
  return definition;
}

describe('model calls at the edges', () => {
  it("makes each attempt of the AI SDK's retry its own governed call, the pre-check cached", async () => {
    sandbox.injectModelFault('500');
    const result = await ai.generateText({ model: openai(MODEL), prompt: 'A retried question' });
    expect(result.text).toContain('Sandbox reply');
    const [failed, retried] = chatSpans();
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed!.attributes['error.type']).toBeTruthy();
    expect(retried!.attributes['axonflow.decision']).toBe('allow');
    expect(retried!.attributes['axonflow.cache.hit']).toBe(true);
    expect(sandbox.modelRequests()).toBe(2);
    expect(sandbox.agentRequests()).toBe(1);
  });

  it('ends the span with the error when the model stream is cut mid-way', async () => {
    sandbox.injectModelFault('cut');
    const result = ai.streamText({ model: openai(MODEL), prompt: PROMPT, maxRetries: 0 });
    const parts = await streamParts(result.fullStream);
    expect(parts.at(-1)).toMatch(/^(thrown|error):/);
    const [chat] = chatSpans();
    expect(chat!.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat!.attributes['error.type']).toBe('APICallError');
    expect(chat!.attributes['axonflow.decision']).toBe('allow');
  });

  it('ends the span as cancelled when the model stream is cancelled after a part', async () => {
    const model = aiNamespace.wrapLanguageModel({
      model: openai(MODEL),
      middleware: axonflowMiddleware(),
    });
    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }],
    });
    const reader = stream.getReader();
    await reader.read();
    // Open while the consumer holds the stream: nothing reads it but the consumer.
    expect(chatSpans()).toHaveLength(0);
    await reader.cancel();
    const [chat] = chatSpans();
    expect(chat!.attributes['axonflow.stream.cancelled']).toBe(true);
    expect(chat!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('ends the span with the error when the app aborts the stream', async () => {
    sandbox.injectModelFault('stall-mid');
    const abort = new AbortController();
    const result = ai.streamText({
      model: openai(MODEL),
      prompt: PROMPT,
      abortSignal: abort.signal,
      onError: vi.fn(),
    });
    const reading = result.consumeStream();
    await vi.waitFor(() => expect(sandbox.modelRequests()).toBe(1));
    abort.abort();
    await reading;
    await vi.waitFor(() => expect(chatSpans()).toHaveLength(1));
    const [chat] = chatSpans();
    expect(chat!.status.code).toBe(SpanStatusCode.ERROR);
    // The signal's reason: a DOMException named AbortError.
    expect(chat!.status.message).toMatch(/abort/i);
    expect(chat!.attributes['axonflow.stream.cancelled']).toBe(true);
  });

  it('lets the call through untouched when our own span cannot be started, and says so', async () => {
    const broken = {
      startSpan: () => {
        throw new Error('a broken tracer');
      },
    };
    h.instrumentation.setTracerProvider({ getTracer: () => broken as unknown as Tracer });
    resetNotices();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const result = await ai.generateText({ model: openai(MODEL), prompt: PROMPT });
      expect(result.text).toContain('Sandbox reply');
      expect(sandbox.modelRequests()).toBe(1);
      expect(stderr.mock.calls.map(c => String(c[0])).join('')).toMatch(/NOT governed/);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe("ai 7's experimental streaming functions", () => {
  it('governs experimental_streamTextLowMemory and experimental_streamLanguageModelCall', async () => {
    const lowMemory = ai.experimental_streamTextLowMemory({ model: openai(MODEL), prompt: PROMPT });
    let text = '';
    for await (const delta of lowMemory.textStream) text += delta;
    expect(text).toContain('Sandbox reply');

    const call = await ai.experimental_streamLanguageModelCall({
      model: openai(MODEL),
      prompt: PROMPT,
    });
    const parts = await streamParts(call.stream);
    expect(parts).toContain('text-delta');

    const chats = chatSpans();
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expect(chat.attributes['axonflow.decision']).toBe('allow');
      expect(chat.attributes['gen_ai.request.stream']).toBe(true);
    }
    expect(h.spans().filter(s => s.name === 'axonflow.pre_check')).toHaveLength(2);
  });
});

describe('content capture', () => {
  it('records prompts, completions and tool definitions only when opted in', async () => {
    const call = () =>
      ai.generateText({
        model: openai.chat(MODEL),
        system: 'Be terse.',
        prompt: 'What is the weather in Paris?',
        tools: { weather: weatherTool(ai) },
      });
    await call();
    const everything = JSON.stringify(h.spans().map(s => s.attributes));
    expect(everything).not.toContain('Be terse.');
    expect(everything).not.toContain('weather in Paris');

    h.reset();
    h.instrumentation.setConfig({ client, captureMessageContent: true });
    await call();
    const chat = h.span(`chat ${MODEL}`);
    expect(JSON.parse(String(chat.attributes['gen_ai.system_instructions']))).toEqual([
      { type: 'text', content: 'Be terse.' },
    ]);
    expect(JSON.parse(String(chat.attributes['gen_ai.input.messages']))).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'What is the weather in Paris?' }] },
    ]);
    const output = JSON.parse(String(chat.attributes['gen_ai.output.messages']));
    expect(output[0]).toMatchObject({
      role: 'assistant',
      finish_reason: 'tool_call',
      parts: [{ type: 'tool_call', name: 'weather', arguments: '{"city":"Paris"}' }],
    });
    expect(JSON.parse(String(chat.attributes['gen_ai.tool.definitions']))).toEqual([
      {
        type: 'function',
        name: 'weather',
        description: 'Get the weather in a city',
        parameters: expect.objectContaining({ type: 'object' }),
      },
    ]);
  });
});

describe('patching the module', () => {
  it('names a version outside the supported range on stderr and leaves it unpatched', () => {
    resetNotices();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const exports = { ...aiNamespace };
      const patched = aiDefinition().patch!(exports, '4.3.19');
      expect(patched).toBe(exports);
      expect(exports.generateText).toBe(aiNamespace.generateText);
      expect(stderr.mock.calls.map(c => String(c[0])).join('')).toContain(
        'ai 4.3.19 is loaded but outside the supported range (>=5.0.0 <8)',
      );
    } finally {
      stderr.mockRestore();
    }
  });

  it('restores the functions on disable and wraps them once again on enable', () => {
    expect(ai.generateText).not.toBe(aiNamespace.generateText);
    h.instrumentation.disable();
    expect(ai.generateText).toBe(aiNamespace.generateText);
    expect(ai.ToolLoopAgent.prototype.prepareCall).toBe(
      Object.getPrototypeOf(new aiNamespace.ToolLoopAgent({ model: openai(MODEL) })).prepareCall,
    );
    h.instrumentation.enable();
    h.instrumentation.enable();
    expect(ai.generateText.__original).toBe(aiNamespace.generateText);
  });
});
