import type http from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentTransport, Deadline, JsonText, QUEUE_TIMEOUT } from '../../src/client/transport.js';
import { AxonFlowClient, type AxonFlowClientConfig, ErrorCode } from '../../src/index.js';
import { approve, type ScriptedAgent, startScriptedAgent } from '../helpers/scripted-agent.js';

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

describe('the deadline', () => {
  it('settles a request waiting for a connection when its deadline passes, and never sends it', async () => {
    const held: http.ServerResponse[] = [];
    agent.handle((_q, res) => {
      held.push(res);
    });
    const transport = new AgentTransport({
      origin: agent.url,
      connections: 1,
      maxResponseBytes: 1024,
      headers: {},
      basePath: '',
    });
    try {
      const first = transport.send('POST', '/first', new JsonText('{}'), new Deadline(), 1000);
      await vi.waitFor(() => expect(held).toHaveLength(1));
      const waiting = new Deadline();
      const second = transport.send('POST', '/second', new JsonText('{}'), waiting, 1000);
      waiting.abort(QUEUE_TIMEOUT);
      // At once, while the one connection is still held by the first request.
      await expect(second).rejects.toMatchObject({
        code: ErrorCode.UNAVAILABLE,
        reason: 'queue_timeout',
      });
      agent.handle(approve());
      held[0]!.writeHead(200, { 'content-type': 'application/json' });
      held[0]!.end('{"ok":true}');
      await expect(first).resolves.toMatchObject({ status: 200, body: { ok: true } });
      await expect(
        transport.send('POST', '/third', new JsonText('{}'), new Deadline(), 1000),
      ).resolves.toMatchObject({ status: 200 });
      expect(agent.requests.map(r => r.path)).toEqual(['/first', '/third']);
    } finally {
      await transport.destroy();
    }
  });

  it('follows an AbortSignal given instead of a deadline, and sends nothing once it has passed', async () => {
    const transport = new AgentTransport({
      origin: agent.url,
      connections: 1,
      maxResponseBytes: 1024,
      headers: {},
      basePath: '',
    });
    try {
      const reply = await transport.send(
        'GET',
        '/health',
        undefined,
        new AbortController().signal,
        1000,
      );
      expect(reply.status).toBe(200);
      const err = await transport
        .send('POST', '/x', new JsonText('{}'), AbortSignal.abort(), 1000)
        .catch(e => e);
      expect(err).toMatchObject({ code: ErrorCode.TIMEOUT });
      expect(agent.count()).toBe(1);
    } finally {
      await transport.close();
    }
  });

  it('tells the one listener set when it passes, once', () => {
    const deadline = new Deadline();
    const a = { onDeadline: vi.fn() };
    const b = { onDeadline: vi.fn() };
    deadline.listen(a);
    deadline.unlisten(a);
    deadline.listen(b);
    deadline.abort('why');
    deadline.abort('again');
    expect(a.onDeadline).not.toHaveBeenCalled();
    expect(b.onDeadline).toHaveBeenCalledExactlyOnceWith('why');
    expect(deadline).toMatchObject({ aborted: true, reason: 'why' });
    const late = { onDeadline: vi.fn() };
    deadline.listen(late);
    expect(late.onDeadline).toHaveBeenCalledExactlyOnceWith('why');
  });
});
