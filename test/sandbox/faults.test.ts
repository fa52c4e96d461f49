import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { getJson, postJson, useSandbox } from './support/sandbox.js';

const sandbox = useSandbox();
const openai = (opts: { maxRetries?: number; timeout?: number } = {}) =>
  new OpenAI({ apiKey: 'sk-sandbox', baseURL: sandbox().modelUrl, maxRetries: 0, ...opts });
const anthropic = (opts: { maxRetries?: number; timeout?: number } = {}) =>
  new Anthropic({ apiKey: 'sk-ant-sandbox', baseURL: sandbox().url, maxRetries: 0, ...opts });
const userMsg = [{ role: 'user' as const, content: 'hello' }];

describe('model faults surface as the SDKs’ own errors', () => {
  it('429 by model name → RateLimitError (OpenAI and Anthropic)', async () => {
    await expect(
      openai().chat.completions.create({ model: 'sandbox-fault-429', messages: userMsg }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(
      anthropic().messages.create({ model: 'sandbox-fault-429', max_tokens: 5, messages: userMsg }),
    ).rejects.toBeInstanceOf(Anthropic.RateLimitError);
  });

  it('500 by header → InternalServerError; 529 → Anthropic OverloadedError', async () => {
    await expect(
      openai().chat.completions.create(
        { model: 'm', messages: userMsg },
        { headers: { 'x-sandbox-fault': '500' } },
      ),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    const err = await anthropic()
      .messages.create({ model: 'sandbox-fault-529', max_tokens: 5, messages: userMsg })
      .catch(e => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(err.status).toBe(529);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('queued faults hit the next requests only, so SDK retries recover', async () => {
    const before = sandbox().modelRequests();
    sandbox().injectModelFault('500', 2);
    const res = await openai({ maxRetries: 2 }).chat.completions.create({
      model: 'm',
      messages: userMsg,
    });
    expect(res.choices[0]?.message.content).toContain('hello');
    expect(sandbox().modelRequests() - before).toBe(3);
  });

  it('a stream cut mid-way rejects the iteration', async () => {
    const stream = await openai().chat.completions.create({
      model: 'sandbox-fault-cut',
      messages: userMsg,
      stream: true,
    });
    let chunks = 0;
    const iterate = async () => {
      for await (const _ of stream) chunks++;
    };
    await expect(iterate()).rejects.toThrow(/terminated/);
    expect(chunks).toBeGreaterThan(0);

    await expect(
      anthropic()
        .messages.stream({ model: 'sandbox-fault-cut', max_tokens: 50, messages: userMsg })
        .finalMessage(),
    ).rejects.toBeInstanceOf(Anthropic.AnthropicError);
  });

  it('a stalled request ends in the SDK’s timeout, or its abort when the caller aborts', async () => {
    await expect(
      openai({ timeout: 150 }).chat.completions.create({
        model: 'sandbox-fault-stall',
        messages: userMsg,
      }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    await expect(
      anthropic({ timeout: 150 }).messages.create(
        { model: 'm', max_tokens: 5, messages: userMsg },
        {
          headers: { 'x-sandbox-fault': 'stall' },
        },
      ),
    ).rejects.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(
      openai().chat.completions.create(
        { model: 'sandbox-fault-stall', messages: userMsg },
        { signal: controller.signal },
      ),
    ).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
  });

  it('a stream that stalls mid-way can be abandoned by the caller', async () => {
    const stream = await openai().chat.completions.create({
      model: 'sandbox-fault-stall-mid',
      messages: userMsg,
      stream: true,
    });
    let chunks = 0;
    setTimeout(() => stream.controller.abort(), 100);
    for await (const _ of stream) chunks++;
    expect(chunks).toBeGreaterThan(0);
    expect(chunks).toBeLessThan(5);
  });

  it('a reset connection is an APIConnectionError', async () => {
    await expect(
      openai().chat.completions.create({ model: 'sandbox-fault-reset', messages: userMsg }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
  });
});

describe('agent outages and faults', () => {
  it('stopAgent() answers 503 until startAgent(), while the model keeps working', async () => {
    sandbox().stopAgent();
    try {
      expect(await getJson(`${sandbox().url}/health`)).toMatchObject({
        status: 503,
        body: { success: false, error: expect.stringContaining('unavailable') },
      });
      const res = await openai().chat.completions.create({ model: 'm', messages: userMsg });
      expect(res.choices[0]?.message.content).toBeTruthy();
    } finally {
      sandbox().startAgent();
    }
    expect((await getJson(`${sandbox().url}/health`)).status).toBe(200);
  });

  it('stopAgent("reset") drops connections and stopAgent("stall") never answers', async () => {
    sandbox().stopAgent('reset');
    try {
      await expect(fetch(`${sandbox().url}/health`)).rejects.toThrow();
      sandbox().stopAgent('stall');
      await expect(
        fetch(`${sandbox().url}/health`, { signal: AbortSignal.timeout(100) }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      sandbox().startAgent();
    }
  });

  it('queued and header faults apply to agent routes', async () => {
    const pre = { client_id: 'c', query: 'hi' };
    sandbox().injectAgentFault('502');
    expect(await postJson(`${sandbox().url}/api/policy/pre-check`, pre)).toMatchObject({
      status: 502,
      body: { success: false },
    });
    expect((await postJson(`${sandbox().url}/api/policy/pre-check`, pre)).status).toBe(200);
    expect(
      (await postJson(`${sandbox().url}/api/policy/pre-check`, pre, { 'x-sandbox-fault': '429' }))
        .status,
    ).toBe(429);
    const cut = await fetch(`${sandbox().url}/api/policy/pre-check`, {
      method: 'POST',
      body: JSON.stringify(pre),
      headers: { 'x-sandbox-fault': 'cut' },
    });
    await expect(cut.json()).rejects.toThrow();
  });

  it('counts agent and model requests separately', async () => {
    sandbox().resetCounters();
    await getJson(`${sandbox().url}/health`);
    await getJson(`${sandbox().url}/health`);
    await openai().embeddings.create({ model: 'm', input: 'x' });
    expect(sandbox().agentRequests()).toBe(2);
    expect(sandbox().modelRequests()).toBe(1);
  });

  it('rejects unknown fault names when queued', () => {
    expect(() => sandbox().injectModelFault('explode')).toThrow(/Unknown sandbox fault/);
  });
});
