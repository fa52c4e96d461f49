/**
 * The sandbox model's Amazon Bedrock dialects, driven by the real clients over loopback:
 * `@anthropic-ai/bedrock-sdk` (`AnthropicBedrock`: InvokeModel and its event stream, with Claude's
 * Messages format) and `@aws-sdk/client-bedrock-runtime` (Converse, ConverseStream, InvokeModel
 * and InvokeModelWithResponseStream for every model family, CountTokens; over HTTP/2 cleartext,
 * the client's default). Checks that replies parse, that text and usage are those chat
 * completions give the same prompt, that streams decode fully, and that every call counts as
 * exactly one model request.
 */
import AnthropicBedrock from '@anthropic-ai/bedrock-sdk';
import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvent } from '../../src/sandbox/http/aws-event-stream.js';
import { countTokens } from '../../src/sandbox/model/tokenizer.js';
import { useSandbox } from './support/sandbox.js';

// The AWS SDK may look for its region or defaults on the EC2 metadata service; it must never
// leave loopback, whatever the environment says.
let metadataSetting: string | undefined;
beforeAll(() => {
  metadataSetting = process.env.AWS_EC2_METADATA_DISABLED;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
});
afterAll(() => {
  if (metadataSetting === undefined) delete process.env.AWS_EC2_METADATA_DISABLED;
  else process.env.AWS_EC2_METADATA_DISABLED = metadataSetting;
});

const sandbox = useSandbox();
const PROMPT = 'What is the capital of France?';
const CLAUDE = 'anthropic.claude-3-5-sonnet-20241022-v2:0';

const anthropicBedrock = () =>
  new AnthropicBedrock({
    skipAuth: true,
    baseURL: sandbox().url,
    awsRegion: 'us-east-1',
    maxRetries: 0,
  });

const runtimeClients: BedrockRuntimeClient[] = [];
afterAll(() => {
  for (const client of runtimeClients) client.destroy();
});
/** The client as an app would build it; explicit credentials, so no provider chain runs. */
function runtime(extra: Partial<BedrockRuntimeClientConfig> = {}): BedrockRuntimeClient {
  const client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: sandbox().url,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
    ...extra,
  });
  runtimeClients.push(client);
  return client;
}

/** The reply chat completions gives a single user message: what every dialect must agree with. */
async function chatText(prompt: string): Promise<string> {
  const openai = new OpenAI({ apiKey: 'sk-sandbox', baseURL: sandbox().modelUrl, maxRetries: 0 });
  const res = await openai.chat.completions.create({
    model: 'm',
    messages: [{ role: 'user', content: prompt }],
  });
  return res.choices[0]?.message.content ?? '';
}

/** Runs `call` and checks it cost exactly one model request. */
async function once<T>(call: () => Promise<T>): Promise<T> {
  const before = sandbox().modelRequests();
  const result = await call();
  expect(sandbox().modelRequests()).toBe(before + 1);
  return result;
}

const json = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes));

describe('AnthropicBedrock (InvokeModel with the Messages format)', () => {
  it('answers messages.create like the Messages API, with Bedrock ids', async () => {
    const expected = await chatText(PROMPT);
    const msg = await once(() =>
      anthropicBedrock().messages.create({
        model: CLAUDE,
        max_tokens: 256,
        messages: [{ role: 'user', content: PROMPT }],
      }),
    );
    expect(msg.id).toMatch(/^msg_bdrk_/);
    expect(msg).toMatchObject({
      type: 'message',
      model: CLAUDE,
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: expected }],
      usage: { input_tokens: countTokens(PROMPT), output_tokens: countTokens(expected) },
    });
  });

  it('streams through the AWS event stream back into the Messages events', async () => {
    const expected = await chatText(PROMPT);
    const types: string[] = [];
    const final = await once(async () => {
      const stream = anthropicBedrock().messages.stream({
        model: CLAUDE,
        max_tokens: 256,
        messages: [{ role: 'user', content: PROMPT }],
      });
      stream.on('streamEvent', event => types.push(event.type));
      return stream.finalMessage();
    });
    expect(final.content).toMatchObject([{ type: 'text', text: expected }]);
    expect(final.usage.output_tokens).toBe(countTokens(expected));
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types).not.toContain('ping');
  });

  it('calls a tool, as Claude does, with a text block first', async () => {
    const msg = await anthropicBedrock().messages.create({
      model: CLAUDE,
      max_tokens: 256,
      tools: [
        {
          name: 'get_weather',
          description: 'Current weather',
          input_schema: {
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
          },
        },
      ],
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
    });
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content[1]).toMatchObject({
      type: 'tool_use',
      name: 'get_weather',
      input: { city: 'Paris' },
    });
  });

  it('refuses a body Bedrock would refuse, and faults, as the SDK’s errors', async () => {
    const raw = await fetch(`${sandbox().url}/model/${encodeURIComponent(CLAUDE)}/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        anthropic_version: 'bedrock-2023-05-31',
        model: CLAUDE,
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(await raw.json()).toEqual({
      message: expect.stringMatching(/extraneous key \[model\] is not permitted/),
    });
    await expect(
      anthropicBedrock().messages.create({
        model: 'sandbox-fault-429',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    ).rejects.toBeInstanceOf(AnthropicBedrock.RateLimitError);
  });
});

describe('BedrockRuntimeClient: Converse', () => {
  it('answers Converse with the chat reply, usage and metrics', async () => {
    const expected = await chatText(PROMPT);
    const res = await once(() =>
      runtime().send(
        new ConverseCommand({
          modelId: CLAUDE,
          system: [{ text: 'Be brief.' }],
          messages: [{ role: 'user', content: [{ text: PROMPT }] }],
        }),
      ),
    );
    expect(res.output?.message).toEqual({ role: 'assistant', content: [{ text: expected }] });
    expect(res.stopReason).toBe('end_turn');
    const input = countTokens('Be brief.') + countTokens(PROMPT);
    expect(res.usage).toEqual({
      inputTokens: input,
      outputTokens: countTokens(expected),
      totalTokens: input + countTokens(expected),
    });
    expect(res.metrics?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.$metadata.httpStatusCode).toBe(200);
    expect(res.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('streams ConverseStream events that add up to the Converse reply', async () => {
    const expected = await chatText(PROMPT);
    const events: ConverseStreamOutput[] = [];
    await once(async () => {
      const res = await runtime().send(
        new ConverseStreamCommand({
          modelId: 'amazon.nova-lite-v1:0',
          messages: [{ role: 'user', content: [{ text: PROMPT }] }],
        }),
      );
      for await (const event of res.stream ?? []) events.push(event);
    });
    const kinds = events.map(event => Object.keys(event)[0]);
    expect(kinds[0]).toBe('messageStart');
    expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    const text = events.map(event => event.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe(expected);
    expect(events.at(-2)).toEqual({ messageStop: { stopReason: 'end_turn' } });
    expect(events.at(-1)).toMatchObject({
      metadata: {
        usage: {
          inputTokens: countTokens(PROMPT),
          outputTokens: countTokens(expected),
          totalTokens: countTokens(PROMPT) + countTokens(expected),
        },
      },
    });
  });

  it('calls a tool, then answers its result, in both Converse forms', async () => {
    const toolConfig = {
      tools: [
        {
          toolSpec: {
            name: 'get_weather',
            description: 'Current weather',
            inputSchema: {
              json: {
                type: 'object',
                properties: { city: { type: 'string' } },
                required: ['city'],
              },
            },
          },
        },
      ],
    };
    const question = {
      role: 'user' as const,
      content: [{ text: 'What is the weather in Paris?' }],
    };
    const first = await runtime().send(
      new ConverseCommand({ modelId: CLAUDE, toolConfig, messages: [question] }),
    );
    expect(first.stopReason).toBe('tool_use');
    const toolUse = first.output?.message?.content?.[0]?.toolUse;
    expect(toolUse).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
    expect(toolUse?.toolUseId).toMatch(/^tooluse_/);

    const res = await runtime().send(
      new ConverseStreamCommand({ modelId: CLAUDE, toolConfig, messages: [question] }),
    );
    let input = '';
    let started: unknown;
    for await (const event of res.stream ?? []) {
      started ??= event.contentBlockStart?.start?.toolUse;
      input += event.contentBlockDelta?.delta?.toolUse?.input ?? '';
    }
    expect(started).toMatchObject({ name: 'get_weather' });
    expect(JSON.parse(input)).toEqual({ city: 'Paris' });

    const answer = await runtime().send(
      new ConverseCommand({
        modelId: CLAUDE,
        toolConfig,
        messages: [
          question,
          { role: 'assistant', content: [{ toolUse: toolUse as never }] },
          {
            role: 'user',
            content: [
              { toolResult: { toolUseId: toolUse?.toolUseId, content: [{ text: '18°C, sunny' }] } },
            ],
          },
        ],
      }),
    );
    expect(answer.output?.message?.content).toEqual([
      { text: 'The get_weather tool returned: 18°C, sunny' },
    ]);
  });

  it('stops at maxTokens with max_tokens', async () => {
    const res = await runtime().send(
      new ConverseCommand({
        modelId: CLAUDE,
        inferenceConfig: { maxTokens: 2 },
        messages: [{ role: 'user', content: [{ text: PROMPT }] }],
      }),
    );
    expect(res.output?.message?.content).toEqual([{ text: 'Sandbox reply' }]);
    expect(res.stopReason).toBe('max_tokens');
  });

  it('counts tokens as Converse and InvokeModel report them', async () => {
    const converse = await once(() =>
      runtime().send(
        new CountTokensCommand({
          modelId: CLAUDE,
          input: { converse: { messages: [{ role: 'user', content: [{ text: PROMPT }] }] } },
        }),
      ),
    );
    expect(converse.inputTokens).toBe(countTokens(PROMPT));
    const invoke = await runtime().send(
      new CountTokensCommand({
        modelId: 'meta.llama3-8b-instruct-v1:0',
        input: {
          invokeModel: { body: new TextEncoder().encode(JSON.stringify({ prompt: PROMPT })) },
        },
      }),
    );
    expect(invoke.inputTokens).toBe(countTokens(PROMPT));
  });

  it('answers faults and bad requests as AWS exceptions', async () => {
    const client = runtime({ maxAttempts: 1 });
    await expect(
      client.send(
        new ConverseCommand({
          modelId: 'sandbox-fault-429',
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
        }),
      ),
    ).rejects.toBeInstanceOf(ThrottlingException);
    await expect(
      client.send(new ConverseCommand({ modelId: CLAUDE, messages: [] })),
    ).rejects.toBeInstanceOf(ValidationException);
  });
});

/** A body in each family's native format, and where its reply keeps the text and usage. */
const FAMILIES = [
  {
    modelId: CLAUDE,
    body: {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 256,
      messages: [{ role: 'user', content: PROMPT }],
    },
    text: (r: any) => r.content[0].text,
    usage: (r: any) => [r.usage.input_tokens, r.usage.output_tokens],
    streamText: (c: any) => (c.type === 'content_block_delta' ? c.delta.text : ''),
  },
  {
    modelId: 'us.amazon.nova-lite-v1:0',
    body: {
      schemaVersion: 'messages-v1',
      messages: [{ role: 'user', content: [{ text: PROMPT }] }],
      inferenceConfig: { max_new_tokens: 256 },
    },
    text: (r: any) => r.output.message.content[0].text,
    usage: (r: any) => [r.usage.inputTokens, r.usage.outputTokens],
    streamText: (c: any) => c.contentBlockDelta?.delta?.text ?? '',
  },
  {
    modelId: 'amazon.titan-text-express-v1',
    body: { inputText: PROMPT, textGenerationConfig: { maxTokenCount: 256 } },
    text: (r: any) => r.results[0].outputText,
    usage: (r: any) => [r.inputTextTokenCount, r.results[0].tokenCount],
    streamText: (c: any) => c.outputText,
  },
  {
    modelId: 'meta.llama3-70b-instruct-v1:0',
    body: {
      prompt: `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n${PROMPT}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`,
      max_gen_len: 256,
    },
    text: (r: any) => r.generation,
    usage: (r: any) => [r.prompt_token_count, r.generation_token_count],
    streamText: (c: any) => c.generation,
  },
  {
    modelId: 'mistral.mistral-7b-instruct-v0:2',
    body: { prompt: `<s>[INST] ${PROMPT} [/INST]`, max_tokens: 256 },
    text: (r: any) => r.outputs[0].text,
    usage: () => undefined,
    streamText: (c: any) => c.outputs[0].text,
  },
  {
    modelId: 'cohere.command-r-v1:0',
    body: { message: PROMPT, max_tokens: 256 },
    text: (r: any) => r.text,
    usage: (r: any) => [r.meta.billed_units.input_tokens, r.meta.billed_units.output_tokens],
    streamText: (c: any) => (c.event_type === 'text-generation' ? c.text : ''),
  },
];

describe('BedrockRuntimeClient: InvokeModel in each family’s format', () => {
  it.each(FAMILIES)('$modelId answers with the chat reply and its usage', async family => {
    const expected = await chatText(PROMPT);
    const res = await once(() =>
      runtime().send(
        new InvokeModelCommand({
          modelId: family.modelId,
          contentType: 'application/json',
          accept: 'application/json',
          body: JSON.stringify(family.body),
        }),
      ),
    );
    expect(res.contentType).toBe('application/json');
    const reply = json(res.body);
    expect(family.text(reply)).toBe(expected);
    const usage = family.usage(reply);
    if (usage) expect(usage).toEqual([countTokens(PROMPT), countTokens(expected)]);
  });

  it.each(FAMILIES)('$modelId streams chunks that add up to it', async family => {
    const expected = await chatText(PROMPT);
    const chunks: any[] = [];
    await once(async () => {
      const res = await runtime().send(
        new InvokeModelWithResponseStreamCommand({
          modelId: family.modelId,
          contentType: 'application/json',
          body: JSON.stringify(family.body),
        }),
      );
      for await (const event of res.body ?? []) chunks.push(json(event.chunk?.bytes));
    });
    expect(chunks.map(family.streamText).join('')).toBe(expected);
    expect(chunks.at(-1)['amazon-bedrock-invocationMetrics']).toMatchObject({
      inputTokenCount: countTokens(PROMPT),
      outputTokenCount: countTokens(expected),
    });
  });

  it('embeds with Titan and Cohere, the same text the same way', async () => {
    const titan = json(
      (
        await once(() =>
          runtime().send(
            new InvokeModelCommand({
              modelId: 'amazon.titan-embed-text-v2:0',
              body: JSON.stringify({ inputText: 'hello world', dimensions: 8 }),
            }),
          ),
        )
      ).body,
    );
    expect(titan.embedding).toHaveLength(8);
    expect(titan.inputTextTokenCount).toBe(2);
    const cohere = json(
      (
        await runtime().send(
          new InvokeModelCommand({
            modelId: 'cohere.embed-english-v3',
            body: JSON.stringify({ texts: ['hello world'], input_type: 'search_document' }),
          }),
        )
      ).body,
    );
    expect(cohere).toMatchObject({ response_type: 'embeddings_floats', texts: ['hello world'] });
    expect(cohere.embeddings[0].slice(0, 8)).not.toEqual(titan.embedding);
    const again = json(
      (
        await runtime().send(
          new InvokeModelCommand({
            modelId: 'amazon.titan-embed-text-v2:0',
            body: JSON.stringify({ inputText: 'hello world', dimensions: 8 }),
          }),
        )
      ).body,
    );
    expect(again.embedding).toEqual(titan.embedding);
  });

  it('reports token counts in the InvokeModel headers', async () => {
    const res = await fetch(`${sandbox().url}/model/meta.llama3-8b-instruct-v1%3A0/invoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: PROMPT }),
    });
    expect(res.headers.get('x-amzn-bedrock-input-token-count')).toBe(String(countTokens(PROMPT)));
    expect(Number(res.headers.get('x-amzn-bedrock-output-token-count'))).toBeGreaterThan(0);
    expect(res.headers.get('x-amzn-bedrock-invocation-latency')).toMatch(/^\d+$/);
  });
});

describe('the AWS event-stream framing', () => {
  it('frames each chunk with the chunk event headers and base64 bytes', async () => {
    const res = await fetch(
      `${sandbox().url}/model/mistral.mistral-7b-instruct-v0%3A2/invoke-with-response-stream`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'hi' }),
      },
    );
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const frames = [];
    for (let at = 0; at < bytes.length; ) {
      const length = new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0);
      frames.push(decodeEvent(bytes.subarray(at, at + length)));
      at += length;
    }
    expect(frames.length).toBeGreaterThan(1);
    for (const frame of frames) {
      expect(frame.headers).toEqual({
        ':event-type': 'chunk',
        ':message-type': 'event',
        ':content-type': 'application/json',
      });
      expect(Object.keys(frame.body as object)).toEqual(['bytes']);
    }
    const firstBytes = (frames[0]?.body as { bytes?: string } | undefined)?.bytes ?? '';
    const first = JSON.parse(Buffer.from(firstBytes, 'base64').toString());
    expect(first).toEqual({ outputs: [{ text: 'Sandbox', stop_reason: null }] });
  });

  it('cuts a stream mid-way on a cut fault, which the client sees as an error', async () => {
    const res = await runtime({ maxAttempts: 1 }).send(
      new ConverseStreamCommand({
        modelId: 'sandbox-fault-cut',
        messages: [{ role: 'user', content: [{ text: PROMPT }] }],
      }),
    );
    const drain = async () => {
      for await (const _ of res.stream ?? []) {
        // consume until the connection drops
      }
    };
    await expect(drain()).rejects.toThrow();
  });
});
