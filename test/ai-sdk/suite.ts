/**
 * The behaviours every major of the Vercel AI SDK (`ai` 5, 6, 7) must show under the
 * instrumentation, with its matching `@ai-sdk/openai`, against the sandbox: each model call of
 * `generateText`, `streamText`, `generateObject`, `streamObject`, `embed`, `embedMany`, a tool
 * loop and an agent is traced, gated and audited. Each `ai-v*.test.ts` file runs it for one major.
 *
 * The module is handed to the instrumentation as a plain object copy of its namespace, as the ES
 * module hook hands over a mutable view of it; the test calls the functions on that object.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AxonFlowAuditSpanProcessor, AxonFlowClient } from '../../src/index.js';
import { resetNotices } from '../../src/notices/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

export const MODEL = 'sandbox-gpt';
export const EMBEDDING_MODEL = 'sandbox-embed';
export const PROMPT = 'What is the capital of France?';
export const SSN_PROMPT = 'My SSN is 123-45-6789, please remember it';
export const POLICY_VIOLATION = 'AXONFLOW_POLICY_VIOLATION';
export const API_KEY = 'sk-test-ai-sdk-openai-key';

type AnyFunction = (...args: any[]) => any;

/** The `ai` module's functions the suite calls, as any major exports them. */
export type AiModule = Record<string, any>;

export interface Major {
  label: string;
  /** The module's namespace. */
  namespace: object;
  /** `createOpenAI` of the matching `@ai-sdk/openai`. */
  createOpenAI: AnyFunction;
  /** The major starts its own OpenTelemetry spans with `experimental_telemetry` (ai 5, 6). */
  ownTelemetrySpans: boolean;
  /** The class of its tool-loop agent (`Experimental_Agent` in ai 5, `ToolLoopAgent` after). */
  agentClass: string;
  /** `createOpenAI` of the @ai-sdk/openai line before, whose models the major also accepts. */
  previousCreateOpenAI?: AnyFunction;
}

/** The code of a gate error, thrown directly or as the cause of an AI SDK error. */
export function gateCode(err: unknown): unknown {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  return e?.code ?? e?.cause?.code;
}

export function weatherTool(ai: AiModule, result = (city: string) => `Sunny in ${city}`) {
  return ai.tool({
    description: 'Get the weather in a city',
    inputSchema: ai.jsonSchema({
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
    }),
    execute: async ({ city }: { city: string }) => result(city),
  });
}

export function citySchema(ai: AiModule) {
  return ai.jsonSchema({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  });
}

/** The parts of a stream, with errors as `error:<code>`; a throw ends the list as `thrown:…`. */
export async function streamParts(stream: AsyncIterable<any>): Promise<string[]> {
  const parts: string[] = [];
  try {
    for await (const part of stream) {
      parts.push(part?.type === 'error' ? `error:${gateCode(part.error)}` : String(part?.type));
    }
  } catch (err) {
    parts.push(`thrown:${gateCode(err)}`);
  }
  return parts;
}

export function describeMajor(major: Major): void {
  describe(major.label, () => {
    let sandbox: Sandbox;
    let client: AxonFlowClient;
    let h: Harness;
    let ai: AiModule;
    let openai: any;

    beforeAll(async () => {
      sandbox = await startSandbox();
      // No decision cache: every pre-check reaches the agent, so the agent's count is the checks'.
      client = new AxonFlowClient({
        endpoint: sandbox.agentUrl,
        telemetry: false,
        retry: { maxAttempts: 1 },
        cache: { enabled: false },
      });
      ai = { ...major.namespace };
      h = setupHarness({ client }, { ai });
      openai = major.createOpenAI({ baseURL: sandbox.modelUrl, apiKey: API_KEY });
    });

    afterAll(async () => {
      await h.close();
      await client.close();
      await sandbox.close();
    });

    beforeEach(() => {
      h.reset();
      sandbox.resetCounters();
      h.instrumentation.setConfig({ client });
      h.instrumentation.enable();
    });

    afterEach(() => {
      // Every span a test starts has ended by the time it is done: no call is left open.
      for (const s of h.spans()) expect(s.ended).toBe(true);
    });

    const model = () => openai(MODEL);
    // Tool loops go through Chat Completions (the sandbox's Responses API refuses an input item
    // type @ai-sdk/openai 2 sends for earlier turns): both protocols are covered.
    const chatModel = () => openai.chat(MODEL);
    const chatSpans = () => h.spans().filter(s => s.name === `chat ${MODEL}`);
    const childNames = (span: ReadableSpan) =>
      h
        .childrenOf(span)
        .map(s => s.name)
        .sort();

    function expectDenied(span: ReadableSpan): void {
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes['axonflow.decision']).toBe('deny');
      expect(span.attributes['error.type']).toBe(POLICY_VIOLATION);
      expect(childNames(span)).toEqual(['axonflow.pre_check']);
    }

    describe('generateText', () => {
      it('traces an allowed call as a chat span with pre-check and delegation children', async () => {
        const result = await ai.generateText({
          model: model(),
          prompt: PROMPT,
          temperature: 0.2,
          maxOutputTokens: 64,
        });
        expect(result.text).toContain('Sandbox reply');
        const chat = h.span(`chat ${MODEL}`);
        expect(chat.kind).toBe(SpanKind.CLIENT);
        expect(chat.attributes).toMatchObject({
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': MODEL,
          'gen_ai.request.temperature': 0.2,
          'gen_ai.request.max_tokens': 64,
          'gen_ai.response.id': result.response.id,
          'gen_ai.response.model': MODEL,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.usage.input_tokens': result.usage.inputTokens,
          'gen_ai.usage.output_tokens': result.usage.outputTokens,
          'server.address': '127.0.0.1',
          'server.port': sandbox.port,
          'axonflow.decision': 'allow',
        });
        expect(chat.attributes['gen_ai.request.stream']).toBeUndefined();
        expect(chat.status.code).toBe(SpanStatusCode.UNSET);
        expect(childNames(chat)).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
        expect(sandbox.modelRequests()).toBe(1);
      });

      it('rejects a denied prompt with PolicyViolationError after one pre-check, not retried, model never called', async () => {
        const err = await ai
          .generateText({ model: model(), prompt: SSN_PROMPT, maxRetries: 2 })
          .catch((e: unknown) => e);
        expect(gateCode(err)).toBe(POLICY_VIOLATION);
        expect(sandbox.modelRequests()).toBe(0);
        expect(sandbox.agentRequests()).toBe(1);
        expect(chatSpans()).toHaveLength(1);
        expectDenied(chatSpans()[0]!);
      });

      it('checks the system prompt and earlier turns, not only the last message', async () => {
        const err = await ai
          .generateText({
            model: model(),
            system: 'The customer record: SSN 123-45-6789.',
            messages: [
              { role: 'user', content: 'Hello' },
              { role: 'assistant', content: 'Hi, how can I help?' },
              { role: 'user', content: 'Summarise my record' },
            ],
          })
          .catch((e: unknown) => e);
        expect(gateCode(err)).toBe(POLICY_VIOLATION);
        expect(sandbox.modelRequests()).toBe(0);
      });

      it('checks the text of an attached text file', async () => {
        const err = await ai
          .generateText({
            model: model(),
            messages: [
              {
                role: 'user',
                content: [
                  { type: 'text', text: 'Summarise the attached notes' },
                  {
                    type: 'file',
                    mediaType: 'text/plain',
                    filename: 'notes.txt',
                    data: new TextEncoder().encode('Customer SSN: 123-45-6789'),
                  },
                ],
              },
            ],
          })
          .catch((e: unknown) => e);
        expect(gateCode(err)).toBe(POLICY_VIOLATION);
        expect(sandbox.modelRequests()).toBe(0);
      });

      if (major.ownTelemetrySpans) {
        it("leaves the usage to the AI SDK's own model-call span when its telemetry is on", async () => {
          const result = await ai.generateText({
            model: model(),
            prompt: PROMPT,
            experimental_telemetry: { isEnabled: true },
          });
          const sdkSpan = h.span('ai.generateText.doGenerate');
          const chat = h.span(`chat ${MODEL}`);
          expect(chat.parentSpanContext?.spanId).toBe(sdkSpan.spanContext().spanId);
          expect(sdkSpan.attributes['gen_ai.usage.input_tokens']).toBe(result.usage.inputTokens);
          expect(Object.keys(chat.attributes).filter(k => k.startsWith('gen_ai.usage.'))).toEqual(
            [],
          );
          expect(chat.attributes['axonflow.decision']).toBe('allow');
        });
      } else {
        it('keeps the usage on its own span with experimental_telemetry on (no AI SDK span records it)', async () => {
          const result = await ai.generateText({
            model: model(),
            prompt: PROMPT,
            experimental_telemetry: { isEnabled: true },
          });
          const withUsage = h.spans().filter(s => s.attributes['gen_ai.usage.input_tokens']);
          expect(withUsage.map(s => s.name)).toEqual([`chat ${MODEL}`]);
          expect(withUsage[0]!.attributes['gen_ai.usage.input_tokens']).toBe(
            result.usage.inputTokens,
          );
        });
      }

      it('puts the usage on exactly one span with the AI SDK telemetry off', async () => {
        await ai.generateText({ model: model(), prompt: PROMPT });
        const withUsage = h.spans().filter(s => 'gen_ai.usage.input_tokens' in s.attributes);
        expect(withUsage.map(s => s.name)).toEqual([`chat ${MODEL}`]);
      });
    });

    describe('streamText', () => {
      it('traces a streamed call, its span ended after the last part', async () => {
        const result = ai.streamText({ model: model(), prompt: PROMPT });
        let text = '';
        for await (const delta of result.textStream) {
          // The span is still open while the consumer reads.
          expect(chatSpans()).toHaveLength(0);
          text += delta;
        }
        expect(text).toContain('Sandbox reply');
        const chat = h.span(`chat ${MODEL}`);
        const usage = await result.usage;
        expect(chat.attributes).toMatchObject({
          'gen_ai.request.stream': true,
          'gen_ai.response.finish_reasons': ['stop'],
          'gen_ai.usage.input_tokens': usage.inputTokens,
          'gen_ai.usage.output_tokens': usage.outputTokens,
          'axonflow.decision': 'allow',
        });
        expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
        expect(childNames(chat)).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
        expect(sandbox.modelRequests()).toBe(1);
      });

      it('streams a denial as an error part, after one pre-check, model never called', async () => {
        const onError = vi.fn();
        const result = ai.streamText({ model: model(), prompt: SSN_PROMPT, onError });
        const parts = await streamParts(result.fullStream);
        expect(parts).toContain(`error:${POLICY_VIOLATION}`);
        expect(parts).not.toContain('text-delta');
        expect(gateCode(onError.mock.calls[0]?.[0]?.error)).toBe(POLICY_VIOLATION);
        await expect(result.text).rejects.toThrow();
        expect(sandbox.modelRequests()).toBe(0);
        expect(sandbox.agentRequests()).toBe(1);
        expectDenied(h.span(`chat ${MODEL}`));
      });

      if (major.ownTelemetrySpans) {
        it("leaves the usage to the AI SDK's doStream span when its telemetry is on", async () => {
          const result = ai.streamText({
            model: model(),
            prompt: PROMPT,
            experimental_telemetry: { isEnabled: true },
          });
          await result.text;
          const usage = await result.usage;
          await vi.waitFor(() => h.span('ai.streamText'));
          const sdkSpan = h.span('ai.streamText.doStream');
          const chat = h.span(`chat ${MODEL}`);
          expect(chat.parentSpanContext?.spanId).toBe(sdkSpan.spanContext().spanId);
          expect(sdkSpan.attributes['gen_ai.usage.input_tokens']).toBe(usage.inputTokens);
          expect(Object.keys(chat.attributes).filter(k => k.startsWith('gen_ai.usage.'))).toEqual(
            [],
          );
        });
      }
    });

    describe('generateObject and streamObject', () => {
      // The sandbox model answers in prose, so the AI SDK cannot parse an object out of it: the
      // call itself is governed and answered, and the parse error is the AI SDK's own.
      it('traces generateObject as a JSON-output chat call', async () => {
        const err = await ai
          .generateObject({ model: model(), schema: citySchema(ai), prompt: PROMPT })
          .catch((e: unknown) => e);
        expect((err as Error).name).toBe('AI_NoObjectGeneratedError');
        expect((err as { text?: string }).text).toContain('Sandbox reply');
        const chat = h.span(`chat ${MODEL}`);
        expect(chat.attributes).toMatchObject({
          'gen_ai.output.type': 'json',
          'axonflow.decision': 'allow',
          'gen_ai.response.finish_reasons': ['stop'],
        });
        expect(chat.status.code).toBe(SpanStatusCode.UNSET);
        expect(childNames(chat)).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
        expect(sandbox.modelRequests()).toBe(1);
      });

      it('rejects generateObject for a denied prompt, model never called', async () => {
        const err = await ai
          .generateObject({ model: model(), schema: citySchema(ai), prompt: SSN_PROMPT })
          .catch((e: unknown) => e);
        expect(gateCode(err)).toBe(POLICY_VIOLATION);
        expect(sandbox.modelRequests()).toBe(0);
        expect(sandbox.agentRequests()).toBe(1);
        expectDenied(h.span(`chat ${MODEL}`));
      });

      it('traces streamObject as a streamed JSON-output chat call', async () => {
        const result = ai.streamObject({ model: model(), schema: citySchema(ai), prompt: PROMPT });
        const parts = await streamParts(result.fullStream);
        expect(parts).toContain('finish');
        await expect(result.object).rejects.toThrow();
        const chat = h.span(`chat ${MODEL}`);
        expect(chat.attributes).toMatchObject({
          'gen_ai.output.type': 'json',
          'gen_ai.request.stream': true,
          'axonflow.decision': 'allow',
        });
        expect(sandbox.modelRequests()).toBe(1);
      });

      it('streams a denial of streamObject as an error part, model never called', async () => {
        const onError = vi.fn();
        const result = ai.streamObject({
          model: model(),
          schema: citySchema(ai),
          prompt: SSN_PROMPT,
          onError,
        });
        const parts = await streamParts(result.fullStream);
        expect(parts).toContain(`error:${POLICY_VIOLATION}`);
        await expect(result.object).rejects.toThrow();
        expect(sandbox.modelRequests()).toBe(0);
        expect(sandbox.agentRequests()).toBe(1);
        expectDenied(h.span(`chat ${MODEL}`));
      });
    });

    describe('embed and embedMany', () => {
      const embeddingModel = () =>
        typeof openai.embedding === 'function'
          ? openai.embedding(EMBEDDING_MODEL)
          : openai.textEmbeddingModel(EMBEDDING_MODEL);

      it('traces embed as an embeddings span with usage and dimension count', async () => {
        const result = await ai.embed({ model: embeddingModel(), value: PROMPT });
        const span = h.span(`embeddings ${EMBEDDING_MODEL}`);
        expect(span.attributes).toMatchObject({
          'gen_ai.operation.name': 'embeddings',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': EMBEDDING_MODEL,
          'gen_ai.usage.input_tokens': result.usage.tokens,
          'gen_ai.embeddings.dimension.count': result.embedding.length,
          'axonflow.decision': 'allow',
        });
        expect(childNames(span)).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
        expect(sandbox.modelRequests()).toBe(1);
      });

      it('traces embedMany as one span per model request', async () => {
        const result = await ai.embedMany({
          model: embeddingModel(),
          values: ['first text', 'second text', 'third text'],
        });
        expect(result.embeddings).toHaveLength(3);
        const span = h.span(`embeddings ${EMBEDDING_MODEL}`);
        expect(span.attributes['gen_ai.usage.input_tokens']).toBe(result.usage.tokens);
        expect(sandbox.modelRequests()).toBe(1);
      });

      it('rejects embed of a denied value after one pre-check, model never called', async () => {
        const err = await ai
          .embed({ model: embeddingModel(), value: SSN_PROMPT })
          .catch((e: unknown) => e);
        expect(gateCode(err)).toBe(POLICY_VIOLATION);
        expect(sandbox.modelRequests()).toBe(0);
        expect(sandbox.agentRequests()).toBe(1);
        expect(h.span(`embeddings ${EMBEDDING_MODEL}`).attributes['axonflow.decision']).toBe(
          'deny',
        );
      });

      it('rejects embedMany when any value is denied, model never called', async () => {
        const err = await ai
          .embedMany({ model: embeddingModel(), values: ['harmless', SSN_PROMPT] })
          .catch((e: unknown) => e);
        expect(gateCode(err)).toBe(POLICY_VIOLATION);
        expect(sandbox.modelRequests()).toBe(0);
        expect(sandbox.agentRequests()).toBe(1);
      });
    });

    describe('tool loops and agents', () => {
      it('governs each model call of a multi-step tool loop', async () => {
        const result = await ai.generateText({
          model: chatModel(),
          tools: { weather: weatherTool(ai) },
          prompt: 'What is the weather in Paris?',
          stopWhen: ai.stepCountIs(2),
        });
        expect(result.steps).toHaveLength(2);
        expect(result.text).toContain('Sunny in Paris');
        const chats = chatSpans().sort((a, b) => hrtime(a) - hrtime(b));
        expect(chats).toHaveLength(2);
        expect(chats.map(s => s.attributes['gen_ai.response.finish_reasons'])).toEqual([
          ['tool_call'],
          ['stop'],
        ]);
        for (const chat of chats) {
          expect(childNames(chat)).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
        }
        expect(sandbox.modelRequests()).toBe(2);
        expect(sandbox.agentRequests()).toBe(2);
      });

      it('stops a tool loop before the model sees a denied tool result', async () => {
        const err = await ai
          .generateText({
            model: chatModel(),
            tools: { weather: weatherTool(ai, () => 'Forecast for SSN 123-45-6789') },
            prompt: 'What is the weather in Paris?',
            stopWhen: ai.stepCountIs(2),
          })
          .catch((e: unknown) => e);
        expect(gateCode(err)).toBe(POLICY_VIOLATION);
        expect(sandbox.modelRequests()).toBe(1);
        const decisions = chatSpans().map(s => s.attributes['axonflow.decision']);
        expect(decisions.sort()).toEqual(['allow', 'deny']);
      });

      it('governs a streamed tool loop call by call', async () => {
        const result = ai.streamText({
          model: chatModel(),
          tools: { weather: weatherTool(ai) },
          prompt: 'What is the weather in Paris?',
          stopWhen: ai.stepCountIs(2),
        });
        expect(await result.text).toContain('Sunny in Paris');
        expect(chatSpans()).toHaveLength(2);
        for (const chat of chatSpans()) {
          expect(chat.attributes['gen_ai.request.stream']).toBe(true);
          expect(childNames(chat)).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
        }
        expect(sandbox.modelRequests()).toBe(2);
      });

      it(`governs the calls ${major.agentClass} makes internally`, async () => {
        const Agent = ai[major.agentClass];
        const agent = new Agent({
          model: chatModel(),
          tools: { weather: weatherTool(ai) },
          stopWhen: ai.stepCountIs(2),
        });
        const generated = await agent.generate({ prompt: 'What is the weather in Paris?' });
        expect(generated.text).toContain('Sunny in Paris');
        expect(chatSpans()).toHaveLength(2);

        h.reset();
        const streamed = await agent.stream({ prompt: 'What is the weather in Rome?' });
        expect(await streamed.text).toContain('Sunny in Rome');
        expect(chatSpans()).toHaveLength(2);

        h.reset();
        const denied = await agent.generate({ prompt: SSN_PROMPT }).catch((e: unknown) => e);
        expect(gateCode(denied)).toBe(POLICY_VIOLATION);
        expectDenied(h.span(`chat ${MODEL}`));
        expect(sandbox.modelRequests()).toBe(4);
      });

      it('governs the model a prepareStep picks, once per call', async () => {
        const other = openai.chat('sandbox-gpt-mini');
        const result = await ai.generateText({
          model: chatModel(),
          tools: { weather: weatherTool(ai) },
          prompt: 'What is the weather in Paris?',
          stopWhen: ai.stepCountIs(2),
          prepareStep: ({ stepNumber, model: current }: { stepNumber: number; model: unknown }) =>
            stepNumber === 0 ? { model: current } : { model: other },
        });
        expect(result.steps).toHaveLength(2);
        expect(
          h
            .spans()
            .map(s => s.name)
            .filter(n => n.startsWith('chat '))
            .sort(),
        ).toEqual([`chat ${MODEL}`, 'chat sandbox-gpt-mini']);
        expect(sandbox.agentRequests()).toBe(2);
      });
    });

    describe('audit', () => {
      it('hands one audit record per model request to the audit processor, none for a deny', async () => {
        const exporter = new InMemorySpanExporter();
        const audit = new AxonFlowAuditSpanProcessor({ client });
        const provider = new TracerProvider({
          spanProcessors: [audit, new SimpleSpanProcessor({ exporter })],
        });
        h.instrumentation.setTracerProvider(provider);
        try {
          const before = sandbox.audits().length;
          await ai.generateText({
            model: chatModel(),
            tools: { weather: weatherTool(ai) },
            prompt: 'What is the weather in Paris?',
            stopWhen: ai.stepCountIs(2),
          });
          await ai.generateText({ model: chatModel(), prompt: SSN_PROMPT }).catch(() => undefined);
          await audit.forceFlush();
          const audits = sandbox.audits().slice(before);
          const chats = exporter
            .getFinishedSpans()
            .filter(
              s => s.name === `chat ${MODEL}` && s.attributes['axonflow.decision'] === 'allow',
            );
          expect(chats).toHaveLength(2);
          expect(audits.map(a => a.context_id).sort()).toEqual(
            chats.map(s => s.attributes['axonflow.context_id']).sort(),
          );
          for (const record of audits) {
            expect(record).toMatchObject({ provider: 'openai', model: MODEL });
            expect(record.token_usage.prompt_tokens).toBeGreaterThan(0);
          }
        } finally {
          h.instrumentation.setTracerProvider(h.provider);
          await provider.shutdown();
        }
      });
    });

    if (major.previousCreateOpenAI !== undefined) {
      const createPrevious = major.previousCreateOpenAI;
      describe('a model of the previous specification', () => {
        it('is governed as it is, and converted by the AI SDK itself', async () => {
          const previous = createPrevious({ baseURL: sandbox.modelUrl, apiKey: API_KEY });
          const result = await ai.generateText({ model: previous(MODEL), prompt: PROMPT });
          expect(result.text).toContain('Sandbox reply');
          expect(result.usage.inputTokens).toBeGreaterThan(0);
          const streamed = ai.streamText({ model: previous.chat(MODEL), prompt: PROMPT });
          expect(await streamed.text).toContain('Sandbox reply');
          const chats = chatSpans();
          expect(chats).toHaveLength(2);
          for (const chat of chats) {
            expect(chat.attributes['axonflow.decision']).toBe('allow');
            expect(chat.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
          }

          h.reset();
          const err = await ai
            .generateText({ model: previous(MODEL), prompt: SSN_PROMPT })
            .catch((e: unknown) => e);
          expect(gateCode(err)).toBe(POLICY_VIOLATION);
          expect(sandbox.modelRequests()).toBe(2);
        });
      });
    }

    describe('switched off and out of reach', () => {
      it('leaves calls untouched while the instrumentation is disabled', async () => {
        h.instrumentation.disable();
        const result = await ai.generateText({ model: model(), prompt: SSN_PROMPT });
        expect(result.text).toContain('Sandbox reply');
        expect(h.spans()).toHaveLength(0);
        expect(sandbox.agentRequests()).toBe(0);
        expect(sandbox.modelRequests()).toBe(1);
      });

      it('leaves a model named by id to the global provider and says so once on stderr', async () => {
        const globals = globalThis as { AI_SDK_DEFAULT_PROVIDER?: unknown };
        globals.AI_SDK_DEFAULT_PROVIDER = openai;
        resetNotices();
        const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
        try {
          const first = await ai.generateText({ model: MODEL, prompt: PROMPT });
          await ai.generateText({ model: MODEL, prompt: PROMPT });
          expect(first.text).toContain('Sandbox reply');
          const lines = stderr.mock.calls.map(c => String(c[0])).filter(l => l.includes('by id'));
          expect(lines).toHaveLength(1);
          expect(lines[0]).toMatch(/^axonflow-otel: .*"sandbox-gpt".*NOT governed/);
          expect(chatSpans()).toHaveLength(0);
          expect(sandbox.modelRequests()).toBe(2);
        } finally {
          stderr.mockRestore();
          delete globals.AI_SDK_DEFAULT_PROVIDER;
        }
      });
    });
  });
}

function hrtime(span: ReadableSpan): number {
  return span.startTime[0] * 1e9 + span.startTime[1];
}
