/**
 * The private members of the client packages that the patch layers rely on
 * (`src/instrumentation/stainless/`, `src/instrumentation/methods/`), checked on every SDK line we support, on the SDK alone
 * (no instrumentation): when a release renames or reshapes one of them, this fails and says which,
 * before users find calls that are no longer governed.
 */

import * as anthropicV1 from '@anthropic-ai/sdk';
import * as googleV3 from '@google/genai';
import * as anthropicV0 from 'anthropic-sdk-v0';
import * as anthropicV024 from 'anthropic-sdk-v024';
import * as googleV1 from 'google-genai-v1';
import * as openaiV7 from 'openai';
import * as openaiV4 from 'openai-v4';
import * as openaiV5 from 'openai-v5';
import * as openaiV6 from 'openai-v6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOGLE_GENAI_METHODS } from '../../src/instrumentation/methods/google-genai.js';
import { apiPromiseProblems, isStream } from '../../src/instrumentation/stainless/observe.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

interface Seen {
  /** What `request()` received: the options, or a promise of them (`post()` passes a promise). */
  requestCalls: number;
  /** What `prepareOptions` received, once per HTTP attempt. */
  prepared: Array<{ method: unknown; path: unknown; body: unknown; span: unknown }>;
}

function ownerOf(proto: object, name: string): object | undefined {
  for (let p: object | null = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, name)) return p;
  }
  return undefined;
}

/** A client of `Base` whose `request` and `prepareOptions` record what the SDK passes them. */
function probe<T extends object>(
  Base: new (opts: any) => T,
  opts: object,
): { client: T; seen: Seen } {
  const seen: Seen = { requestCalls: 0, prepared: [] };
  const client = new Base({ apiKey: 'k', maxRetries: 0, ...opts }) as any;
  const request = client.request;
  client.request = function (this: unknown, ...args: unknown[]) {
    seen.requestCalls++;
    return request.apply(this, args);
  };
  const prepare = client.prepareOptions;
  client.prepareOptions = function (this: unknown, options: any, ...rest: unknown[]) {
    seen.prepared.push({
      method: options?.method,
      path: options?.path,
      body: options?.body,
      span: options?.__span,
    });
    return prepare.call(this, options, ...rest);
  };
  return { client, seen };
}

const OPENAI_LINES = [
  ['openai 4', openaiV4],
  ['openai 5', openaiV5],
  ['openai 6', openaiV6],
  ['openai 7', openaiV7],
] as const;

const ANTHROPIC_LINES = [
  ['@anthropic-ai/sdk 0.24', anthropicV024],
  ['@anthropic-ai/sdk 0.x', anthropicV0],
  ['@anthropic-ai/sdk 1.x', anthropicV1],
] as const;

describe.each(OPENAI_LINES)('%s', (_line, sdk) => {
  const OpenAI = (sdk as any).default as new (opts: any) => any;

  it('defines request and prepareOptions on the client base class', () => {
    expect(ownerOf(OpenAI.prototype, 'request')).toBeDefined();
    expect(ownerOf(OpenAI.prototype, 'prepareOptions')).toBeDefined();
  });

  it('sends chat.completions.create through request(), then prepareOptions with method, path and body', async () => {
    const { client, seen } = probe(OpenAI, { baseURL: sandbox.modelUrl });
    const promise = client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(apiPromiseProblems(promise)).toEqual([]);
    const completion = await promise;
    expect(completion.choices[0].message.content).toMatch(/Sandbox reply/);
    expect(seen.requestCalls).toBe(1);
    expect(seen.prepared).toEqual([
      {
        method: 'post',
        path: '/chat/completions',
        body: expect.objectContaining({ model: 'm' }),
        span: undefined,
      },
    ]);
  });

  it('parses a streamed result into a Stream with an iterator', async () => {
    const { client } = probe(OpenAI, { baseURL: sandbox.modelUrl });
    const stream = await client.chat.completions
      .create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .then((s: unknown) => s);
    expect(isStream(stream)).toBe(true);
    for await (const _ of stream) {
      // drain
    }
  });

  it('sends a raw client.post() through the same two methods', async () => {
    const { client, seen } = probe(OpenAI, { baseURL: sandbox.modelUrl });
    const promise = client.post('/embeddings', { body: { model: 'e', input: 'x' } });
    expect(apiPromiseProblems(promise)).toEqual([]);
    await promise;
    expect(seen.requestCalls).toBe(1);
    expect(seen.prepared.map(p => p.path)).toEqual(['/embeddings']);
  });
});

describe.each(ANTHROPIC_LINES)('%s', (_line, sdk) => {
  const Anthropic = (sdk as any).default as new (opts: any) => any;

  it('defines request and prepareOptions on the client base class', () => {
    expect(ownerOf(Anthropic.prototype, 'request')).toBeDefined();
    expect(ownerOf(Anthropic.prototype, 'prepareOptions')).toBeDefined();
  });

  it('sends messages.create through request(), then prepareOptions with method, path and body', async () => {
    const { client, seen } = probe(Anthropic, { baseURL: sandbox.url });
    const promise = client.messages.create({
      model: 'c',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(apiPromiseProblems(promise)).toEqual([]);
    const message = await promise;
    expect(message.content[0].text).toMatch(/Sandbox reply/);
    expect(seen.requestCalls).toBe(1);
    expect(seen.prepared).toHaveLength(1);
    expect(seen.prepared[0]).toMatchObject({
      method: 'post',
      path: '/v1/messages',
      body: expect.objectContaining({ model: 'c' }),
    });
    // When the SDK traces itself, its call span comes down in the options (`__span`).
    const span = seen.prepared[0]!.span as { span?: { spanContext?: unknown } } | undefined;
    if (span !== undefined) expect(typeof span.span?.spanContext).toBe('function');
  });

  it('parses a streamed result into a Stream with an iterator', async () => {
    const { client } = probe(Anthropic, { baseURL: sandbox.url });
    const stream = await client.messages
      .create({
        model: 'c',
        max_tokens: 16,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .then((s: unknown) => s);
    expect(isStream(stream)).toBe(true);
    for await (const _ of stream) {
      // drain
    }
  });
});

describe.each([
  ['@google/genai 1.x', googleV1],
  ['@google/genai 3.x', googleV3],
] as const)('%s', (_line, sdk) => {
  it('routes every model request through the Models.prototype methods the patch wraps', () => {
    const proto = (sdk as any).Models.prototype;
    for (const method of GOOGLE_GENAI_METHODS) {
      expect({ method: method.name, type: typeof proto[method.name] }).toEqual({
        method: method.name,
        type: 'function',
      });
    }
  });

  it('gives the models module an apiClient that says its mode and base URL', () => {
    const ai = new (sdk as any).GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: sandbox.url } });
    expect(ai.models.apiClient.isVertexAI()).toBe(false);
    expect(String(ai.models.apiClient.getBaseUrl())).toContain('127.0.0.1');
  });
});
