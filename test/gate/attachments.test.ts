/**
 * The gate holds: the pre-check sees every part the provider will see. Text inside attachments
 * (Anthropic documents with a text or content source, search results, tool results that carry
 * them; OpenAI file parts whose inline data is text, Responses input files) is checked like any
 * message text; binary attachments are named by a placeholder (`[file:application/pdf …]`,
 * `[document:application/pdf]`) and not decoded.
 *
 * Each case runs on the current and the previous major of the SDK, against the sandbox (whose
 * agent denies a prompt holding an SSN); a spy on the client records the text of each pre-check.
 */
import Anthropic from '@anthropic-ai/sdk';
import * as anthropicV0 from 'anthropic-sdk-v0';
import OpenAI from 'openai';
import * as openaiV6 from 'openai-v6';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient, PolicyViolationError } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

const SSN_TEXT = 'Customer record: SSN 123-45-6789, account closed.';
const SSN_DIGITS = '123-45-6789';
const ASK = 'Please summarise the attachment';
/** A few bytes of a PDF: its magic, then binary. */
const PDF = Buffer.concat([
  Buffer.from('%PDF-1.7\n'),
  Buffer.from([0x00, 0xe2, 0xe3, 0xcf, 0xd3, 0x0a, 0x01, 0x02, 0xff]),
]).toString('base64');
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

let sandbox: Sandbox;
let client: AxonFlowClient;
let current: Harness;
let previous: Harness;
/** Text of each pre-check, in order. */
let checked: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    retry: { maxAttempts: 1 },
    cache: { enabled: false },
  });
  const preCheck = client.preCheck.bind(client);
  client.preCheck = request => {
    checked.push(request.query);
    return preCheck(request);
  };
  current = setupHarness({ client });
  previous = setupHarness({ client }, { openai: openaiV6, anthropic: anthropicV0 });
});

afterAll(async () => {
  await current.close();
  await previous.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  current.reset();
  previous.reset();
  sandbox.resetCounters();
  checked = [];
});

afterEach(() => {
  for (const s of [...current.spans(), ...previous.spans()]) expect(s.ended).toBe(true);
});

async function expectDenied(pending: Promise<unknown>): Promise<void> {
  const err = await pending.catch(e => e);
  expect(err).toBeInstanceOf(PolicyViolationError);
  expect(sandbox.modelRequests()).toBe(0);
  expect(checked).toHaveLength(1);
  expect(checked[0]).toContain(SSN_DIGITS);
}

describe.each([
  { name: '@anthropic-ai/sdk 1.x', AnthropicClass: Anthropic as any },
  { name: '@anthropic-ai/sdk 0.x', AnthropicClass: anthropicV0.default as any },
])('$name', ({ AnthropicClass }) => {
  const send = (content: unknown[]) =>
    new AnthropicClass({
      apiKey: 'k',
      baseURL: sandbox.url,
      maxRetries: 0,
      openTelemetry: false,
    }).messages.create({
      model: 'gate-claude',
      max_tokens: 64,
      messages: [{ role: 'user', content }],
    });
  const text = (t: string) => ({ type: 'text', text: t });

  it('denies an SSN inside a document with a text source; the model is never called', async () => {
    await expectDenied(
      send([
        {
          type: 'document',
          source: { type: 'text', media_type: 'text/plain', data: SSN_TEXT },
          title: 'Customer notes',
        },
        text(ASK),
      ]),
    );
  });

  it('denies an SSN inside a document with a content source of text blocks', async () => {
    await expectDenied(
      send([
        {
          type: 'document',
          source: { type: 'content', content: [text('Chapter one.'), text(SSN_TEXT)] },
        },
        text(ASK),
      ]),
    );
  });

  it("denies an SSN in a document's title and context", async () => {
    await expectDenied(
      send([
        {
          type: 'document',
          source: { type: 'text', media_type: 'text/plain', data: 'Nothing personal here.' },
          title: SSN_TEXT,
        },
        text(ASK),
      ]),
    );
    checked = [];
    await expectDenied(
      send([
        {
          type: 'document',
          source: { type: 'text', media_type: 'text/plain', data: 'Nothing personal here.' },
          context: SSN_TEXT,
        },
        text(ASK),
      ]),
    );
  });

  it('denies an SSN inside the content of a search_result block', async () => {
    await expectDenied(
      send([
        {
          type: 'search_result',
          source: 'https://kb.example.com/customers',
          title: 'Customer knowledge base',
          content: [text(SSN_TEXT)],
        },
        text(ASK),
      ]),
    );
  });

  it('denies an SSN in the title of a search_result block', async () => {
    await expectDenied(
      send([
        {
          type: 'search_result',
          source: 'https://kb.example.com/customers',
          title: SSN_TEXT,
          content: [text('Nothing personal here.')],
        },
        text(ASK),
      ]),
    );
  });

  it('denies an SSN in a search result or a document returned inside a tool_result', async () => {
    const toolTurn = (content: unknown[]) =>
      new AnthropicClass({
        apiKey: 'k',
        baseURL: sandbox.url,
        maxRetries: 0,
        openTelemetry: false,
      }).messages.create({
        model: 'gate-claude',
        max_tokens: 64,
        messages: [
          { role: 'user', content: 'Look the customer up' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'toolu_1', name: 'search', input: {} }],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content }] },
        ],
      });
    await expectDenied(
      toolTurn([
        {
          type: 'search_result',
          source: 'https://kb.example.com/customers',
          title: 'Customer knowledge base',
          content: [text(SSN_TEXT)],
        },
      ]),
    );
    checked = [];
    await expectDenied(
      toolTurn([
        { type: 'document', source: { type: 'text', media_type: 'text/plain', data: SSN_TEXT } },
      ]),
    );
  });

  it('names a base64 PDF document [document:application/pdf] in the checked text, undecoded, and lets the call through', async () => {
    const message = await send([
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } },
      text(ASK),
    ]);
    expect(message.content.length).toBeGreaterThan(0);
    expect(sandbox.modelRequests()).toBe(1);
    expect(checked).toHaveLength(1);
    expect(checked[0]).toContain('[document:application/pdf]');
    expect(checked[0]).not.toContain(PDF.slice(0, 12));
  });
});

describe.each([
  { name: 'openai 7', OpenAIClass: OpenAI as any },
  { name: 'openai 6', OpenAIClass: openaiV6.default as any },
])('$name', ({ OpenAIClass }) => {
  const openai = () => new OpenAIClass({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0 });
  const chat = (content: unknown[], extra: object = {}) =>
    openai().chat.completions.create({
      model: 'gate-gpt',
      messages: [{ role: 'user', content }],
      ...extra,
    });
  const file = (file: object) => ({ type: 'file', file });
  const ask = { type: 'text', text: ASK };

  it('denies an SSN inside a chat file part whose data is a text/plain base64 data URL; the model is never called', async () => {
    await expectDenied(
      chat([
        file({ filename: 'notes.txt', file_data: `data:text/plain;base64,${base64(SSN_TEXT)}` }),
        ask,
      ]),
    );
  });

  it('denies an SSN inside a chat file part of plain base64 text (notes.txt)', async () => {
    await expectDenied(chat([file({ filename: 'notes.txt', file_data: base64(SSN_TEXT) }), ask]));
  });

  it('denies an SSN inside a chat file part whose data is the text itself', async () => {
    await expectDenied(chat([file({ file_data: SSN_TEXT }), ask]));
  });

  it('denies an SSN inside a Responses input_file with a text/plain data URL', async () => {
    await expectDenied(
      openai().responses.create({
        model: 'gate-gpt',
        input: [
          {
            role: 'user',
            content: [
              {
                type: 'input_file',
                filename: 'notes.txt',
                file_data: `data:text/plain;base64,${base64(SSN_TEXT)}`,
              },
              { type: 'input_text', text: ASK },
            ],
          },
        ],
      }),
    );
  });

  it("denies an SSN in a stored prompt's variables", async () => {
    await expectDenied(
      openai().responses.create({
        model: 'gate-gpt',
        prompt: { id: 'pmpt_gate', variables: { customer: SSN_TEXT } },
      }),
    );
  });

  it('denies an SSN in Predicted Outputs content', async () => {
    await expectDenied(chat([ask], { prediction: { type: 'content', content: SSN_TEXT } }));
  });

  it('names a binary PDF file part [file:application/pdf report.pdf] in the checked text, undecoded, and lets the call through', async () => {
    const completion = await chat([
      file({ filename: 'report.pdf', file_data: `data:application/pdf;base64,${PDF}` }),
      ask,
    ]);
    expect(completion.choices).toHaveLength(1);
    expect(sandbox.modelRequests()).toBe(1);
    expect(checked).toHaveLength(1);
    expect(checked[0]).toContain('[file:application/pdf report.pdf]');
    expect(checked[0]).not.toContain(PDF.slice(0, 12));
  });
});
