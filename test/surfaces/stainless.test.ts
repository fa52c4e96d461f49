/**
 * Every surface of the Stainless-generated SDKs that sends model input, on every SDK line we
 * support, governed through the request layer: traced (a call span with its decision), gated (a
 * prompt the sandbox denies rejects with `AXONFLOW_POLICY_VIOLATION` and the model is never
 * called) and checked exactly once. In process; `register.test.ts` covers the register entry.
 */
import * as anthropicV1 from '@anthropic-ai/sdk';
import * as anthropicV0 from 'anthropic-sdk-v0';
import * as anthropicV024 from 'anthropic-sdk-v024';
import * as groqSdk from 'groq-sdk';
import * as openaiV7 from 'openai';
import * as openaiV4 from 'openai-v4';
import * as openaiV5 from 'openai-v5';
import * as openaiV6 from 'openai-v6';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, type SdkModules, setupHarness } from '../helpers/otel.js';

const DENIED = 'Please store my SSN 123-45-6789';

let sandbox: Sandbox;
let client: AxonFlowClient;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    retry: { maxAttempts: 1 },
    cache: { enabled: false },
  });
});

afterAll(async () => {
  await client.close();
  await sandbox.close();
});

interface Surface {
  name: string;
  /** The call span's name. */
  span: string;
  /** `gen_ai.operation.name`. */
  operation: string;
  /** Pre-checks one call makes (one per prompt). */
  preChecks?: number;
  call(sdk: any, prompt: string): Promise<unknown>;
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // read to the end
  }
}

const OPENAI_SURFACES: Surface[] = [
  {
    name: 'chat.completions.create',
    span: 'chat m',
    operation: 'chat',
    call: (c, p) =>
      c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: p }] }),
  },
  {
    name: 'chat.completions.create, streamed',
    span: 'chat m',
    operation: 'chat',
    call: async (c, p) =>
      drain(
        await c.chat.completions.create({
          model: 'm',
          stream: true,
          messages: [{ role: 'user', content: p }],
        }),
      ),
  },
  {
    name: 'responses.create',
    span: 'chat m',
    operation: 'chat',
    call: (c, p) => c.responses.create({ model: 'm', input: p }),
  },
  {
    name: 'embeddings.create',
    span: 'embeddings e',
    operation: 'embeddings',
    call: (c, p) => c.embeddings.create({ model: 'e', input: p }),
  },
  {
    name: 'completions.create (legacy)',
    span: 'text_completion i',
    operation: 'text_completion',
    call: (c, p) => c.completions.create({ model: 'i', prompt: p }),
  },
  {
    name: 'completions.create (legacy), streamed',
    span: 'text_completion i',
    operation: 'text_completion',
    call: async (c, p) =>
      drain(await c.completions.create({ model: 'i', prompt: p, stream: true })),
  },
  {
    name: 'completions.create (legacy) with a list of prompts, checked one by one',
    span: 'text_completion i',
    operation: 'text_completion',
    preChecks: 2,
    call: (c, p) => c.completions.create({ model: 'i', prompt: ['Say hello', p] }),
  },
  {
    name: 'images.generate',
    span: 'generate_content gpt-image-1',
    operation: 'generate_content',
    call: (c, p) => c.images.generate({ model: 'gpt-image-1', prompt: p }),
  },
  {
    name: 'audio.speech.create',
    span: 'generate_content tts-1',
    operation: 'generate_content',
    call: async (c, p) =>
      (await c.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: p })).arrayBuffer(),
  },
  {
    name: 'client.post() of a model endpoint',
    span: 'chat m',
    operation: 'chat',
    call: (c, p) =>
      c.post('/chat/completions', {
        body: { model: 'm', messages: [{ role: 'user', content: p }] },
      }),
  },
];

const OPENAI_LINES: Array<[string, any]> = [
  ['openai 4', openaiV4],
  ['openai 5', openaiV5],
  ['openai 6', openaiV6],
  ['openai 7', openaiV7],
];

const messages = (p: string) => ({
  model: 'c',
  max_tokens: 32,
  messages: [{ role: 'user', content: p }],
});

const ANTHROPIC_SURFACES: Array<Surface & { lines: string[] }> = [
  {
    name: 'messages.create',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.24', '0.x', '1.x'],
    call: (c, p) => c.messages.create(messages(p)),
  },
  {
    name: 'messages.create, streamed',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.24', '0.x', '1.x'],
    call: async (c, p) => drain(await c.messages.create({ ...messages(p), stream: true })),
  },
  {
    name: 'messages.stream()',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.24', '0.x', '1.x'],
    call: (c, p) => c.messages.stream(messages(p)).finalMessage(),
  },
  {
    name: 'beta.messages.create',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.x', '1.x'],
    call: (c, p) => c.beta.messages.create(messages(p)),
  },
  {
    name: 'beta.messages.stream()',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.x', '1.x'],
    call: (c, p) => c.beta.messages.stream(messages(p)).finalMessage(),
  },
  {
    name: 'messages.countTokens',
    span: 'count_tokens c',
    operation: 'count_tokens',
    lines: ['0.x', '1.x'],
    call: (c, p) =>
      c.messages.countTokens({ model: 'c', messages: [{ role: 'user', content: p }] }),
  },
  {
    name: 'messages.batches.create, each request checked',
    span: 'batch c',
    operation: 'batch',
    preChecks: 2,
    lines: ['0.x', '1.x'],
    call: (c, p) =>
      c.messages.batches.create({
        requests: [
          { custom_id: 'a', params: messages('Say hello') },
          { custom_id: 'b', params: messages(p) },
        ],
      }),
  },
  {
    name: 'completions.create (legacy)',
    span: 'text_completion c',
    operation: 'text_completion',
    lines: ['0.24', '0.x'],
    call: (c, p) =>
      c.completions.create({
        model: 'c',
        max_tokens_to_sample: 16,
        prompt: `\n\nHuman: ${p}\n\nAssistant:`,
      }),
  },
];

const ANTHROPIC_LINES: Array<[string, any]> = [
  ['0.24', anthropicV024],
  ['0.x', anthropicV0],
  ['1.x', anthropicV1],
];

function harnessFor(modules: SdkModules): Harness {
  return setupHarness({ client }, modules);
}

function checkSurface(surface: Surface, h: () => Harness, make: () => any): void {
  it(`${surface.name}: traced and checked ${surface.preChecks ?? 1}×`, async () => {
    await surface.call(make(), 'What is the capital of France?');
    const spans = h().spans();
    const call = spans.filter(s => s.name === surface.span);
    expect(call, spans.map(s => s.name).join(', ')).toHaveLength(1);
    expect(call[0]!.attributes['gen_ai.operation.name']).toBe(surface.operation);
    expect(call[0]!.attributes['axonflow.decision']).toBe('allow');
    const children = h()
      .childrenOf(call[0]!)
      .map(s => s.name);
    expect(children.filter(n => n === 'axonflow.pre_check')).toHaveLength(surface.preChecks ?? 1);
    expect(children).toContain('axonflow.delegate');
    expect(sandbox.agentRequests()).toBe(surface.preChecks ?? 1);
    expect(sandbox.modelRequests()).toBe(1);
  });

  it(`${surface.name}: a denied prompt never reaches the model`, async () => {
    const err = (await surface.call(make(), DENIED).catch(e => e)) as {
      code?: string;
      cause?: { code?: string };
    };
    expect(err?.code ?? err?.cause?.code).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
    const call = h()
      .spans()
      .filter(s => s.name === surface.span);
    expect(call).toHaveLength(1);
    expect(call[0]!.attributes['axonflow.decision']).toBe('deny');
    for (const s of h().spans()) expect(s.ended).toBe(true);
  });
}

describe.each(OPENAI_LINES)('%s', (_line, sdk) => {
  let h: Harness;
  beforeAll(() => {
    h = harnessFor({ openai: sdk });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.reset();
    sandbox.resetCounters();
  });
  const OpenAI = sdk.default;
  for (const surface of OPENAI_SURFACES) {
    checkSurface(
      surface,
      () => h,
      () => new OpenAI({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0 }),
    );
  }

  it('AzureOpenAI: gated, with the Azure provider name', async () => {
    const azure = new sdk.AzureOpenAI({
      apiKey: 'k',
      baseURL: sandbox.modelUrl,
      apiVersion: '2024-10-21',
      maxRetries: 0,
    });
    const err = await azure.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: DENIED }] })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
    expect(h.span('chat m').attributes['gen_ai.provider.name']).toBe('azure.ai.openai');
  });
});

describe.each(ANTHROPIC_LINES)('@anthropic-ai/sdk %s', (line, sdk) => {
  let h: Harness;
  beforeAll(() => {
    h = harnessFor({ anthropic: sdk });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.reset();
    sandbox.resetCounters();
  });
  const Anthropic = sdk.default;
  for (const surface of ANTHROPIC_SURFACES.filter(s => s.lines.includes(line))) {
    checkSurface(
      surface,
      () => h,
      () => new Anthropic({ apiKey: 'k', baseURL: sandbox.url, maxRetries: 0 }),
    );
  }
});

describe('groq-sdk', () => {
  let h: Harness;
  beforeAll(() => {
    h = harnessFor({ groq: groqSdk });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.reset();
    sandbox.resetCounters();
  });
  const Groq = (groqSdk as any).default;
  const surface: Surface = {
    name: 'chat.completions.create',
    span: 'chat m',
    operation: 'chat',
    call: (c, p) =>
      c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: p }] }),
  };
  checkSurface(
    surface,
    () => h,
    () => new Groq({ apiKey: 'k', baseURL: sandbox.url, maxRetries: 0 }),
  );

  it('names the provider groq', async () => {
    await surface.call(new Groq({ apiKey: 'k', baseURL: sandbox.url, maxRetries: 0 }), 'hi');
    expect(h.span('chat m').attributes['gen_ai.provider.name']).toBe('groq');
  });
});
