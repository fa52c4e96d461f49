/**
 * Every surface of the Stainless-generated SDKs that sends model input, on every SDK line we
 * support, governed through the request layer: traced (a call span with its decision), gated (a
 * prompt the sandbox denies rejects with `AXONFLOW_POLICY_VIOLATION` and the model is never
 * called) and checked exactly once. In process; `register.test.ts` covers the register entry.
 */

import { createRequire } from 'node:module';
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import * as anthropicV1 from '@anthropic-ai/sdk';
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
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
  /** Pre-checks one model request makes (one per prompt). */
  preChecks?: number;
  /** Model requests one call makes (a tool loop makes several). */
  modelRequests?: number;
  call(sdk: any, prompt: string): Promise<unknown>;
}

const require_ = createRequire(import.meta.url);
const { surfacesOf, ALLOWED, DENIED } = require_('./apps/surface-calls.cjs') as {
  surfacesOf(family: string, line: string): Surface[];
  ALLOWED: string;
  DENIED: string;
};

const OPENAI_LINES: Array<[string, any]> = [
  ['4', openaiV4],
  ['5', openaiV5],
  ['6', openaiV6],
  ['7', openaiV7],
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
    await surface.call(make(), ALLOWED);
    const requests = surface.modelRequests ?? 1;
    const spans = h().spans();
    const calls = spans.filter(s => s.name === surface.span);
    expect(calls, spans.map(s => s.name).join(', ')).toHaveLength(requests);
    for (const call of calls) {
      expect(call.attributes['gen_ai.operation.name']).toBe(surface.operation);
      expect(call.attributes['axonflow.decision']).toBe('allow');
      const children = h()
        .childrenOf(call)
        .map(s => s.name);
      expect(children.filter(n => n === 'axonflow.pre_check')).toHaveLength(surface.preChecks ?? 1);
      expect(children).toContain('axonflow.delegate');
    }
    expect(sandbox.agentRequests()).toBe((surface.preChecks ?? 1) * requests);
    expect(sandbox.modelRequests()).toBe(requests);
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

describe.each(OPENAI_LINES)('openai %s', (line, sdk) => {
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
  for (const surface of surfacesOf('openai', line)) {
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
  for (const surface of surfacesOf('anthropic', line)) {
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

describe('Anthropic on Amazon Bedrock and Vertex AI', () => {
  let h: Harness;
  beforeAll(() => {
    h = harnessFor({ anthropic: anthropicV1 });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.reset();
    sandbox.resetCounters();
  });

  /** Cloud credentials cannot be fetched offline: Bedrock skips signing, Vertex gets a token. */
  const CLIENTS: Array<[string, string, () => any]> = [
    [
      'AnthropicBedrock',
      'aws.bedrock',
      () =>
        new AnthropicBedrock({
          skipAuth: true,
          baseURL: sandbox.url,
          awsRegion: 'us-east-1',
          maxRetries: 0,
        }),
    ],
    [
      'AnthropicVertex',
      'gcp.vertex_ai',
      () =>
        new AnthropicVertex({
          region: 'us-east5',
          projectId: 'p',
          baseURL: sandbox.url,
          maxRetries: 0,
          authClient: {
            getRequestHeaders: async () => new Headers({ authorization: 'Bearer sandbox' }),
            projectId: 'p',
          } as never,
        }),
    ],
  ];

  it.each(CLIENTS)(
    '%s: messages.create traced as %s, gated before the request',
    async (_name, provider, make) => {
      const message = await make().messages.create(messagesBody(ALLOWED));
      expect(message.content[0].text).toMatch(/Sandbox reply/);
      const allowed = h.span('chat c');
      expect(allowed.attributes).toMatchObject({
        'gen_ai.provider.name': provider,
        'axonflow.decision': 'allow',
      });
      h.reset();
      const err = await make()
        .messages.create(messagesBody(DENIED))
        .catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('AXONFLOW_POLICY_VIOLATION');
      expect(sandbox.modelRequests()).toBe(1);
    },
  );
});

function messagesBody(prompt: string) {
  return { model: 'c', max_tokens: 32, messages: [{ role: 'user' as const, content: prompt }] };
}

describe('a model request that reaches the gate without passing request()', () => {
  let h: Harness;
  beforeAll(() => {
    h = harnessFor({ openai: openaiV7 });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.reset();
    sandbox.resetCounters();
  });

  it('is still gated at prepareOptions: a deny rejects and the model is never called', async () => {
    const OpenAI = (openaiV7 as any).default;
    const c = new OpenAI({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0 });
    // `makeRequest` is the SDK path below `request()`: no result object of ours watches it.
    const err = await c
      .makeRequest(
        {
          method: 'post',
          path: '/chat/completions',
          body: { model: 'm', messages: [{ role: 'user', content: DENIED }] },
        },
        null,
        undefined,
      )
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(sandbox.modelRequests()).toBe(0);
    const span = h.span('chat m');
    expect(span.attributes['axonflow.decision']).toBe('deny');
    expect(span.ended).toBe(true);
  });

  it('is checked and let through when allowed, its span ended at the gate', async () => {
    const OpenAI = (openaiV7 as any).default;
    const c = new OpenAI({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0 });
    await c.makeRequest(
      {
        method: 'post',
        path: '/chat/completions',
        body: { model: 'm', messages: [{ role: 'user', content: ALLOWED }] },
      },
      null,
      undefined,
    );
    expect(sandbox.modelRequests()).toBe(1);
    const span = h.span('chat m');
    expect(span.attributes['axonflow.decision']).toBe('allow');
    expect(span.ended).toBe(true);
  });
});
