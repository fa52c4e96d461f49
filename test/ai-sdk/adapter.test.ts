/**
 * The AI SDK adapters on the call options and results of each specification (`LanguageModelV2`
 * of ai 5, `V3` of ai 6, `V4` of ai 7): every part of the prompt is read for the check, usage
 * and finish reasons in either shape, and nothing of an unexpected shape makes them throw. The
 * request goes through the call view and a JSON round trip, as the pipeline snapshots it.
 */
import { describe, expect, it } from 'vitest';
import {
  aiSdkEmbeddingModelAdapter,
  aiSdkEmbedView,
} from '../../src/adapters/ai-sdk-embedding-model.js';
import {
  aiSdkCallView,
  aiSdkLanguageModelAdapter,
  aiSdkProviderName,
} from '../../src/adapters/ai-sdk-language-model.js';
import { ResponseRecord, renderPrompt } from '../../src/adapters/messages.js';

const model = { provider: 'openai.responses', modelId: 'gpt-test' };
const adapter = aiSdkLanguageModelAdapter(model);

function checked(params: unknown): string {
  const snapshot = JSON.parse(JSON.stringify(aiSdkCallView(params, false)));
  return renderPrompt(adapter.input(snapshot));
}

const bytes = (text: string) => new TextEncoder().encode(text);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

describe('the prompt a check reads', () => {
  it('reads system, user, assistant and tool messages in order, system first', () => {
    const text = checked({
      prompt: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'reasoning', text: 'The user wants weather.' },
            { type: 'text', text: 'Let me check.' },
            { type: 'tool-call', toolCallId: 'c1', toolName: 'weather', input: { city: 'Paris' } },
          ],
        },
        {
          role: 'tool',
          content: [
            {
              type: 'tool-result',
              toolCallId: 'c1',
              toolName: 'weather',
              output: { type: 'json', value: { sky: 'sunny' } },
            },
          ],
        },
        { role: 'system', content: 'Answer in French.' },
      ],
    });
    expect(text.split('\n')).toEqual([
      'system: Be terse.',
      'user: Weather in Paris?',
      'assistant: The user wants weather. Let me check. [tool call weather({"city":"Paris"})]',
      'tool: {"sky":"sunny"}',
      'system: Answer in French.',
    ]);
  });

  it('reads every kind of tool output: text, errors, denials and content parts', () => {
    const result = (output: unknown) => ({
      type: 'tool-result',
      toolCallId: 'c',
      toolName: 't',
      output,
    });
    const text = checked({
      prompt: [
        {
          role: 'tool',
          content: [
            result({ type: 'text', value: 'plain' }),
            result({ type: 'error-text', value: 'it failed' }),
            result({ type: 'error-json', value: { code: 7 } }),
            result({ type: 'execution-denied', reason: 'not allowed' }),
            result({
              type: 'content',
              value: [
                { type: 'text', text: 'a chart:' },
                // V2 `media`, V3 `image-data` / `file-data`, V4 `file`.
                {
                  type: 'media',
                  data: Buffer.from('csv,data').toString('base64'),
                  mediaType: 'text/csv',
                },
                {
                  type: 'image-data',
                  data: Buffer.from(PNG).toString('base64'),
                  mediaType: 'image/png',
                },
                { type: 'file-url', url: 'https://example.com/report.pdf' },
                {
                  type: 'file',
                  mediaType: 'text/plain',
                  data: { type: 'data', data: bytes('v4 text') },
                },
              ],
            }),
            // A V1-style `result`.
            { type: 'tool-result', toolCallId: 'c', toolName: 't', result: 'legacy result' },
          ],
        },
      ],
    });
    expect(text).toBe(
      'tool: plain it failed {"code":7} [execution-denied] not allowed a chart: [file:text/csv] csv,data [image] [file:application/pdf https://example.com/report.pdf] [file:text/plain] v4 text legacy result',
    );
  });

  it('reads the text of text files, and names images, audio and binary files', () => {
    const text = checked({
      prompt: [
        {
          role: 'user',
          content: [
            // V2 / V3: bytes, a base64 string, a URL.
            {
              type: 'file',
              mediaType: 'text/plain',
              filename: 'notes.txt',
              data: bytes('SSN 123-45-6789'),
            },
            {
              type: 'file',
              mediaType: 'application/json',
              data: Buffer.from('{"a":1}').toString('base64'),
            },
            { type: 'file', mediaType: 'image/png', data: PNG },
            { type: 'file', mediaType: 'audio/wav', data: new Uint8Array([1, 2, 3]) },
            {
              type: 'file',
              mediaType: 'application/pdf',
              filename: 'scan.pdf',
              data: bytes('%PDF-1.7'),
            },
            {
              type: 'file',
              mediaType: 'application/pdf',
              data: new URL('https://example.com/a.pdf'),
            },
            // V4: tagged data.
            { type: 'file', mediaType: 'text/markdown', data: { type: 'text', text: '# Title' } },
            {
              type: 'file',
              mediaType: 'text/plain',
              data: { type: 'data', data: bytes('tagged bytes') },
            },
            {
              type: 'file',
              mediaType: 'application/pdf',
              data: { type: 'reference', reference: { openai: 'file-abc' } },
            },
            {
              type: 'file',
              mediaType: 'image/jpeg',
              data: { type: 'url', url: new URL('https://example.com/x.jpg') },
            },
          ],
        },
      ],
    });
    expect(text).toBe(
      'user: [file:text/plain notes.txt] SSN 123-45-6789 [file:application/json] {"a":1} [image] [audio] [file:application/pdf scan.pdf] [file:application/pdf https://example.com/a.pdf] [file:text/markdown] # Title [file:text/plain] tagged bytes [file:application/pdf file-abc] [image]',
    );
  });

  it('reads the strings of a part of a type it does not know, without ids or provider options', () => {
    const text = checked({
      prompt: [
        {
          role: 'assistant',
          content: [
            {
              type: 'future-part',
              toolCallId: 'id-1',
              note: 'visible text',
              providerOptions: { openai: { secret: 'not model input' } },
            },
          ],
        },
      ],
    });
    expect(text).toBe('assistant: visible text');
  });

  it('never throws on shapes it does not expect', () => {
    for (const params of [
      null,
      42,
      'x',
      { prompt: 'x' },
      { prompt: [null, 1, { role: 'user' }] },
    ]) {
      expect(() => checked(params)).not.toThrow();
    }
    expect(renderPrompt(adapter.input(undefined))).toBe('');
  });

  it('leaves tool definitions and provider options out of the checked text', () => {
    const view = aiSdkCallView(
      {
        prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
        tools: [
          {
            type: 'function',
            name: 'lookup',
            description: 'Secret tool',
            inputSchema: { type: 'object' },
          },
        ],
        providerOptions: { openai: { user: 'someone' } },
        abortSignal: new AbortController().signal,
        headers: { authorization: 'Bearer sk-never' },
      },
      false,
    );
    expect(JSON.stringify(view)).not.toContain('sk-never');
    expect(JSON.stringify(view)).not.toContain('someone');
    expect(renderPrompt(adapter.input(view))).toBe('user: hi');
    expect(adapter.toolDefinitions!(view)).toEqual([
      {
        type: 'function',
        name: 'lookup',
        description: 'Secret tool',
        parameters: { type: 'object' },
      },
    ]);
  });
});

describe('request attributes', () => {
  it('reads the model from the model object and the parameters from the call', () => {
    const view = aiSdkCallView(
      {
        prompt: [],
        maxOutputTokens: 100,
        temperature: 0.5,
        topP: 0.9,
        topK: 40,
        presencePenalty: 0.1,
        frequencyPenalty: 0.2,
        stopSequences: ['END'],
        seed: 7,
        responseFormat: { type: 'json', schema: { type: 'object' } },
      },
      true,
    );
    expect(adapter.requestAttributes(view)).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.top_k': 40,
      'gen_ai.request.presence_penalty': 0.1,
      'gen_ai.request.frequency_penalty': 0.2,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.seed': 7,
      'gen_ai.request.stream': true,
      'gen_ai.output.type': 'json',
    });
  });

  it.each([
    ['openai.chat', 'openai'],
    ['anthropic.messages', 'anthropic'],
    ['google.generative-ai', 'gcp.gemini'],
    ['google.vertex.chat', 'gcp.vertex_ai'],
    ['amazon-bedrock', 'aws.bedrock'],
    ['azure.responses', 'azure.ai.openai'],
    ['mistral.chat', 'mistral_ai'],
    ['xai.chat', 'x_ai'],
    ['ollama.chat', 'ollama'],
    [undefined, 'unknown'],
  ])('names provider %s as %s', (provider, name) => {
    expect(aiSdkProviderName(provider)).toBe(name);
  });
});

describe('results and streams', () => {
  const record = () => new ResponseRecord(1000, true);

  it('reads a V2 result: string finish reason, numeric usage', () => {
    const r = record();
    adapter.onResult(r, {
      content: [
        { type: 'text', text: 'Hello' },
        { type: 'tool-call', toolCallId: 't1', toolName: 'lookup', input: '{"q":1}' },
      ],
      finishReason: 'tool-calls',
      usage: {
        inputTokens: 5,
        outputTokens: 7,
        totalTokens: 12,
        reasoningTokens: 2,
        cachedInputTokens: 1,
      },
      response: { id: 'resp-1', modelId: 'gpt-test-2025' },
    });
    expect(r).toMatchObject({
      id: 'resp-1',
      model: 'gpt-test-2025',
      finishReasons: ['tool_call'],
      inputTokens: 5,
      outputTokens: 7,
      reasoningTokens: 2,
      cacheReadTokens: 1,
      text: 'Hello',
      toolCalls: [{ id: 't1', name: 'lookup', arguments: '{"q":1}' }],
    });
  });

  it('reads a V3 / V4 result: unified finish reason, usage objects', () => {
    const r = record();
    adapter.onResult(r, {
      content: [
        { type: 'reasoning', text: 'thinking' },
        { type: 'text', text: 'Done' },
      ],
      finishReason: { unified: 'content-filter', raw: 'content_filter' },
      usage: {
        inputTokens: { total: 10, noCache: 6, cacheRead: 3, cacheWrite: 1 },
        outputTokens: { total: 8, text: 6, reasoning: 2 },
      },
    });
    expect(r).toMatchObject({
      finishReasons: ['content_filter'],
      inputTokens: 10,
      outputTokens: 8,
      cacheReadTokens: 3,
      cacheCreationTokens: 1,
      reasoningTokens: 2,
      text: 'Done',
      reasoning: 'thinking',
    });
  });

  it('reads stream parts: metadata, deltas, tool calls and the finish', () => {
    const r = record();
    for (const part of [
      { type: 'stream-start', warnings: [] },
      { type: 'response-metadata', id: 'resp-9', modelId: 'gpt-test-9' },
      { type: 'reasoning-delta', id: 'r', delta: 'hmm' },
      { type: 'text-delta', id: 't', delta: 'Hel' },
      { type: 'text-delta', id: 't', delta: 'lo' },
      { type: 'tool-call', toolCallId: 'c', toolName: 'f', input: '{}' },
      {
        type: 'finish',
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: { inputTokens: { total: 3 }, outputTokens: { total: 2 } },
      },
    ]) {
      adapter.onChunk(r, part);
    }
    expect(r).toMatchObject({
      id: 'resp-9',
      model: 'gpt-test-9',
      text: 'Hello',
      reasoning: 'hmm',
      finishReasons: ['stop'],
      inputTokens: 3,
      outputTokens: 2,
      toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }],
    });
  });

  it('never throws on results or parts of another shape', () => {
    const r = record();
    for (const value of [
      undefined,
      null,
      42,
      'x',
      { content: 'x', usage: 'y' },
      { type: 'finish' },
    ]) {
      expect(() => adapter.onResult(r, value)).not.toThrow();
      expect(() => adapter.onChunk(r, value)).not.toThrow();
    }
  });
});

describe('embeddings', () => {
  const embeddings = aiSdkEmbeddingModelAdapter({
    provider: 'openai.embedding',
    modelId: 'embed-test',
  });

  it('checks each value as a user message and reads usage and dimensions', () => {
    const view = JSON.parse(JSON.stringify(aiSdkEmbedView({ values: ['one', { two: 2 }] })));
    expect(renderPrompt(embeddings.input(view))).toBe('user: one\nuser: {"two":2}');
    expect(embeddings.requestAttributes(view)).toEqual({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'embed-test',
    });
    const r = new ResponseRecord(100, false);
    embeddings.onResult(r, { embeddings: [[0.1, 0.2, 0.3]], usage: { tokens: 4 } });
    expect(r.inputTokens).toBe(4);
    expect(r.attributes['gen_ai.embeddings.dimension.count']).toBe(3);
  });
});
