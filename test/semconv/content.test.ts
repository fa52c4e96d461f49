/**
 * Content capture (opt-in) by the GenAI conventions: one output message per choice, reasoning
 * parts, `gen_ai.tool.definitions`, and attributes that stay valid JSON when they are cut to
 * `maxCapturedContentChars`.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessages } from '../../src/adapters/anthropic-messages.js';
import { capJson, ResponseRecord } from '../../src/adapters/messages.js';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;
let openai: OpenAI;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
  h = setupHarness({ client, captureMessageContent: true });
  openai = new OpenAI({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0 });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  h.reset();
  h.instrumentation.setConfig({ client, captureMessageContent: true });
});

describe('content capture', () => {
  it('records one output message per choice, each with its finish reason', async () => {
    const completion = await openai.completions.create({
      model: 'two-prompts',
      prompt: ['Say hello', 'Say goodbye'],
    });
    expect(completion.choices).toHaveLength(2);
    const span = h.span('text_completion two-prompts');
    const output = JSON.parse(String(span.attributes['gen_ai.output.messages']));
    expect(output).toEqual(
      completion.choices.map(choice => ({
        role: 'assistant',
        parts: [{ type: 'text', content: choice.text }],
        finish_reason: choice.finish_reason,
      })),
    );
  });

  it('records the tools a request offers as gen_ai.tool.definitions', async () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' } } };
    await openai.chat.completions.create({
      model: 'tools',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters } },
      ],
    });
    const span = h.span('chat tools');
    expect(JSON.parse(String(span.attributes['gen_ai.tool.definitions']))).toEqual([
      { type: 'function', name: 'get_weather', description: 'Weather', parameters },
    ]);
  });

  it('keeps captured attributes valid JSON when they are cut to maxCapturedContentChars', async () => {
    h.instrumentation.setConfig({
      client,
      captureMessageContent: true,
      maxCapturedContentChars: 200,
    });
    const long = 'word '.repeat(400);
    await openai.chat.completions.create({
      model: 'long',
      messages: [
        { role: 'system', content: long },
        { role: 'user', content: long },
      ],
    });
    const span = h.span('chat long');
    for (const key of ['gen_ai.input.messages', 'gen_ai.output.messages']) {
      const value = String(span.attributes[key]);
      expect(value.length).toBeLessThanOrEqual(200);
      expect(() => JSON.parse(value)).not.toThrow();
    }
    expect(String(span.attributes['gen_ai.input.messages'])).toContain('…[truncated]');
  });

  it('capJson cuts the longest strings first and drops trailing items only when it must', () => {
    const value = [
      { role: 'user', parts: [{ type: 'text', content: 'a'.repeat(500) }] },
      { role: 'user', parts: [{ type: 'text', content: 'short' }] },
    ];
    const cut = JSON.parse(capJson(value, 150));
    expect(cut).toHaveLength(2);
    expect(cut[1].parts[0].content).toBe('short');
    expect(cut[0].parts[0].content).toMatch(/^a+…\[truncated\]$/);
    expect(capJson(value, 10_000)).toBe(JSON.stringify(value));
    expect(JSON.parse(capJson(value, 30))).toEqual([]);
  });

  it('records Anthropic thinking as a reasoning part before the text', () => {
    const record = new ResponseRecord(1_000, true);
    anthropicMessages.onResult(record, {
      content: [
        { type: 'thinking', thinking: 'The user greets; answer briefly.' },
        { type: 'text', text: 'Hello!' },
      ],
      stop_reason: 'end_turn',
    });
    expect(record.outputMessages()).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'reasoning', content: 'The user greets; answer briefly.' },
          { type: 'text', content: 'Hello!' },
        ],
        finish_reason: 'end_turn',
      },
    ]);
  });
});
