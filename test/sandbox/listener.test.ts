/**
 * The sandbox's one port speaking two protocols: HTTP/1.1 requests whose bytes arrive slowly and
 * keep-alive reuse must survive the protocol sniffing, and an HTTP/2 cleartext client (prior
 * knowledge, as the AWS SDK's Bedrock client connects) reaches the same routes, model and agent.
 */
import { connect as connectHttp2 } from 'node:http2';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { useSandbox } from './support/sandbox.js';

const sandbox = useSandbox();
const chatBody = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });

describe('HTTP/1.1 on the sandbox port', () => {
  it('reads a request sent in pieces, then a second one on the same connection', async () => {
    const socket = connect(sandbox().port, '127.0.0.1');
    await new Promise(resolve => socket.once('connect', resolve));
    let received = '';
    socket.on('data', chunk => {
      received += chunk;
    });
    const head = `POST /v1/chat/completions HTTP/1.1\r\nhost: sandbox\r\ncontent-type: application/json\r\ncontent-length: ${chatBody.length}\r\n\r\n`;
    // "P" alone cannot decide the protocol; the rest, and the body, come later.
    socket.write(head.slice(0, 1));
    await sleep(30);
    socket.write(head.slice(1));
    await sleep(30);
    socket.write(chatBody.slice(0, 5));
    await sleep(30);
    socket.write(chatBody.slice(5));
    await expect.poll(() => received.match(/HTTP\/1\.1 200 OK/g)?.length).toBe(1);
    socket.write(`${head}${chatBody}`);
    await expect.poll(() => received.match(/HTTP\/1\.1 200 OK/g)?.length).toBe(2);
    expect(received).toContain('"object":"chat.completion"');
    socket.destroy();
  });
});

describe('HTTP/2 cleartext on the sandbox port', () => {
  async function request(
    path: string,
    init: { method?: string; body?: string } = {},
  ): Promise<{ status: number; body: any }> {
    const session = connectHttp2(sandbox().url);
    try {
      const stream = session.request({
        ':method': init.method ?? 'GET',
        ':path': path,
        'content-type': 'application/json',
      });
      const status = new Promise<number>(resolve =>
        stream.once('response', headers => resolve(Number(headers[':status']))),
      );
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', chunk => {
        text += chunk;
      });
      const ended = new Promise(resolve => stream.once('end', resolve));
      stream.end(init.body);
      await ended;
      return { status: await status, body: JSON.parse(text) };
    } finally {
      session.close();
    }
  }

  it('serves model and agent routes, and counts the model request', async () => {
    const before = sandbox().modelRequests();
    const chat = await request('/v1/chat/completions', { method: 'POST', body: chatBody });
    expect(chat.status).toBe(200);
    expect(chat.body.object).toBe('chat.completion');
    expect(sandbox().modelRequests()).toBe(before + 1);
    const health = await request('/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'healthy' } });
  });
});
