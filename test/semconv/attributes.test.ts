/**
 * The inference span's conditional and provider-specific attributes (GenAI conventions v1.41.0,
 * gen-ai-spans.md and openai.md): `gen_ai.usage.reasoning.output_tokens`, `gen_ai.output.type`,
 * `openai.request.service_tier`, `openai.response.service_tier`,
 * `openai.response.system_fingerprint`, `gen_ai.embeddings.dimension.count`, and the finish reason
 * of a Responses call that ends with tool calls. Both lines of each SDK.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessages } from '../../src/adapters/anthropic-messages.js';
import { ResponseRecord } from '../../src/adapters/messages.js';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { DEFAULT_DIMENSIONS } from '../../src/sandbox/model/embeddings.js';
import { type Harness, setupHarness } from '../helpers/otel.js';
import { SDK_LINES } from './setup.js';

const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  },
  strict: false,
};

let sandbox: Sandbox;
let client: AxonFlowClient;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
});

afterAll(async () => {
  await client.close();
  await sandbox.close();
});

describe.each(SDK_LINES)('$name', line => {
  let h: Harness;

  beforeAll(() => {
    h = setupHarness({ client }, { openai: line.openai, anthropic: line.anthropic });
  });

  afterAll(async () => {
    await h.close();
  });

  beforeEach(() => {
    h.reset();
    h.instrumentation.setConfig({ client });
  });

  afterEach(() => {
    for (const s of h.spans()) expect(s.ended).toBe(true);
  });

  function openai(): any {
    const OpenAI = line.openai.default as any;
    return new OpenAI({ apiKey: 'sk-test', baseURL: sandbox.modelUrl, maxRetries: 0 });
  }

  describe('chat.completions', () => {
    it('reports reasoning tokens, the requested and served service tier, the system fingerprint and a json output type', async () => {
      const res = await openai().chat.completions.create({
        model: 'attrs-gpt',
        messages: [{ role: 'user', content: 'Reply with a JSON object' }],
        reasoning_effort: 'low',
        service_tier: 'auto',
        response_format: { type: 'json_object' },
      });
      expect(res.usage.completion_tokens_details.reasoning_tokens).toBe(16);
      expect(h.span('chat attrs-gpt').attributes).toMatchObject({
        'gen_ai.usage.output_tokens': res.usage.completion_tokens,
        'gen_ai.usage.reasoning.output_tokens': 16,
        'openai.request.service_tier': 'auto',
        'openai.response.service_tier': 'default',
        'openai.response.system_fingerprint': 'fp_sandbox',
        'gen_ai.output.type': 'json',
      });
    });

    it('reads the same from a stream: tiers and fingerprint from the chunks, reasoning from the usage chunk, text output type', async () => {
      const stream = await openai().chat.completions.create({
        model: 'attrs-gpt-stream',
        messages: [{ role: 'user', content: 'Say something plain' }],
        stream: true,
        stream_options: { include_usage: true },
        reasoning_effort: 'medium',
        service_tier: 'flex',
        response_format: { type: 'text' },
      });
      for await (const _ of stream) {
        // Read to the end.
      }
      expect(h.span('chat attrs-gpt-stream').attributes).toMatchObject({
        'gen_ai.request.stream': true,
        'gen_ai.usage.reasoning.output_tokens': 32,
        'openai.request.service_tier': 'flex',
        'openai.response.service_tier': 'flex',
        'openai.response.system_fingerprint': 'fp_sandbox',
        'gen_ai.output.type': 'text',
      });
    });

    it('sets no output type, service tier or reasoning count that the call did not have, and keeps the fingerprint', async () => {
      await openai().chat.completions.create({
        model: 'attrs-gpt-plain',
        messages: [{ role: 'user', content: 'Hello there' }],
      });
      const { attributes } = h.span('chat attrs-gpt-plain');
      expect(attributes['openai.response.system_fingerprint']).toBe('fp_sandbox');
      for (const key of [
        'gen_ai.output.type',
        'openai.request.service_tier',
        'openai.response.service_tier',
        'gen_ai.usage.reasoning.output_tokens',
      ]) {
        expect(attributes[key]).toBeUndefined();
      }
    });
  });

  describe('responses', () => {
    it('reports reasoning tokens from output_tokens_details, the service tiers and a json output type from text.format', async () => {
      const res = await openai().responses.create({
        model: 'attrs-resp',
        input: 'Reply with a JSON object',
        reasoning: { effort: 'high' },
        service_tier: 'priority',
        text: {
          format: { type: 'json_schema', name: 'reply', schema: { type: 'object' }, strict: false },
        },
      });
      expect(res.usage.output_tokens_details.reasoning_tokens).toBe(64);
      expect(h.span('chat attrs-resp').attributes).toMatchObject({
        'gen_ai.usage.output_tokens': res.usage.output_tokens,
        'gen_ai.usage.reasoning.output_tokens': 64,
        'openai.request.service_tier': 'priority',
        'openai.response.service_tier': 'priority',
        'gen_ai.output.type': 'json',
        'gen_ai.response.finish_reasons': ['stop'],
      });
    });

    it('finishes a response that returns function calls with tool_call, not stop', async () => {
      const res = await openai().responses.create({
        model: 'attrs-resp-tool',
        input: 'What is the weather in Paris?',
        tools: [WEATHER_TOOL],
      });
      expect(res.output.map((item: { type: string }) => item.type)).toEqual(['function_call']);
      expect(h.span('chat attrs-resp-tool').attributes['gen_ai.response.finish_reasons']).toEqual([
        'tool_call',
      ]);
    });

    it('finishes a streamed response that returns function calls with tool_call', async () => {
      const stream = await openai().responses.create({
        model: 'attrs-resp-tool-stream',
        input: 'What is the weather in Rome?',
        tools: [WEATHER_TOOL],
        stream: true,
      });
      for await (const _ of stream) {
        // Read to the end.
      }
      expect(
        h.span('chat attrs-resp-tool-stream').attributes['gen_ai.response.finish_reasons'],
      ).toEqual(['tool_call']);
    });
  });

  describe('embeddings', () => {
    it('reports gen_ai.embeddings.dimension.count, from the vectors (base64 on the wire, or floats) and from dimensions', async () => {
      const api = openai();
      await api.embeddings.create({ model: 'attrs-embed-default', input: 'hello' });
      await api.embeddings.create({
        model: 'attrs-embed-float',
        input: ['hello', 'world'],
        encoding_format: 'float',
      });
      await api.embeddings.create({ model: 'attrs-embed-16', input: 'hello', dimensions: 16 });
      const count = (model: string) =>
        h.span(`embeddings ${model}`).attributes['gen_ai.embeddings.dimension.count'];
      expect(count('attrs-embed-default')).toBe(DEFAULT_DIMENSIONS);
      expect(count('attrs-embed-float')).toBe(DEFAULT_DIMENSIONS);
      expect(count('attrs-embed-16')).toBe(16);
    });
  });

  describe('anthropic messages', () => {
    /** A provider that reports extended thinking, which the sandbox model does not do. */
    function thinkingAnthropic(): any {
      const Anthropic = line.anthropic.default as any;
      const fetch = async () =>
        new Response(
          JSON.stringify({
            id: 'msg_thinking',
            type: 'message',
            role: 'assistant',
            model: 'attrs-claude',
            content: [{ type: 'text', text: '{"answer": 42}' }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: {
              input_tokens: 12,
              output_tokens: 40,
              cache_creation_input_tokens: 0,
              cache_read_input_tokens: 0,
              output_tokens_details: { thinking_tokens: 25 },
            },
          }),
          { status: 200, headers: { 'content-type': 'application/json', 'request-id': 'req_t' } },
        );
      return new Anthropic({
        apiKey: 'sk-ant-test',
        baseURL: 'http://127.0.0.1:9',
        maxRetries: 0,
        fetch,
        openTelemetry: false,
      });
    }

    it('reports reasoning tokens from usage.output_tokens_details.thinking_tokens when the API sends them, none when it does not (the sandbox model), and a json output type for output_config.format only', async () => {
      await thinkingAnthropic().messages.create({
        model: 'attrs-claude',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Think, then answer in JSON' }],
        output_config: { format: { type: 'json_schema', schema: { type: 'object' } } },
      });
      expect(h.span('chat attrs-claude').attributes).toMatchObject({
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 40,
        'gen_ai.usage.reasoning.output_tokens': 25,
        'gen_ai.output.type': 'json',
      });

      const Anthropic = line.anthropic.default as any;
      const sandboxed = new Anthropic({
        apiKey: 'sk-ant-test',
        baseURL: sandbox.url,
        maxRetries: 0,
        openTelemetry: false,
      });
      await sandboxed.messages.create({
        model: 'attrs-claude-plain',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hello' }],
      });
      const { attributes } = h.span('chat attrs-claude-plain');
      expect(attributes['gen_ai.usage.output_tokens']).toEqual(expect.any(Number));
      expect(attributes['gen_ai.usage.reasoning.output_tokens']).toBeUndefined();
      expect(attributes['gen_ai.output.type']).toBeUndefined();
    });
  });
});

describe('anthropic stream events', () => {
  it('reads thinking tokens from the cumulative usage of message_delta', () => {
    const record = new ResponseRecord(0, false);
    anthropicMessages.onChunk(record, {
      type: 'message_start',
      message: { id: 'msg_1', model: 'm', usage: { input_tokens: 5, output_tokens: 1 } },
    });
    anthropicMessages.onChunk(record, {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: 30, output_tokens_details: { thinking_tokens: 18 } },
    });
    expect(record.outputTokens).toBe(30);
    expect(record.reasoningTokens).toBe(18);
  });
});
