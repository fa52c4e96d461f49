/**
 * `governClient` on the method-layer clients, with no module hook applied (as in a bundle, where
 * none reaches the inlined SDK): one `GoogleGenAI` (3.x and 1.x), `BedrockRuntimeClient`,
 * `Mistral` and `CohereClientV2` instance each is traced (`{operation} {model}` with its
 * pre-check and delegate children), gated (a denied prompt never reaches the model), governed
 * once however often it is passed, and alone: another instance of the same class stays as it was.
 * Then the other client classes of these SDKs, what `governClient` refuses, and clients told by
 * shape (minified class names).
 *
 * The harness's instrumentation exists and is enabled (it is the one `governClient` uses), but no
 * Google, Bedrock, Mistral or Cohere module is handed to it; the first test of each client checks
 * that their classes are untouched.
 */
import {
  BedrockRuntime,
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { GoogleGenAI } from '@google/genai';
import { Mistral } from '@mistralai/mistralai';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { CohereClient, CohereClientV2 } from 'cohere-ai';
import { GoogleGenAI as GoogleGenAIv1 } from 'google-genai-v1';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient, governClient } from '../../src/index.js';
import { MIDDLEWARE_NAME } from '../../src/instrumentation/methods/bedrock-runtime.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

const DENIED = 'Please store my SSN 123-45-6789';
const ALLOWED = 'What is the capital of France?';
/** Explicit credentials and region: the Bedrock client never looks for credentials or metadata. */
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' };
const NOVA = 'amazon.nova-lite-v1:0';
const CLAUDE = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    cache: { enabled: false },
  });
  // No SDK module handed over: only `governClient` can govern these clients.
  h = setupHarness({ client });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  h.reset();
  sandbox.resetCounters();
});

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return e?.code ?? e?.cause?.code;
}

const iterable = (x: unknown): x is AsyncIterable<unknown> =>
  x !== null && typeof x === 'object' && Symbol.asyncIterator in x;

/**
 * Reads a stream to its end (the span ends with it): the result, or the event stream a Bedrock
 * output holds (`output.stream`).
 */
async function drain(result: unknown): Promise<unknown> {
  const inner = (result as { stream?: unknown } | undefined)?.stream;
  const stream = iterable(result) ? result : iterable(inner) ? inner : undefined;
  if (stream !== undefined) {
    for await (const _ of stream) {
      // consumed
    }
  }
  return result;
}

function governedSpan(name: string): ReadableSpan {
  const span = h.span(name);
  expect(
    h
      .childrenOf(span)
      .map(s => s.name)
      .sort(),
  ).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
  return span;
}

/** A governed call of a client: the span it makes, and how to make it with a prompt. */
interface Call {
  what: string;
  span: string;
  run(client: any, prompt: string): Promise<unknown>;
}

interface ClientCase {
  make(): object;
  /** The SDK's prototype methods a module hook would wrap, for an instance. */
  hookTargets(instance: any): Array<[string, unknown]>;
  /** The first is the one every test uses; the others are checked once each. */
  calls: [Call, ...Call[]];
}

/** A `GoogleGenAI` of either SDK line: the three internal methods of its `models`. */
function googleCase(GenAI: typeof GoogleGenAI): ClientCase {
  return {
    make: () => new GenAI({ apiKey: 'k', httpOptions: { baseUrl: sandbox.url } }),
    hookTargets: ai =>
      ['generateContentInternal', 'generateContentStreamInternal', 'embedContentInternal'].map(
        name => [name, Object.getPrototypeOf(ai.models)[name]],
      ),
    calls: [
      {
        what: 'models.generateContent',
        span: 'generate_content gemini-2.5-flash',
        run: (ai, prompt) =>
          ai.models.generateContent({ model: 'gemini-2.5-flash', contents: prompt }),
      },
      {
        what: 'models.generateContentStream',
        span: 'generate_content gemini-2.5-flash',
        run: async (ai, prompt) =>
          drain(
            await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: prompt }),
          ),
      },
      {
        what: 'models.embedContent',
        span: 'embeddings text-embedding-004',
        run: (ai, prompt) =>
          ai.models.embedContent({ model: 'text-embedding-004', contents: prompt }),
      },
      {
        what: 'a chat created from it',
        span: 'generate_content gemini-2.5-flash',
        run: (ai, prompt) =>
          ai.chats.create({ model: 'gemini-2.5-flash' }).sendMessage({ message: prompt }),
      },
    ],
  };
}

const CASES: Record<string, ClientCase> = {
  GoogleGenAI: googleCase(GoogleGenAI),
  'GoogleGenAI (1.x)': googleCase(GoogleGenAIv1 as unknown as typeof GoogleGenAI),
  BedrockRuntimeClient: {
    make: () =>
      new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: sandbox.url,
        credentials: CREDENTIALS,
        maxAttempts: 1,
      }),
    hookTargets: () => [['send', BedrockRuntimeClient.prototype.send]],
    calls: [
      {
        what: 'Converse',
        span: `chat ${NOVA}`,
        run: (c, prompt) =>
          c.send(
            new ConverseCommand({
              modelId: NOVA,
              messages: [{ role: 'user', content: [{ text: prompt }] }],
            }),
          ),
      },
      {
        what: 'ConverseStream',
        span: `chat ${NOVA}`,
        run: async (c, prompt) =>
          drain(
            await c.send(
              new ConverseStreamCommand({
                modelId: NOVA,
                messages: [{ role: 'user', content: [{ text: prompt }] }],
              }),
            ),
          ),
      },
      {
        what: 'InvokeModel',
        span: `chat ${CLAUDE}`,
        run: (c, prompt) =>
          c.send(
            new InvokeModelCommand({
              modelId: CLAUDE,
              body: JSON.stringify({
                anthropic_version: 'bedrock-2023-05-31',
                max_tokens: 64,
                messages: [{ role: 'user', content: prompt }],
              }),
            }),
          ),
      },
    ],
  },
  Mistral: {
    make: () => new Mistral({ apiKey: 'k', serverURL: sandbox.url }),
    hookTargets: m =>
      [
        ['complete', Object.getPrototypeOf(m.chat).complete],
        ['stream', Object.getPrototypeOf(m.chat).stream],
        ['create', Object.getPrototypeOf(m.embeddings).create],
      ] as Array<[string, unknown]>,
    calls: [
      {
        what: 'chat.complete',
        span: 'chat mistral-small-latest',
        run: (m, prompt) =>
          m.chat.complete({
            model: 'mistral-small-latest',
            messages: [{ role: 'user', content: prompt }],
          }),
      },
      {
        what: 'chat.stream',
        span: 'chat mistral-small-latest',
        run: async (m, prompt) =>
          drain(
            await m.chat.stream({
              model: 'mistral-small-latest',
              messages: [{ role: 'user', content: prompt }],
            }),
          ),
      },
      {
        what: 'embeddings.create',
        span: 'embeddings mistral-embed',
        run: (m, prompt) => m.embeddings.create({ model: 'mistral-embed', inputs: [prompt] }),
      },
    ],
  },
  CohereClientV2: {
    make: () => new CohereClientV2({ token: 'k', environment: sandbox.url, maxRetries: 0 }),
    hookTargets: co =>
      ['__chat', '__chatStream', '__embed'].map(name => [
        name,
        Object.getPrototypeOf(co.clientV2)[name],
      ]),
    calls: [
      {
        what: 'chat',
        span: 'chat command-a-03-2025',
        run: (co, prompt) =>
          co.chat({ model: 'command-a-03-2025', messages: [{ role: 'user', content: prompt }] }),
      },
      {
        what: 'chatStream',
        span: 'chat command-a-03-2025',
        run: async (co, prompt) =>
          drain(
            await co.chatStream({
              model: 'command-a-03-2025',
              messages: [{ role: 'user', content: prompt }],
            }),
          ),
      },
      {
        what: 'embed',
        span: 'embeddings embed-v4.0',
        run: (co, prompt) =>
          co.embed({ model: 'embed-v4.0', texts: [prompt], inputType: 'search_document' }),
      },
    ],
  },
};

describe.each(Object.entries(CASES))('governClient on one %s', (_name, c) => {
  const [main, ...others] = c.calls;

  it('the module hooks are not applied here: the SDK classes are untouched', () => {
    const instance = c.make();
    for (const [name, target] of c.hookTargets(instance)) {
      expect({ name, wrapped: (target as { __wrapped?: unknown })?.__wrapped }).toEqual({
        name,
        wrapped: undefined,
      });
    }
    if (instance instanceof BedrockRuntimeClient) {
      expect(instance.middlewareStack.identify().join()).not.toContain(MIDDLEWARE_NAME);
    }
  });

  it(`${main.what}: one span with the pre-check and delegate children`, async () => {
    const governed = governClient(c.make());
    await main.run(governed, ALLOWED);
    const span = governedSpan(main.span);
    expect(span.attributes['axonflow.decision']).toBe('allow');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it(`${main.what}: a denied prompt rejects with PolicyViolationError and never reaches the model`, async () => {
    const governed = governClient(c.make());
    const err = await main.run(governed, DENIED).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect((err as Error).name).toBe('PolicyViolationError');
    expect(sandbox.modelRequests()).toBe(0);
    expect(h.span(main.span).attributes['axonflow.decision']).toBe('deny');
  });

  it.each(others)('$what: governed too', async call => {
    const governed = governClient(c.make());
    await call.run(governed, ALLOWED);
    expect(governedSpan(call.span).attributes['axonflow.decision']).toBe('allow');
    const err = await call.run(governed, DENIED).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('governing the same instance again changes nothing: one span and one pre-check per call', async () => {
    const preChecks = sandbox.preCheckTraceparents().length;
    const instance = c.make();
    expect(governClient(instance)).toBe(instance);
    expect(governClient(instance)).toBe(instance);
    await main.run(governClient(instance), ALLOWED);
    expect(h.spans().filter(s => s.name === main.span)).toHaveLength(1);
    expect(h.spans().filter(s => s.name === 'axonflow.pre_check')).toHaveLength(1);
    expect(sandbox.preCheckTraceparents().length - preChecks).toBe(1);
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('another instance of the same class stays ungoverned', async () => {
    const preChecks = sandbox.preCheckTraceparents().length;
    governClient(c.make());
    const other = c.make();
    await main.run(other, DENIED);
    expect(sandbox.modelRequests()).toBe(1);
    expect(sandbox.preCheckTraceparents()).toHaveLength(preChecks);
    expect(h.spans()).toHaveLength(0);
  });
});

describe('governClient on the other client classes of these SDKs', () => {
  it("a CohereClient: its v2's calls are governed", async () => {
    const v1 = governClient(
      new CohereClient({ token: 'k', environment: sandbox.url, maxRetries: 0 }),
    );
    await v1.v2.chat({
      model: 'command-a-03-2025',
      messages: [{ role: 'user', content: ALLOWED }],
    });
    expect(governedSpan('chat command-a-03-2025').attributes['axonflow.decision']).toBe('allow');
    const err = await v1.v2
      .chat({ model: 'command-a-03-2025', messages: [{ role: 'user', content: DENIED }] })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('a CohereClientV2 keeps the SDK promise: withRawResponse() still works, and is gated', async () => {
    const co = governClient(
      new CohereClientV2({ token: 'k', environment: sandbox.url, maxRetries: 0 }),
    );
    const { data, rawResponse } = await co
      .chat({ model: 'command-a-03-2025', messages: [{ role: 'user', content: ALLOWED }] })
      .withRawResponse();
    expect(rawResponse.status).toBe(200);
    expect(governedSpan('chat command-a-03-2025').attributes['gen_ai.usage.output_tokens']).toBe(
      data.usage?.tokens?.outputTokens,
    );
    const err = await co
      .chat({ model: 'command-a-03-2025', messages: [{ role: 'user', content: DENIED }] })
      .withRawResponse()
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('the aggregated BedrockRuntime client: governed, with one middleware however often passed', async () => {
    const runtime = new BedrockRuntime({
      region: 'us-east-1',
      endpoint: sandbox.url,
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    governClient(governClient(runtime));
    const ours = runtime.middlewareStack
      .identify()
      .filter(entry => entry.startsWith(MIDDLEWARE_NAME));
    expect(ours).toHaveLength(1);
    const err = await runtime
      .converse({ modelId: NOVA, messages: [{ role: 'user', content: [{ text: DENIED }] }] })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
  });
});

describe('governClient, what it refuses', () => {
  it('throws a TypeError for an object that is none of the clients', () => {
    expect(() => governClient({})).toThrow(TypeError);
    expect(() => governClient({ chat: {} })).toThrow(TypeError);
    expect(() => governClient(new Map())).toThrow(TypeError);
  });

  it('throws a TypeError for a family the object does not match', () => {
    expect(() => governClient({}, { family: 'google' })).toThrow(TypeError);
    expect(() => governClient({ send() {} }, { family: 'bedrock' })).toThrow(TypeError);
    expect(() => governClient({ chat: {} }, { family: 'mistral' })).toThrow(TypeError);
    expect(() => governClient({ chatStream() {} }, { family: 'cohere' })).toThrow(TypeError);
    expect(() => governClient({}, { family: 'nope' as never })).toThrow(TypeError);
  });
});

/**
 * Minified class names (a bundle): the family is told by shape. A plain object holding a real
 * client's parts stands for such an instance; governing it governs those parts.
 */
describe('governClient on a client whose class names it cannot read', () => {
  const SHAPES: Array<[string, () => [object, object], (client: any) => Promise<unknown>]> = [
    [
      'google',
      () => {
        const ai = CASES.GoogleGenAI!.make() as GoogleGenAI;
        return [ai, { models: ai.models }];
      },
      ai => CASES.GoogleGenAI!.calls[0].run(ai, DENIED),
    ],
    [
      'bedrock',
      () => {
        const c = CASES.BedrockRuntimeClient!.make() as BedrockRuntimeClient;
        return [c, { send: c.send.bind(c), middlewareStack: c.middlewareStack }];
      },
      c => CASES.BedrockRuntimeClient!.calls[0].run(c, DENIED),
    ],
    [
      'mistral',
      () => {
        const m = CASES.Mistral!.make() as Mistral;
        return [m, { chat: m.chat, embeddings: m.embeddings }];
      },
      m => CASES.Mistral!.calls[0].run(m, DENIED),
    ],
    [
      'cohere',
      () => {
        // `clientV2` is private in the SDK's types.
        const co = CASES.CohereClientV2!.make() as { clientV2: unknown; chatStream: unknown };
        return [co, { clientV2: co.clientV2, chatStream: co.chatStream }];
      },
      co => CASES.CohereClientV2!.calls[0].run(co, DENIED),
    ],
  ];

  it.each(SHAPES)('%s: told by shape, and by the family given', async (family, parts, denied) => {
    for (const options of [{}, { family: family as 'google' }]) {
      const [real, minified] = parts();
      expect(governClient(minified, options)).toBe(minified);
      const err = await denied(real).catch((e: unknown) => e);
      expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    }
    expect(sandbox.modelRequests()).toBe(0);
  });
});
