import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient, type AxonFlowClientConfig, ErrorCode } from '../../src/index.js';
import { type ScriptedAgent, startScriptedAgent } from '../helpers/scripted-agent.js';

let agent: ScriptedAgent;
const clients: AxonFlowClient[] = [];

function client(config: AxonFlowClientConfig = {}): AxonFlowClient {
  const c = new AxonFlowClient({ endpoint: agent.url, telemetry: false, ...config });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  agent = await startScriptedAgent();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map(c => c.close()));
  await agent.close();
});

/** A chunked reply (no content-length) of `bytes` bytes of JSON-ish padding. */
function chunked(status: number, bytes: number) {
  agent.handle((_q, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.write(`{"pad":"${' '.repeat(bytes)}`);
    res.end('"}');
  });
}

describe('the reply size cap', () => {
  it('accepts a chunked reply up to the cap', async () => {
    agent.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = JSON.stringify({ context_id: 'c', approved: true, policies: [] });
      res.end(body.padEnd(2048, ' '));
    });
    const result = await client({ maxResponseBytes: 2048 }).preCheck({ query: 'x' });
    expect(result).toMatchObject({ approved: true, contextId: 'c' });
  });

  it('refuses a chunked reply one chunk over the cap, with the status, and blocks', async () => {
    chunked(200, 4096);
    const err = await client({ maxResponseBytes: 2048 })
      .preCheck({ query: 'x' })
      .catch(e => e);
    expect(err).toMatchObject({ code: ErrorCode.INVALID_RESPONSE, status: 200 });
    expect(err.message).toBe('AxonFlow agent reply too large (over 2048 bytes)');
  });

  it('treats a 5xx reply over the cap as unavailability (fail-open in production)', async () => {
    chunked(503, 4096);
    const result = await client({ maxResponseBytes: 2048, retry: { maxAttempts: 1 } }).preCheck({
      query: 'x',
    });
    expect(result).toMatchObject({ failOpen: true, failOpenReason: 'http_5xx' });
  });

  it('keeps the connection pool usable after a reply was cut off', async () => {
    chunked(200, 4096);
    const c = client({ maxResponseBytes: 2048, cache: { enabled: false } });
    await c.preCheck({ query: 'x' }).catch(() => undefined);
    agent.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ context_id: 'c2', approved: true, policies: [] }));
    });
    expect(await c.preCheck({ query: 'y' })).toMatchObject({ approved: true, contextId: 'c2' });
  });
});

describe('streams', () => {
  it('are not cut off at the reply cap, which bounds single replies only', async () => {
    const frame = (delta: object, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const words = Array.from({ length: 400 }, (_, i) => `word${i} `);
    agent.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame({ role: 'assistant' }));
      for (const w of words) res.write(frame({ content: w }));
      res.write(frame({}, 'stop'));
      res.write(
        `data: ${JSON.stringify({ axon_metadata: { success: true, terminal_reason: 'stop' } })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
    const stream = client({ maxResponseBytes: 1024 }).proxyLLMCallStream({
      query: 'q',
      dialect: 'openai',
    });
    let text = '';
    for await (const e of stream) if (e.type === 'text_delta') text += e.text;
    expect(text).toBe(words.join(''));
    expect(Buffer.byteLength(text)).toBeGreaterThan(1024);
    await expect(stream.metadata).resolves.toMatchObject({ success: true });
  });

  it('still cap a non-stream answer to a streamed request', async () => {
    chunked(200, 4096);
    const stream = client({ maxResponseBytes: 2048 }).proxyLLMCallStream({ query: 'q' });
    const err = await (async () => {
      for await (const _ of stream);
    })().catch(e => e);
    expect(err).toMatchObject({ code: ErrorCode.INVALID_RESPONSE, status: 200 });
    expect(err.message).toMatch(/too large/);
    await stream.metadata.catch(() => undefined);
  });
});
