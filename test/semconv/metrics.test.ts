/**
 * The GenAI client metrics carry the attributes the conventions give them (gen-ai-metrics.md):
 * `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.model`,
 * `gen_ai.response.model`, `server.address`, `server.port`, and `error.type` on a failed call's
 * duration; the token histogram adds `gen_ai.token.type`. Both lines of each SDK.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';
import { attachMetrics, type Metrics, SDK_LINES, serverOf } from './setup.js';

const DURATION = 'gen_ai.client.operation.duration';
const TOKENS = 'gen_ai.client.token.usage';
const FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';
const PER_CHUNK = 'gen_ai.client.operation.time_per_output_chunk';

let sandbox: Sandbox;
let client: AxonFlowClient;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
});

afterAll(async () => {
  await client.close();
  await sandbox.close();
});

describe.each(SDK_LINES)('$name', line => {
  let h: Harness;
  let metrics: Metrics;

  beforeAll(() => {
    h = setupHarness({ client }, { openai: line.openai, anthropic: line.anthropic });
  });

  afterAll(async () => {
    await h.close();
  });

  beforeEach(() => {
    h.reset();
    sandbox.clearFaults();
    metrics = attachMetrics(h.instrumentation);
  });

  afterEach(async () => {
    await metrics.close();
  });

  function openai(): any {
    const OpenAI = line.openai.default as any;
    return new OpenAI({ apiKey: 'sk-test', baseURL: sandbox.modelUrl, maxRetries: 0 });
  }

  function anthropic(): any {
    const Anthropic = line.anthropic.default as any;
    return new Anthropic({ apiKey: 'sk-ant-test', baseURL: sandbox.url, maxRetries: 0 });
  }

  it('openai chat: duration and token usage carry server.address/port, provider, operation, request and response model', async () => {
    const res = await openai().chat.completions.create({
      model: 'metrics-gpt',
      messages: [{ role: 'user', content: 'Count to three' }],
    });
    const expected = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'metrics-gpt',
      'gen_ai.response.model': res.model,
      // Recommended on OpenAI's metrics too (openai.md), as the response says them.
      ...(res.service_tier ? { 'openai.response.service_tier': res.service_tier } : {}),
      ...(res.system_fingerprint
        ? { 'openai.response.system_fingerprint': res.system_fingerprint }
        : {}),
      ...serverOf(sandbox.modelUrl),
    };
    const duration = await metrics.points(DURATION);
    expect(duration).toHaveLength(1);
    expect(duration[0]!.attributes).toEqual(expected);
    expect(duration[0]!.count).toBe(1);
    const tokens = await metrics.points(TOKENS);
    expect(tokens.map(p => p.attributes).sort(byTokenType)).toEqual([
      { ...expected, 'gen_ai.token.type': 'input' },
      { ...expected, 'gen_ai.token.type': 'output' },
    ]);
    expect(tokens.find(p => p.attributes['gen_ai.token.type'] === 'input')?.sum).toBe(
      res.usage.prompt_tokens,
    );
    // The same server attributes as the span.
    const chat = h.span('chat metrics-gpt');
    expect(chat.attributes).toMatchObject(serverOf(sandbox.modelUrl));
  });

  it('openai embeddings: duration and input token usage carry the same attributes, operation embeddings', async () => {
    const res = await openai().embeddings.create({ model: 'metrics-embed', input: 'hello' });
    const expected = {
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'metrics-embed',
      'gen_ai.response.model': res.model,
      ...serverOf(sandbox.modelUrl),
    };
    expect((await metrics.points(DURATION)).map(p => p.attributes)).toEqual([expected]);
    expect((await metrics.points(TOKENS)).map(p => p.attributes)).toEqual([
      { ...expected, 'gen_ai.token.type': 'input' },
    ]);
  });

  it('anthropic messages: duration and token usage carry server.address/port, provider, operation, request and response model', async () => {
    const message = await anthropic().messages.create({
      model: 'metrics-claude',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Count to three' }],
    });
    const expected = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'metrics-claude',
      'gen_ai.response.model': message.model,
      ...serverOf(sandbox.url),
    };
    const duration = await metrics.points(DURATION);
    expect(duration.map(p => p.attributes)).toEqual([expected]);
    const tokens = await metrics.points(TOKENS);
    expect(tokens.map(p => p.attributes).sort(byTokenType)).toEqual([
      { ...expected, 'gen_ai.token.type': 'input' },
      { ...expected, 'gen_ai.token.type': 'output' },
    ]);
    expect(tokens.find(p => p.attributes['gen_ai.token.type'] === 'output')?.sum).toBe(
      message.usage.output_tokens,
    );
  });

  it('a failed openai call: duration has error.type and the server attributes, and no token usage is recorded', async () => {
    const err = await openai()
      .chat.completions.create({
        model: 'sandbox-fault-500',
        messages: [{ role: 'user', content: 'hello' }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const chat = h.span('chat sandbox-fault-500');
    const duration = await metrics.points(DURATION);
    expect(duration.map(p => p.attributes)).toEqual([
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'sandbox-fault-500',
        'error.type': chat.attributes['error.type'],
        ...serverOf(sandbox.modelUrl),
      },
    ]);
    expect(chat.attributes['error.type']).toEqual(expect.any(String));
    expect(await metrics.points(TOKENS)).toEqual([]);
  });

  it('a failed anthropic call: duration has error.type and the server attributes, and no token usage is recorded', async () => {
    const err = await anthropic()
      .messages.create({
        model: 'sandbox-fault-529',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'hello' }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const chat = h.span('chat sandbox-fault-529');
    expect((await metrics.points(DURATION)).map(p => p.attributes)).toEqual([
      {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'sandbox-fault-529',
        'error.type': chat.attributes['error.type'],
        ...serverOf(sandbox.url),
      },
    ]);
    expect(await metrics.points(TOKENS)).toEqual([]);
  });
});

describe('streaming and outcomes', () => {
  let h: Harness;
  let metrics: Metrics;
  const line = SDK_LINES[0]!;

  beforeAll(() => {
    h = setupHarness({ client }, { openai: line.openai, anthropic: line.anthropic });
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.reset();
    metrics = attachMetrics(h.instrumentation);
  });
  afterEach(async () => {
    await metrics.close();
  });

  function openai(): any {
    const OpenAI = line.openai.default as any;
    return new OpenAI({ apiKey: 'sk-test', baseURL: sandbox.modelUrl, maxRetries: 0 });
  }

  it('a streamed call records time to first chunk once, and time per output chunk once per chunk after the first', async () => {
    const stream = await openai().chat.completions.create({
      model: 'stream-gpt',
      stream: true,
      messages: [{ role: 'user', content: 'Count to five slowly' }],
    });
    let chunks = 0;
    for await (const _ of stream) chunks++;
    expect(chunks).toBeGreaterThan(2);
    const first = await metrics.points(FIRST_CHUNK);
    expect(first).toHaveLength(1);
    expect(first[0]!.count).toBe(1);
    expect(first[0]!.attributes['gen_ai.request.model']).toBe('stream-gpt');
    const span = h.span('chat stream-gpt');
    expect(first[0]!.sum).toBeCloseTo(
      span.attributes['gen_ai.response.time_to_first_chunk'] as number,
      9,
    );
    const perChunk = await metrics.points(PER_CHUNK);
    expect(perChunk.reduce((n, p) => n + p.count, 0)).toBe(chunks - 1);
  });

  it('a plain call records no chunk metrics', async () => {
    await openai().chat.completions.create({
      model: 'plain-gpt',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(await metrics.points(FIRST_CHUNK)).toEqual([]);
    expect(await metrics.points(PER_CHUNK)).toEqual([]);
  });

  it('a denied call is not a GenAI operation: no duration or token point; the span says deny', async () => {
    const err = await openai()
      .chat.completions.create({
        model: 'denied-gpt',
        messages: [{ role: 'user', content: 'My SSN is 123-45-6789' }],
      })
      .catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('AXONFLOW_POLICY_VIOLATION');
    expect(await metrics.points(DURATION)).toEqual([]);
    expect(await metrics.points(TOKENS)).toEqual([]);
    const span = h.span('chat denied-gpt');
    expect(span.attributes['axonflow.decision']).toBe('deny');
    expect(span.status.code).toBe(2);
  });

  it('a failed call has one exception event: type and scrubbed message, no stack trace', async () => {
    await openai()
      .chat.completions.create({
        model: 'sandbox-fault-500',
        messages: [{ role: 'user', content: 'hello' }],
      })
      .catch(() => undefined);
    const span = h.span('chat sandbox-fault-500');
    const events = span.events.filter(e => e.name === 'exception');
    expect(events).toHaveLength(1);
    expect(events[0]!.attributes).toEqual({
      'exception.type': span.attributes['error.type'],
      'exception.message': span.status.message,
    });
  });
});

function byTokenType(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return String(a['gen_ai.token.type']).localeCompare(String(b['gen_ai.token.type']));
}
