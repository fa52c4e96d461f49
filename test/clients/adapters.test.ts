/**
 * The Bedrock, Mistral and Cohere adapters on their own: they read every JSON value without
 * throwing (a throw would let a call through unchecked), never change what they are given, and
 * check every part the model reads in the shapes the sandbox does not send.
 */
import { describe, expect, it } from 'vitest';
import type { CallAdapter } from '../../src/adapters/adapter.js';
import {
  bedrockConverse,
  bedrockConverseStream,
  converseRequestView,
} from '../../src/adapters/bedrock-converse.js';
import { bedrockInvokeAdapter, invokeRequest } from '../../src/adapters/bedrock-invoke.js';
import { cohereChat, cohereChatStream, cohereEmbed } from '../../src/adapters/cohere-chat.js';
import { ResponseRecord, renderPrompt } from '../../src/adapters/messages.js';
import {
  mistralChat,
  mistralChatStream,
  mistralEmbeddings,
} from '../../src/adapters/mistral-chat.js';

const ODD: unknown[] = [
  undefined,
  null,
  0,
  'text',
  [],
  {},
  [null, 1, 'x', [[]]],
  { messages: 'x', system: 7, model: {}, body: [1] },
  { messages: [null, 1, { role: {}, content: { text: 5 } }, { content: [null, { toolUse: 1 }] }] },
  { messages: [{ role: 'user', content: [{ document: { source: { bytes: 5 } } }] }] },
  { messages: [{ content: [{ type: 'document_url', documentUrl: 5 }, { type: 'thinking' }] }] },
  { messages: [{ role: 'tool', content: [{ type: 'document', document: null }] }] },
  { choices: [{ index: 'x', delta: null }], usage: { promptTokens: 'x' } },
  { output: { message: { content: [{ toolUse: null }] } }, usage: [] },
  { chunk: { bytes: new Uint8Array([0xff, 0xfe]) } },
  { chunk: { bytes: new TextEncoder().encode('{"type":"message_delta","usage":7}') } },
  { body: new TextEncoder().encode('not json'), headers: null },
  { type: 'message-end', delta: { usage: { tokens: 'x' } } },
];

const INVOKE = [
  bedrockInvokeAdapter(invokeRequest({ modelId: 'anthropic.claude' }, undefined), false),
  bedrockInvokeAdapter(invokeRequest({ modelId: 'x' }, '{"inputText":"a"}'), true),
  bedrockInvokeAdapter(invokeRequest({ modelId: 'amazon.titan-embed-text-v2:0' }, '{}'), false),
];

const ADAPTERS: Array<[string, CallAdapter]> = [
  ['bedrock converse', bedrockConverse],
  ['bedrock converse stream', bedrockConverseStream],
  ...INVOKE.map((a, i): [string, CallAdapter] => [`bedrock invoke ${i}`, a]),
  ['mistral chat', mistralChat],
  ['mistral chat stream', mistralChatStream],
  ['mistral embeddings', mistralEmbeddings],
  ['cohere chat', cohereChat],
  ['cohere chat stream', cohereChatStream],
  ['cohere embed', cohereEmbed],
];

describe.each(ADAPTERS)('%s', (_name, adapter) => {
  it('reads any JSON value without throwing and without changing it', () => {
    for (const value of ODD) {
      const before = JSON.stringify(value);
      const record = new ResponseRecord(100, true);
      expect(() => {
        renderPrompt(adapter.input(value));
        adapter.requestAttributes(value);
        adapter.toolDefinitions?.(value);
        adapter.onResult(record, value);
        adapter.onChunk(record, value);
      }).not.toThrow();
      expect(JSON.stringify(value)).toBe(before);
    }
  });
});

const prompt = (adapter: CallAdapter, body: unknown) => renderPrompt(adapter.input(body));

describe('Bedrock Converse input', () => {
  it('reads text documents, names binary ones and media, and leaves their bytes out of the view', () => {
    const input = {
      modelId: 'm',
      messages: [
        {
          role: 'user',
          content: [
            {
              document: { format: 'md', name: 'notes', source: { bytes: Buffer.from('# Notes') } },
            },
            { document: { format: 'pdf', name: 'report', source: { bytes: new Uint8Array(9) } } },
            { document: { format: 'txt', name: 'inline', source: { text: 'inline text' } } },
            { image: { format: 'png', source: { bytes: new Uint8Array(4096) } } },
            { video: { format: 'mp4', source: { s3Location: { uri: 's3://b/v.mp4' } } } },
            { guardContent: { text: { text: 'guarded' } } },
            { searchResult: { title: 'T', source: 'S', content: [{ text: 'found' }] } },
          ],
        },
      ],
      promptVariables: { name: { text: 'Ada' } },
    };
    const view = converseRequestView(input) as any;
    expect(view.messages[0].content[3].image.source.bytes).toBeUndefined();
    expect(view.messages[0].content[1].document.source.bytes).toBeUndefined();
    expect(prompt(bedrockConverse, view)).toBe(
      [
        'user: [document:text/markdown notes] # Notes [document:application/pdf report] ' +
          '[document:text/plain inline] inline text [image:image/png] ' +
          '[video:video/mp4 s3://b/v.mp4] guarded T S found',
        'user: Ada',
      ].join('\n'),
    );
  });
});

describe('Bedrock InvokeModel input', () => {
  const read = (modelId: string, body: unknown) => {
    const request = invokeRequest({ modelId }, JSON.stringify(body));
    return prompt(bedrockInvokeAdapter(request, false), request);
  };

  it('reads Cohere Command R history, documents and message', () => {
    expect(
      read('cohere.command-r-plus-v1:0', {
        preamble: 'Be brief',
        chat_history: [{ role: 'CHATBOT', message: 'Hi' }],
        documents: [{ title: 'Doc', snippet: 'facts' }],
        message: 'Question',
      }),
    ).toBe('system: Be brief\nassistant: Hi\ndocuments: Doc facts\nuser: Question');
  });

  it("reads Claude's legacy text-completion prompt", () => {
    expect(read('anthropic.claude-v2', { prompt: '\n\nHuman: Hello\n\nAssistant:' })).toContain(
      'Human: Hello',
    );
  });

  it('reads Mistral chat messages', () => {
    expect(
      read('mistral.mistral-large-2407-v1:0', { messages: [{ role: 'user', content: 'Hi' }] }),
    ).toBe('user: Hi');
  });

  it('falls back to every string of a body its family reader does not know', () => {
    expect(read('meta.llama3-8b-instruct-v1:0', { inputs: [{ text: 'odd shape' }] })).toBe(
      'user: odd shape',
    );
  });

  it('names a body it cannot read without consuming it', () => {
    const request = invokeRequest({ modelId: 'm' }, undefined, 'stream');
    expect(prompt(bedrockInvokeAdapter(request, false), request)).toBe('user: [stream]');
  });
});
