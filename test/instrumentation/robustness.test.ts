/**
 * Edge cases found by fuzzing and the soak: derived SDK promises, hostile indices on the wire,
 * and requests our code cannot read.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import OpenAI from 'openai';
import { makeParseableTextFormat } from 'openai/lib/parser';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessages } from '../../src/adapters/anthropic-messages.js';
import { ResponseRecord } from '../../src/adapters/messages.js';
import { openaiChat } from '../../src/adapters/openai-chat.js';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

const MODEL = 'sandbox-gpt';
let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;
let openai: OpenAI;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
  h = setupHarness({ client });
  openai = new OpenAI({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0 });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => h.reset());

describe('derived SDK promises', () => {
  it('traces chat.completions.parse() and ends its span with the usage', async () => {
    const parsed = await openai.chat.completions.parse({
      model: MODEL,
      messages: [{ role: 'user', content: 'What is the capital of France?' }],
    });
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes['gen_ai.usage.output_tokens']).toBe(parsed.usage?.completion_tokens);
    expect(chat.attributes['axonflow.decision']).toBe('allow');
  });

  it('keeps responses.parse() working: the gate snapshot keeps the text format parser the helper reads back', async () => {
    const format = makeParseableTextFormat(
      { type: 'json_schema', name: 'echo', schema: { type: 'object' }, strict: false },
      (content: string) => ({ echoed: content }),
    );
    const parsed = await openai.responses.parse({
      model: MODEL,
      input: 'Say hello',
      text: { format },
    });
    expect(parsed.output_parsed).toEqual({ echoed: expect.stringContaining('Say hello') });
    expect(h.span(`chat ${MODEL}`).attributes['axonflow.decision']).toBe('allow');
  });

  it('traces responses.stream() to the end of its events', async () => {
    const stream = openai.responses.stream({ model: MODEL, input: 'Write a haiku about rain' });
    for await (const _ of stream) {
      // drain
    }
    const final = await stream.finalResponse();
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes['gen_ai.response.id']).toBe(final.id);
  });
});

describe('hostile wire values', () => {
  it('ignores huge choice and block indices instead of growing arrays to them', () => {
    const record = new ResponseRecord(100, true);
    const started = performance.now();
    openaiChat.onChunk(record, {
      choices: [
        {
          index: 4294967294,
          finish_reason: 'stop',
          delta: { tool_calls: [{ index: 1e9, function: { name: 'x' } }] },
        },
      ],
    });
    anthropicMessages.onChunk(record, {
      type: 'content_block_start',
      index: 2 ** 31,
      content_block: { type: 'tool_use', id: 't', name: 'x' },
    });
    expect(record.finishReasons.length).toBeLessThanOrEqual(128);
    expect(record.toolCalls?.length ?? 0).toBeLessThanOrEqual(128);
    // A deadline, not a benchmark: the bug took seconds to minutes.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('unreadable requests', () => {
  it('ends the span it started when the request cannot be read', async () => {
    let started = 0;
    let ended = 0;
    const counting: SpanProcessor = {
      onStart: (_s: Span, _c: Context) => void started++,
      onEnd: (_s: ReadableSpan) => void ended++,
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const provider = new TracerProvider({ spanProcessors: [counting] });
    h.instrumentation.setTracerProvider(provider);
    try {
      const err = await openai.chat.completions.create({ model: MODEL } as never).catch(e => e);
      expect(err).toBeInstanceOf(Error);
      expect(started).toBeGreaterThan(0);
      expect(ended).toBe(started);
    } finally {
      h.instrumentation.setTracerProvider(h.provider);
      await provider.shutdown();
    }
  });
});
