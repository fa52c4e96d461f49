/**
 * The sandbox model's further Anthropic-compatible endpoints — token counting, beta messages,
 * legacy text completions and message batches — driven by the real client SDKs
 * (@anthropic-ai/sdk 1.x, 0.137 and 0.24) over loopback, checking that replies parse, are
 * deterministic, agree with `messages.create` on the same prompt, and count as model requests.
 */
import Anthropic from '@anthropic-ai/sdk';
import AnthropicV0 from 'anthropic-sdk-v0';
import AnthropicV024 from 'anthropic-sdk-v024';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/sandbox/model/tokenizer.js';
import { postJson, useSandbox } from './support/sandbox.js';

const sandbox = useSandbox();
/** Every URL the clients asked for, so tests can see the query strings the SDKs add. */
const requested: string[] = [];
const recordingFetch: typeof fetch = (input, init) => {
  requested.push(input instanceof Request ? input.url : String(input));
  return fetch(input, init);
};
const options = () => ({
  apiKey: 'sk-ant-sandbox',
  baseURL: sandbox().url,
  maxRetries: 0,
  fetch: recordingFetch,
});
const client = () => new Anthropic(options());
const clientV0 = () => new AnthropicV0(options());
const clientV024 = () =>
  new AnthropicV024({ apiKey: 'sk-ant-sandbox', baseURL: sandbox().url, maxRetries: 0 });

const conversation = {
  system: 'Be brief.',
  messages: [{ role: 'user' as const, content: 'What is the capital of France?' }],
};

/** The text `messages.create` answers a single user turn with: what every dialect agrees on. */
async function messageText(prompt: string): Promise<string> {
  const msg = await client().messages.create({
    model: 'm',
    max_tokens: 256,
    messages: [{ role: 'user', content: prompt }],
  });
  const block = msg.content[0];
  if (block?.type !== 'text') throw new Error('expected text');
  return block.text;
}

describe('messages.countTokens', () => {
  it('counts what messages.create reports as input tokens (1.x and 0.137)', async () => {
    const before = sandbox().modelRequests();
    const counted = await client().messages.countTokens({
      model: 'claude-sonnet-4-5',
      ...conversation,
    });
    expect(sandbox().modelRequests()).toBe(before + 1);
    const msg = await client().messages.create({ model: 'm', max_tokens: 64, ...conversation });
    expect(counted).toEqual({ input_tokens: msg.usage.input_tokens });
    expect(counted.input_tokens).toBe(
      countTokens('Be brief.') + countTokens('What is the capital of France?'),
    );
    expect(await clientV0().messages.countTokens({ model: 'm', ...conversation })).toEqual(counted);
  });

  it('answers beta count_tokens the same way, ?beta=true (0.137) or not (1.x)', async () => {
    const expected = countTokens('Be brief.') + countTokens('What is the capital of France?');
    requested.length = 0;
    const v0 = await clientV0().beta.messages.countTokens({ model: 'm', ...conversation });
    expect(requested).toEqual([`${sandbox().url}/v1/messages/count_tokens?beta=true`]);
    expect(v0.input_tokens).toBe(expected);
    const v1 = await client().beta.messages.countTokens({ model: 'm', ...conversation });
    expect(v1.input_tokens).toBe(expected);
  });

  it('refuses a request without messages, in Anthropic shape', async () => {
    const raw = await postJson(`${sandbox().url}/v1/messages/count_tokens`, { model: 'm' });
    expect(raw.status).toBe(400);
    expect(raw.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});

describe('beta.messages.create', () => {
  it('answers like messages.create, ?beta=true (0.137) or not (1.x)', async () => {
    const expected = await messageText('Tell me about otters');
    const params = {
      model: 'm',
      max_tokens: 256,
      messages: [{ role: 'user' as const, content: 'Tell me about otters' }],
    };
    // 0.137 marks beta calls with the query; 1.x with the anthropic-beta header only.
    for (const [create, path] of [
      [() => client().beta.messages.create(params), '/v1/messages'],
      [() => clientV0().beta.messages.create(params), '/v1/messages?beta=true'],
    ] as const) {
      requested.length = 0;
      const before = sandbox().modelRequests();
      const msg = await create();
      expect(sandbox().modelRequests()).toBe(before + 1);
      expect(requested).toEqual([`${sandbox().url}${path}`]);
      expect(msg.content[0]).toMatchObject({ type: 'text', text: expected });
    }
  });

  it('streams beta messages', async () => {
    const stream = client().beta.messages.stream({
      model: 'm',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Tell me about otters' }],
    });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({
      type: 'text',
      text: await messageText('Tell me about otters'),
    });
  });
});

describe('completions (legacy Text Completions)', () => {
  const prompt = (text: string) => `\n\nHuman: ${text}\n\nAssistant:`;

  it('completes a Human/Assistant prompt with the messages reply (0.137 and 0.24)', async () => {
    const expected = await messageText('What is the capital of France?');
    const params = {
      model: 'claude-2.1',
      max_tokens_to_sample: 256,
      prompt: prompt('What is the capital of France?'),
    };
    for (const create of [
      () => clientV0().completions.create(params),
      () => clientV024().completions.create(params),
    ]) {
      const before = sandbox().modelRequests();
      const res = await create();
      expect(sandbox().modelRequests()).toBe(before + 1);
      expect(res).toMatchObject({
        type: 'completion',
        completion: ` ${expected}`,
        stop_reason: 'stop_sequence',
        model: 'claude-2.1',
      });
      expect(res.id).toMatch(/^compl_/);
    }
  });

  it('keeps a system text and earlier turns, and stops at max_tokens_to_sample', async () => {
    const res = await clientV0().completions.create({
      model: 'm',
      max_tokens_to_sample: 2,
      prompt: `Be brief.${prompt('hi')}Hello!\n\nHuman: tell me more\n\nAssistant:`,
    });
    expect(res).toMatchObject({ completion: ' Sandbox reply', stop_reason: 'max_tokens' });
  });

  it('streams completion events, the last with the stop reason (0.137 and 0.24)', async () => {
    const expected = await messageText('Write a haiku about the sea');
    const params = {
      model: 'm',
      max_tokens_to_sample: 256,
      prompt: prompt('Write a haiku about the sea'),
      stream: true as const,
    };
    for (const open of [
      () => clientV0().completions.create(params),
      () => clientV024().completions.create(params),
    ]) {
      const stream = await open();
      let text = '';
      const reasons: (string | null)[] = [];
      for await (const event of stream) {
        expect(event.type).toBe('completion');
        text += event.completion;
        reasons.push(event.stop_reason);
      }
      expect(text).toBe(` ${expected}`);
      expect(reasons.at(-1)).toBe('stop_sequence');
      expect(reasons.slice(0, -1).every(r => r === null)).toBe(true);
    }
  });

  it('refuses a prompt without Human and Assistant turns, in Anthropic shape', async () => {
    await expect(
      clientV0().completions.create({ model: 'm', max_tokens_to_sample: 5, prompt: 'Hello' }),
    ).rejects.toMatchObject({ status: 400, constructor: AnthropicV0.BadRequestError });
    const raw = await postJson(`${sandbox().url}/v1/complete`, {
      model: 'm',
      max_tokens_to_sample: 5,
      prompt: '\n\nHuman: hi',
    });
    expect(raw.status).toBe(400);
    expect(raw.body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(raw.headers.get('request-id')).toMatch(/^req_sbx_/);
  });
});

describe('messages.batches', () => {
  const requests = [
    {
      custom_id: 'capital',
      params: {
        model: 'claude-sonnet-4-5',
        max_tokens: 256,
        messages: [{ role: 'user' as const, content: 'What is the capital of France?' }],
      },
    },
    {
      custom_id: 'broken',
      params: { model: 'm', max_tokens: 0, messages: [{ role: 'user' as const, content: 'x' }] },
    },
  ];

  it('creates in progress, then retrieves ended, with JSONL results (1.x)', async () => {
    const before = sandbox().modelRequests();
    const created = await client().messages.batches.create({ requests });
    expect(sandbox().modelRequests()).toBe(before + 1);
    expect(created).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      request_counts: { processing: 2, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      results_url: null,
      ended_at: null,
    });
    expect(created.id).toMatch(/^msgbatch_/);
    expect(Date.parse(created.expires_at) - Date.parse(created.created_at)).toBe(86_400_000);

    const ended = await client().messages.batches.retrieve(created.id);
    expect(ended).toMatchObject({
      id: created.id,
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 1, errored: 1 },
      results_url: `${sandbox().url}/v1/messages/batches/${created.id}/results`,
    });

    const lines = [];
    for await (const line of await client().messages.batches.results(created.id)) lines.push(line);
    expect(lines.map(l => [l.custom_id, l.result.type])).toEqual([
      ['capital', 'succeeded'],
      ['broken', 'errored'],
    ]);
    const [ok, failed] = lines;
    if (ok?.result.type !== 'succeeded') throw new Error('expected a message');
    expect(ok.result.message).toMatchObject({
      model: 'claude-sonnet-4-5',
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: await messageText('What is the capital of France?') }],
    });
    expect(failed?.result).toMatchObject({
      type: 'errored',
      error: { type: 'error', error: { type: 'invalid_request_error' } },
    });
  });

  it('lists newest first, pages, cancels and deletes', async () => {
    const a = await client().messages.batches.create({ requests: requests.slice(0, 1) });
    const b = await client().messages.batches.create({ requests: requests.slice(0, 1) });
    const page = await client().messages.batches.list({ limit: 1 });
    expect(page.data.map(x => x.id)).toEqual([b.id]);
    expect(page.has_more).toBe(true);
    const next = await client().messages.batches.list({ limit: 1, after_id: b.id });
    expect(next.data.map(x => x.id)).toEqual([a.id]);

    const canceled = await client().messages.batches.cancel(a.id);
    expect(canceled.processing_status).toBe('ended');
    expect(await client().messages.batches.delete(a.id)).toEqual({
      id: a.id,
      type: 'message_batch_deleted',
    });
    await expect(client().messages.batches.retrieve(a.id)).rejects.toMatchObject({
      status: 404,
      constructor: Anthropic.NotFoundError,
    });
  });

  it('turns a fault-named model into an errored result, and refuses duplicate ids', async () => {
    const batch = await client().messages.batches.create({
      requests: [
        {
          custom_id: 'boom',
          params: { ...requests[0]?.params, model: 'sandbox-fault-529' } as never,
        },
      ],
    });
    const lines = [];
    for await (const line of await client().messages.batches.results(batch.id)) lines.push(line);
    expect(lines[0]?.result).toMatchObject({
      type: 'errored',
      error: { error: { type: 'overloaded_error' } },
    });
    await expect(
      client().messages.batches.create({ requests: [requests[0], requests[0]] as never }),
    ).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it('serves the beta batches of 0.137 (?beta=true)', async () => {
    requested.length = 0;
    const sdk = clientV0();
    const created = await sdk.beta.messages.batches.create({ requests: requests.slice(0, 1) });
    expect(requested[0]).toMatch(/\/v1\/messages\/batches\?beta=true$/);
    const ended = await sdk.beta.messages.batches.retrieve(created.id);
    expect(ended.processing_status).toBe('ended');
    const lines = [];
    for await (const line of await sdk.beta.messages.batches.results(created.id)) lines.push(line);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.result.type).toBe('succeeded');
  });
});
