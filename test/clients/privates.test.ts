/**
 * The members of `@aws-sdk/client-bedrock-runtime`, `@mistralai/mistralai` and `cohere-ai` that
 * the patch layer relies on beyond their documented API (`src/instrumentation/methods/`),
 * checked on the SDKs alone (no instrumentation), against the sandbox: when a release renames or
 * reshapes one of them, this fails and says which, before users find calls that are no longer
 * governed.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import * as mistral from '@mistralai/mistralai';
import * as cohere from 'cohere-ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEDROCK_COMMANDS } from '../../src/instrumentation/methods/bedrock-runtime.js';
import { COHERE_METHODS, v2ClientPrototype } from '../../src/instrumentation/methods/cohere.js';
import { MISTRAL_METHODS, subClientPrototype } from '../../src/instrumentation/methods/mistral.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
});

const messages = [{ role: 'user' as const, content: [{ text: 'Hello' }] }];
const claudeBody = JSON.stringify({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 16,
  messages: [{ role: 'user', content: 'Hello' }],
});

describe('@aws-sdk/client-bedrock-runtime', () => {
  interface Seen {
    commandName: unknown;
    input: unknown;
    result: any;
    endpoint: unknown;
  }

  /** A client whose `initialize` middleware records what the governance middleware reads. */
  function probe(options: { cacheMiddleware?: boolean } = {}) {
    const client = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: sandbox.url,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
      maxAttempts: 1,
      ...options,
    });
    const seen: Seen[] = [];
    client.middlewareStack.add(
      (next, context: any) => async (args: any) => {
        const entry: Seen = {
          commandName: context.commandName,
          input: args.input,
          result: undefined,
          endpoint: undefined,
        };
        seen.push(entry);
        entry.result = await next(args);
        entry.endpoint = context.endpointV2?.url;
        return entry.result;
      },
      { step: 'initialize', name: 'probe' },
    );
    return { client, seen };
  }

  it('the client class has send() on its prototype chain, the method wrapped', () => {
    expect(typeof BedrockRuntimeClient.prototype.send).toBe('function');
  });

  it('an initialize middleware sees each command by name, with its input, before anything is sent', async () => {
    const { client, seen } = probe();
    const commands = [
      new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages }),
      new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', messages }),
      new InvokeModelCommand({ modelId: 'anthropic.claude-v3', body: claudeBody }),
      new InvokeModelWithResponseStreamCommand({
        modelId: 'anthropic.claude-v3',
        body: claudeBody,
      }),
    ];
    for (const command of commands) await client.send(command as any);
    expect(seen.map(s => s.commandName)).toEqual(Object.keys(BEDROCK_COMMANDS));
    seen.forEach((s, i) => {
      expect(s.input).toBe(commands[i]!.input);
    });
  });

  it('next(args) resolves { output, response }: streams in output.stream / output.body, bytes in output.body', async () => {
    const { client, seen } = probe();
    await client.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages }));
    await client.send(new ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', messages }));
    await client.send(new InvokeModelCommand({ modelId: 'anthropic.claude-v3', body: claudeBody }));
    await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: 'anthropic.claude-v3',
        body: claudeBody,
      }),
    );
    const [converse, converseStream, invoke, invokeStream] = seen.map(s => s.result);
    expect(converse.output.usage.inputTokens).toEqual(expect.any(Number));
    expect(typeof converseStream.output.stream[Symbol.asyncIterator]).toBe('function');
    expect(invoke.output.body).toBeInstanceOf(Uint8Array);
    expect(invoke.response.headers['x-amzn-bedrock-input-token-count']).toEqual(expect.any(String));
    expect(typeof invokeStream.output.body[Symbol.asyncIterator]).toBe('function');
    for await (const event of invokeStream.output.body) {
      expect(event.chunk.bytes).toBeInstanceOf(Uint8Array);
    }
    for await (const _ of converseStream.output.stream) {
      // drained
    }
  });

  it('the resolved endpoint is on the handler context after a call', async () => {
    const { client, seen } = probe();
    await client.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages }));
    const url = seen[0]?.endpoint;
    expect(url).toBeInstanceOf(URL);
    expect((url as URL).port).toBe(String(sandbox.port));
  });

  it('with cacheMiddleware, the client keeps its resolved handlers in `handlers`', async () => {
    const { client } = probe({ cacheMiddleware: true });
    await client.send(new ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages }));
    expect((client as unknown as { handlers: unknown }).handlers).toBeInstanceOf(WeakMap);
  });
});

describe('@mistralai/mistralai', () => {
  it('the Chat and Embeddings classes are reached through the client getters, with their methods', () => {
    for (const method of MISTRAL_METHODS) {
      const proto = subClientPrototype(mistral.Mistral, method.getter);
      expect({
        method: `${method.getter}.${method.name}`,
        own: Object.hasOwn(proto, method.name),
      }).toEqual({ method: `${method.getter}.${method.name}`, own: true });
      expect(typeof proto[method.name]).toBe('function');
    }
  });

  it('the client keeps its server URL in _baseURL', () => {
    const client = new mistral.Mistral({ apiKey: 'k', serverURL: sandbox.url }) as any;
    expect(client._baseURL).toBeInstanceOf(URL);
    expect(client._baseURL.port).toBe(String(sandbox.port));
    expect(client.chat._baseURL.port).toBe(String(sandbox.port));
  });

  it('parse() sends its own request, not through complete(): one governed call each', async () => {
    const chat = new mistral.Mistral({ apiKey: 'k', serverURL: sandbox.url }).chat as any;
    let completes = 0;
    const complete = chat.complete;
    chat.complete = function (this: unknown, ...args: unknown[]) {
      completes++;
      return complete.apply(this, args);
    };
    const before = sandbox.modelRequests();
    await chat
      .parse({
        model: 'mistral-small-latest',
        messages: [{ role: 'user', content: 'Hello' }],
        responseFormat: (await import('zod')).z.object({ city: (await import('zod')).z.string() }),
      })
      .catch(() => undefined);
    expect(sandbox.modelRequests()).toBe(before + 1);
    expect(completes).toBe(0);
  });

  it('stream() resolves an async iterable of { data: CompletionChunk }', async () => {
    const client = new mistral.Mistral({ apiKey: 'k', serverURL: sandbox.url });
    const stream = await client.chat.stream({
      model: 'mistral-small-latest',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    let chunks = 0;
    for await (const event of stream) {
      expect(Array.isArray(event.data.choices)).toBe(true);
      chunks++;
    }
    expect(chunks).toBeGreaterThan(1);
  });
});

describe('cohere-ai', () => {
  it('V2Client is reached through the client getter, with the internal methods', () => {
    const proto = v2ClientPrototype(cohere);
    for (const method of COHERE_METHODS) {
      expect({ method: method.name, own: Object.hasOwn(proto ?? {}, method.name) }).toEqual({
        method: method.name,
        own: true,
      });
    }
  });

  it('chat, chatStream and embed delegate to __chat, __chatStream and __embed, which resolve { data, rawResponse }', async () => {
    const v2 = new cohere.CohereClient({ token: 'k', environment: sandbox.url, maxRetries: 0 })
      .v2 as any;
    const results: Record<string, any> = {};
    for (const method of COHERE_METHODS) {
      const internal = v2[method.name];
      v2[method.name] = async function (this: unknown, ...args: unknown[]) {
        results[method.name] = await internal.apply(this, args);
        return results[method.name];
      };
    }
    const messages = [{ role: 'user' as const, content: 'Hello' }];
    await v2.chat({ model: 'command-a-03-2025', messages });
    const stream = await v2.chatStream({ model: 'command-a-03-2025', messages });
    for await (const _ of stream) {
      // drained
    }
    await v2.embed({ model: 'embed-v4.0', texts: ['Hello'], inputType: 'search_document' });
    expect(Object.keys(results).sort()).toEqual(['__chat', '__chatStream', '__embed']);
    expect(results.__chat.data.usage.tokens.inputTokens).toEqual(expect.any(Number));
    expect(results.__chat.rawResponse.status).toBe(200);
    expect(typeof results.__chatStream.data[Symbol.asyncIterator]).toBe('function');
    expect(results.__embed.data.meta).toBeDefined();
  });

  it('the configured environment is kept in _options', () => {
    const v2 = new cohere.CohereClientV2({ token: 'k', environment: sandbox.url }) as any;
    expect(v2.clientV2._options.environment).toBe(sandbox.url);
  });
});
