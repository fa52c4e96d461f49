import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AxonFlowClient,
  type AxonStreamEvent,
  ErrorCode,
  PolicyViolationError,
} from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';

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

async function collect(stream: AsyncIterable<AxonStreamEvent>): Promise<AxonStreamEvent[]> {
  const events: AxonStreamEvent[] = [];
  for await (const e of stream) events.push(e);
  return events;
}

describe('proxyLLMCallStream', () => {
  it.each(['anthropic', 'openai'] as const)(
    'decodes the %s dialect end to end, with metadata',
    async dialect => {
      const stream = client.proxyLLMCallStream({ query: 'Write a haiku about the sea', dialect });
      const events = await collect(stream);
      const text = events.flatMap(e => (e.type === 'text_delta' ? [e.text] : [])).join('');
      expect(text.length).toBeGreaterThan(0);
      expect(events.at(-1)?.type).toBe('message_stop');
      const metadata = await stream.metadata;
      expect(metadata).toMatchObject({ success: true, terminalReason: 'stop' });
      expect(metadata.tokensOutput).toBeGreaterThan(0);
    },
  );

  it('throws PolicyViolationError on a blocked prompt before any event', async () => {
    const stream = client.proxyLLMCallStream({ query: 'my SSN is 123-45-6789' });
    const err = await collect(stream).catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(err.code).toBe(ErrorCode.POLICY_VIOLATION);
    await expect(stream.metadata).rejects.toBe(err);
  });

  it('ends cleanly on break and releases the connection', async () => {
    const stream = client.proxyLLMCallStream({ query: 'Tell me a long story about ships' });
    for await (const _ of stream) break;
    await expect(stream.metadata).rejects.toMatchObject({ name: 'AbortError' });
    // The client stays usable afterwards.
    expect((await collect(client.proxyLLMCallStream({ query: 'again' }))).length).toBeGreaterThan(
      0,
    );
  });

  it('stops on abort()', async () => {
    const controller = new AbortController();
    const stream = client.proxyLLMCallStream({
      query: 'Tell me a long story about ships',
      signal: controller.signal,
    });
    let n = 0;
    for await (const _ of stream) if (++n === 2) controller.abort();
    expect(n).toBe(2);
  });

  it('gives the official Anthropic SDK a valid Messages stream in the anthropic dialect', async () => {
    const { Stream } = await import('@anthropic-ai/sdk/core/streaming');
    const controller = new AbortController();
    const response = await fetch(`${sandbox.agentUrl}/api/request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: 'Write a haiku about rain',
        user_token: 'u',
        client_id: 'c',
        request_type: 'chat',
        context: {},
        stream: true,
      }),
      signal: controller.signal,
    });
    const stream = Stream.fromSSEResponse(response, controller, new Anthropic({ apiKey: 'k' }));
    const [raw, forHelper] = stream.tee();
    const types: string[] = [];
    for await (const event of raw as AsyncIterable<{ type: string }>) types.push(event.type);
    expect(types[0]).toBe('message_start');
    expect(types).toContain('content_block_delta');
    expect(types.at(-1)).toBe('message_stop');
    // The metadata frame passes through the SDK's raw stream as one extra event type…
    expect(types.filter(t => t === 'axon.metadata')).toHaveLength(1);
    // …which the SDK's message accumulator ignores: it builds a valid final message.
    const { MessageStream } = await import('@anthropic-ai/sdk/lib/MessageStream');
    const helper = MessageStream.fromReadableStream(forHelper.toReadableStream());
    let streamed = '';
    helper.on('text', t => (streamed += t));
    const final = await helper.finalMessage();
    expect(final.role).toBe('assistant');
    const block = final.content[0];
    expect(block?.type === 'text' ? block.text : '').toBe(streamed);
  });
});
