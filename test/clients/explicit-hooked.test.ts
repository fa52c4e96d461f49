/**
 * `governClient` next to the module hooks: whichever comes first, a call is governed once (one
 * call span, one pre-check). An instance governed before the hooks patched its class keeps its own
 * governed methods, which call the SDK's originals; an instance of a class the hooks already
 * patched gets nothing of its own.
 */
import * as bedrock from '@aws-sdk/client-bedrock-runtime';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import * as google from '@google/genai';
import { GoogleGenAI } from '@google/genai';
import * as mistral from '@mistralai/mistralai';
import { Mistral } from '@mistralai/mistralai';
import * as cohere from 'cohere-ai';
import { CohereClientV2 } from 'cohere-ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient, governClient } from '../../src/index.js';
import { MIDDLEWARE_NAME } from '../../src/instrumentation/methods/bedrock-runtime.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { attachModules, type Harness, setupHarness } from '../helpers/otel.js';

const DENIED = 'Please store my SSN 123-45-6789';
const ALLOWED = 'What is the capital of France?';
const NOVA = 'amazon.nova-lite-v1:0';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;

const GOOGLE = ['generateContentInternal', 'generateContentStreamInternal', 'embedContentInternal'];
const MISTRAL = ['complete', 'stream', 'parse', 'parseStream'];
const COHERE = ['__chat', '__chatStream', '__embed'];

interface ClientCase {
  make(): object;
  /**
   * Where `governClient` would define governed methods as its own: the object, and their names
   * (none for Bedrock: it adds a middleware instead).
   */
  owner(instance: any): [object, string[]];
  /** The class methods the hooks wrap, by name. */
  patched(instance: any): Array<[string, unknown]>;
  span: string;
  run(instance: any, prompt: string): Promise<unknown>;
}

/** The methods of an object's class, by name. */
function classMethods(owner: object, names: string[]): Array<[string, unknown]> {
  const proto = Object.getPrototypeOf(owner);
  return names.map(name => [name, proto[name]]);
}

const CASES: Record<string, ClientCase> = {
  GoogleGenAI: {
    make: () => new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: sandbox.url } }),
    owner: ai => [ai.models, GOOGLE],
    patched: ai => classMethods(ai.models, GOOGLE),
    span: 'generate_content gemini-2.5-flash',
    run: (ai, prompt) => ai.models.generateContent({ model: 'gemini-2.5-flash', contents: prompt }),
  },
  BedrockRuntimeClient: {
    make: () =>
      new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: sandbox.url,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
        maxAttempts: 1,
      }),
    owner: c => [c, []],
    patched: () => [['send', BedrockRuntimeClient.prototype.send]],
    span: `chat ${NOVA}`,
    run: (c, prompt) =>
      c.send(
        new ConverseCommand({
          modelId: NOVA,
          messages: [{ role: 'user', content: [{ text: prompt }] }],
        }),
      ),
  },
  Mistral: {
    make: () => new Mistral({ apiKey: 'k', serverURL: sandbox.url }),
    owner: m => [m.chat, MISTRAL],
    patched: m => classMethods(m.chat, MISTRAL),
    span: 'chat mistral-small-latest',
    run: (m, prompt) =>
      m.chat.complete({
        model: 'mistral-small-latest',
        messages: [{ role: 'user', content: prompt }],
      }),
  },
  CohereClientV2: {
    make: () => new CohereClientV2({ token: 'k', environment: sandbox.url, maxRetries: 0 }),
    owner: co => [co.clientV2, COHERE],
    patched: co => classMethods(co.clientV2, COHERE),
    span: 'chat command-a-03-2025',
    run: (co, prompt) =>
      co.chat({ model: 'command-a-03-2025', messages: [{ role: 'user', content: prompt }] }),
  },
};

/** Instances governed while no hook had patched their classes. */
const early = new Map<string, object>();

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    cache: { enabled: false },
  });
  h = setupHarness({ client });
  for (const [name, c] of Object.entries(CASES)) early.set(name, governClient(c.make()));
  // Now the hooks patch the four SDKs' classes, under the instances governed above.
  attachModules(h.instrumentation, { google, bedrock, mistral, cohere });
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

/** Runs one allowed call and checks it made exactly one call span and one pre-check. */
async function expectGovernedOnce(c: ClientCase, instance: object): Promise<void> {
  const preChecks = sandbox.preCheckTraceparents().length;
  await c.run(instance, ALLOWED);
  expect(h.spans().filter(s => s.name === c.span)).toHaveLength(1);
  expect(h.spans().filter(s => s.name === 'axonflow.pre_check')).toHaveLength(1);
  expect(sandbox.preCheckTraceparents().length - preChecks).toBe(1);
  expect(sandbox.modelRequests()).toBe(1);
}

function ourMiddlewares(instance: object): string[] {
  return (instance as BedrockRuntimeClient).middlewareStack
    .identify()
    .filter(entry => entry.startsWith(MIDDLEWARE_NAME));
}

describe.each(Object.entries(CASES))('%s and the module hooks', (name, c) => {
  it('governed before the hooks patched its class: one span and one pre-check per call', async () => {
    const instance = early.get(name)!;
    await expectGovernedOnce(c, instance);
    if (instance instanceof BedrockRuntimeClient) expect(ourMiddlewares(instance)).toHaveLength(1);
  });

  it('an instance of a class the hooks patched: governClient adds nothing', async () => {
    const instance = governClient(c.make());
    const [owner, methods] = c.owner(instance);
    // The hooks did patch the class; the instance has no governed method of its own.
    for (const [method, fn] of c.patched(instance)) {
      expect({ method, wrapped: (fn as { __wrapped?: unknown }).__wrapped }).toEqual({
        method,
        wrapped: true,
      });
    }
    for (const method of methods) {
      expect({ method, own: Object.hasOwn(owner, method) }).toEqual({ method, own: false });
    }
    await expectGovernedOnce(c, instance);
    if (instance instanceof BedrockRuntimeClient) expect(ourMiddlewares(instance)).toHaveLength(1);
    h.reset();
    const err = await c.run(instance, DENIED).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(1);
  });
});
