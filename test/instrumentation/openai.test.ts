import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { isWrapped } from '@opentelemetry/instrumentation';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AxonFlowClient,
  ErrorCode,
  PolicyViolationError,
  withAxonFlowContext,
} from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';
import { approve, startScriptedAgent } from '../helpers/scripted-agent.js';

const MODEL = 'sandbox-gpt';
const PROMPT = 'What is the capital of France?';
const SSN_PROMPT = 'My SSN is 123-45-6789, please remember it';

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;
let openai: OpenAI;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    retry: { maxAttempts: 1 },
  });
  h = setupHarness({ client });
  openai = new OpenAI({ apiKey: 'sk-test-openai-key', baseURL: sandbox.modelUrl, maxRetries: 0 });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  h.reset();
  sandbox.resetCounters();
  sandbox.startAgent();
  sandbox.clearFaults();
  h.instrumentation.setConfig({ client });
  h.instrumentation.enable();
});

afterEach(() => {
  // Every span a test starts must have ended by the time the test is done.
  for (const s of h.spans()) expect(s.ended).toBe(true);
});

describe('chat.completions.create', () => {
  it('traces an allowed call as chat span with pre-check and delegation children', async () => {
    const completion = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: PROMPT }],
      temperature: 0.2,
      max_tokens: 64,
    });
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': MODEL,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.max_tokens': 64,
      'gen_ai.response.id': completion.id,
      'gen_ai.response.model': completion.model,
      'gen_ai.response.finish_reasons': [completion.choices[0]!.finish_reason],
      'gen_ai.usage.input_tokens': completion.usage!.prompt_tokens,
      'gen_ai.usage.output_tokens': completion.usage!.completion_tokens,
      'server.address': '127.0.0.1',
      'server.port': sandbox.port,
      'axonflow.decision': 'allow',
      'axonflow.cache.hit': false,
    });
    expect(chat.attributes['gen_ai.request.stream']).toBeUndefined();
    expect(chat.status.code).toBe(SpanStatusCode.UNSET);
    const children = h
      .childrenOf(chat)
      .map(s => s.name)
      .sort();
    expect(children).toEqual(['axonflow.delegate', 'axonflow.pre_check']);
    const pre = h.span('axonflow.pre_check');
    expect(pre.attributes['axonflow.decision']).toBe('allow');
    expect(pre.attributes['axonflow.context_id']).toMatch(/[0-9a-f-]{36}/);
    expect(sandbox.modelRequests()).toBe(1);
  });

  it('keeps prompts and completions out of spans by default', async () => {
    const completion = await openai.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: PROMPT },
      ],
    });
    const everything = JSON.stringify(h.spans().map(s => s.attributes));
    expect(everything).not.toContain(PROMPT);
    expect(everything).not.toContain('Be terse.');
    expect(everything).not.toContain(completion.choices[0]!.message.content!);
    expect(everything).not.toContain('sk-test-openai-key');
  });

  it('records content when opted in, capped', async () => {
    h.instrumentation.setConfig({
      client,
      captureMessageContent: true,
      maxCapturedContentChars: 400,
    });
    const completion = await openai.chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: PROMPT },
      ],
    });
    const chat = h.span(`chat ${MODEL}`);
    const input = JSON.parse(String(chat.attributes['gen_ai.input.messages']));
    expect(input).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be terse.' }] },
      { role: 'user', parts: [{ type: 'text', content: PROMPT }] },
    ]);
    const output = JSON.parse(String(chat.attributes['gen_ai.output.messages']));
    expect(output).toEqual([
      {
        role: 'assistant',
        parts: [{ type: 'text', content: completion.choices[0]!.message.content }],
        finish_reason: completion.choices[0]!.finish_reason,
      },
    ]);

    h.reset();
    await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'x'.repeat(5000) }],
    });
    const capped = String(h.span(`chat ${MODEL}`).attributes['gen_ai.input.messages']);
    expect(capped.length).toBeLessThanOrEqual(400);
    // Cut inside the text, so the attribute is still the JSON the conventions describe.
    expect(JSON.parse(capped)[0].parts[0].content).toMatch(/^x+…\[truncated\]$/);
  });

  it('throws PolicyViolationError for a denied prompt and never calls the model', async () => {
    const err = await openai.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: SSN_PROMPT }] })
      .catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err.code).toBe(ErrorCode.POLICY_VIOLATION);
    expect(err.blockReason).toMatch(/Social Security Number/);
    expect(err.policies.length).toBeGreaterThan(0);
    expect(err.contextId).toBeTruthy();
    expect(sandbox.modelRequests()).toBe(0);
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes).toMatchObject({
      'axonflow.decision': 'deny',
      'error.type': ErrorCode.POLICY_VIOLATION,
    });
    expect(h.span('axonflow.pre_check').attributes['axonflow.block_reason']).toMatch(
      /Social Security Number/,
    );
    expect(h.spans().some(s => s.name === 'axonflow.delegate')).toBe(false);
    // The block reason names the policy, never the matched content.
    expect(JSON.stringify(h.spans().map(s => s.attributes))).not.toContain('123-45-6789');
  });

  it('rejects a denied streaming call when it is awaited, before any request', async () => {
    const err = await openai.chat.completions
      .create({ model: MODEL, stream: true, messages: [{ role: 'user', content: SSN_PROMPT }] })
      .catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('fails open when the agent is down, and marks the span', async () => {
    sandbox.stopAgent('reset');
    const completion = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'fail open please' }],
    });
    expect(completion.choices[0]!.message.content).toBeTruthy();
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'axonflow.decision': 'fail_open',
      'axonflow.fail_open': true,
      'axonflow.audit.skipped': 'fail_open:network',
    });
    expect(chat.status.code).toBe(SpanStatusCode.UNSET);
    expect(h.span('axonflow.pre_check').status.code).toBe(SpanStatusCode.ERROR);
  });

  it('serves a repeated prompt from the decision cache', async () => {
    const params = { model: MODEL, messages: [{ role: 'user' as const, content: 'cache me' }] };
    await openai.chat.completions.create(params);
    await openai.chat.completions.create(params);
    const pre = h.spans().filter(s => s.name === 'axonflow.pre_check');
    expect(pre.map(s => s.attributes['axonflow.cache.hit'])).toEqual([false, true]);
  });

  it('runs one pre-check per call even when the SDK retries', async () => {
    const retrying = new OpenAI({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 2 });
    sandbox.injectModelFault('429', 1);
    const before = sandbox.agentRequests();
    const completion = await retrying.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'retry me once' }],
    });
    expect(completion.choices).toHaveLength(1);
    expect(sandbox.modelRequests()).toBe(2);
    expect(sandbox.agentRequests() - before).toBe(1);
    expect(h.spans().filter(s => s.name.startsWith('chat '))).toHaveLength(1);
  });

  it('reaches the app with the SDK error unchanged on a provider error', async () => {
    const err = await openai.chat.completions
      .create({ model: 'sandbox-fault-500', messages: [{ role: 'user', content: 'boom' }] })
      .catch(e => e);
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    const chat = h.span('chat sandbox-fault-500');
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
    expect(chat.attributes['error.type']).toBe('InternalServerError');
  });

  it('carries identity from withAxonFlowContext to the pre-check, across await', async () => {
    const agent = await startScriptedAgent(approve());
    const scripted = new AxonFlowClient({ endpoint: agent.url, telemetry: false });
    h.instrumentation.setConfig({ client: scripted });
    try {
      await withAxonFlowContext(
        { userToken: 'user-alice', dataSources: ['crm'], context: { team: 'sales' } },
        async () => {
          await new Promise(r => setTimeout(r, 1));
          await openai.chat.completions.create({
            model: MODEL,
            messages: [{ role: 'user', content: PROMPT }],
          });
        },
      );
      await openai.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'outside' }],
      });
      const [inside, outside] = agent.requests.map(r => JSON.parse(r.body));
      expect(inside).toMatchObject({
        user_token: 'user-alice',
        data_sources: ['crm'],
        context: { team: 'sales', provider: 'openai', model: MODEL, operation: 'chat' },
      });
      expect(inside.query).toBe(`user: ${PROMPT}`);
      expect(outside.user_token).toBe('anonymous');
    } finally {
      await scripted.close();
      await agent.close();
    }
  });
});

describe('SDK surface is preserved', () => {
  it('copes with .withResponse()', async () => {
    const { data, response, request_id } = await openai.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: PROMPT }] })
      .withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(response.status).toBe(200);
    expect(request_id === null || typeof request_id === 'string').toBe(true);
    expect(h.spans().filter(s => s.name === `chat ${MODEL}`)).toHaveLength(1);
  });

  it('copes with .asResponse(): the body is left for the app to read', async () => {
    const response = await openai.chat.completions
      .create({ model: MODEL, messages: [{ role: 'user', content: PROMPT }] })
      .asResponse();
    const body = (await response.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBeTruthy();
    await new Promise(r => setImmediate(r));
    expect(h.span(`chat ${MODEL}`).ended).toBe(true);
  });

  it('streams with usage and ends the span after the last chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Tell me a short story about a lighthouse' }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
      expect(h.spans().some(s => s.name === `chat ${MODEL}`)).toBe(false);
    }
    expect(text.length).toBeGreaterThan(0);
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': usage!.prompt_tokens,
      'gen_ai.usage.output_tokens': usage!.completion_tokens,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    expect(chat.attributes['axonflow.stream.cancelled']).toBeUndefined();
  });

  it('does not prevent usage of tee', async () => {
    const stream = await openai.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: PROMPT }],
    });
    const [left, right] = stream.tee();
    const read = async (s: typeof left) => {
      let out = '';
      for await (const chunk of s) out += chunk.choices[0]?.delta?.content ?? '';
      return out;
    };
    const [a, b] = await Promise.all([read(left), read(right)]);
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(0);
    expect(h.spans().filter(s => s.name === `chat ${MODEL}`)).toHaveLength(1);
  });

  it('does not prevent usage of abort', async () => {
    const stream = await openai.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: 'Tell me a long story about the sea and ships' }],
    });
    let chunks = 0;
    for await (const _ of stream) {
      if (++chunks === 2) stream.controller.abort();
    }
    expect(chunks).toBe(2);
    expect(h.span(`chat ${MODEL}`).ended).toBe(true);
  });

  it('ends the span on early break, marked cancelled', async () => {
    const stream = await openai.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: 'Tell me a long story about the sea and ships' }],
    });
    for await (const _ of stream) break;
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes['axonflow.stream.cancelled']).toBe(true);
    expect(h.span('axonflow.delegate').ended).toBe(true);
  });

  it('does not misbehave with double iteration', async () => {
    const stream = await openai.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: PROMPT }],
    });
    for await (const _ of stream) {
      // drain
    }
    const again = await (async () => {
      for await (const _ of stream) {
        // second pass
      }
    })().catch(e => e);
    expect(String(again?.message)).toMatch(/consumed stream/);
    expect(h.spans().filter(s => s.name === `chat ${MODEL}`)).toHaveLength(1);
  });

  it('keeps toReadableStream working', async () => {
    const stream = await openai.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: PROMPT }],
    });
    const reader = stream.toReadableStream().getReader();
    let lines = 0;
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      lines++;
    }
    expect(lines).toBeGreaterThan(1);
    expect(h.span(`chat ${MODEL}`).ended).toBe(true);
  });

  it('surfaces a mid-stream cut as the SDK error and ends the span with it', async () => {
    sandbox.injectModelFault('cut');
    const stream = await openai.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: 'user', content: 'Tell me a long story about the sea and ships' }],
    });
    const err = await (async () => {
      for await (const _ of stream) {
        // read until the cut
      }
    })().catch(e => e);
    expect(err).toBeInstanceOf(Error);
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('responses and embeddings', () => {
  it('traces responses.create', async () => {
    const response = await openai.responses.create({
      model: MODEL,
      input: PROMPT,
      instructions: 'Be brief.',
    });
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.response.id': response.id,
      'gen_ai.usage.input_tokens': response.usage!.input_tokens,
      'gen_ai.usage.output_tokens': response.usage!.output_tokens,
      'axonflow.decision': 'allow',
    });
  });

  it('traces streaming responses.create', async () => {
    const stream = await openai.responses.create({ model: MODEL, input: PROMPT, stream: true });
    let completed: any;
    for await (const event of stream)
      if (event.type === 'response.completed') completed = event.response;
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.id': completed.id,
      'gen_ai.usage.output_tokens': completed.usage.output_tokens,
    });
  });

  it('gates responses.create on the pre-check', async () => {
    const err = await openai.responses.create({ model: MODEL, input: SSN_PROMPT }).catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(sandbox.modelRequests()).toBe(0);
  });

  it('traces embeddings and pre-checks their input', async () => {
    const result = await openai.embeddings.create({
      model: 'sandbox-embed',
      input: ['hello world', 'good night'],
    });
    const span = h.span('embeddings sandbox-embed');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.usage.input_tokens': result.usage.prompt_tokens,
      'axonflow.decision': 'allow',
    });
    const err = await openai.embeddings
      .create({ model: 'sandbox-embed', input: SSN_PROMPT })
      .catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
  });
});

describe('never breaks the app', () => {
  it('calls the SDK untouched when reading the request throws', async () => {
    let reads = 0;
    const params = {
      model: MODEL,
      get messages() {
        reads++;
        if (reads === 1) throw new Error('hostile getter');
        return [{ role: 'user' as const, content: PROMPT }];
      },
    };
    const completion = await openai.chat.completions.create(params as never);
    expect(completion.choices).toHaveLength(1);
  });

  it('lets the SDK report a circular request as it would without instrumentation', async () => {
    const params: Record<string, unknown> = {
      model: MODEL,
      messages: [{ role: 'user', content: PROMPT }],
    };
    params.metadata = params;
    h.instrumentation.disable();
    const plain = await openai.chat.completions.create(params as never).catch(e => e);
    h.instrumentation.enable();
    const instrumented = await openai.chat.completions.create(params as never).catch(e => e);
    expect(instrumented?.constructor).toBe(plain?.constructor);
    expect(instrumented?.message).toBe(plain?.message);
  });

  it('makes no agent calls with governance off, and still traces', async () => {
    h.instrumentation.setConfig({ client, governance: false });
    await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: SSN_PROMPT }],
    });
    expect(sandbox.agentRequests()).toBe(0);
    expect(sandbox.modelRequests()).toBe(1);
    const chat = h.span(`chat ${MODEL}`);
    expect(chat.attributes['axonflow.decision']).toBe('skipped');
    expect(h.childrenOf(chat)).toHaveLength(0);
  });

  it('restores the originals on disable and never double-wraps on enable', async () => {
    // The client's base class owns `request`, which every API method reaches.
    let proto: any = OpenAI.prototype;
    while (proto && !Object.hasOwn(proto, 'request')) proto = Object.getPrototypeOf(proto);
    proto = proto as { request: { __original?: unknown } };
    expect(isWrapped(proto.request)).toBe(true);
    const wrapped = proto.request;
    h.instrumentation.enable();
    expect(proto.request).toBe(wrapped);
    h.instrumentation.disable();
    expect(isWrapped(proto.request)).toBe(false);
    await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: PROMPT }],
    });
    expect(h.spans()).toHaveLength(0);
    expect(sandbox.agentRequests()).toBe(0);
    h.instrumentation.enable();
    expect(isWrapped(proto.request)).toBe(true);
    expect((proto.request.__original as { __original?: unknown }).__original).toBeUndefined();
  });
});
