/**
 * A tiny loopback server answering every request with scripted SSE text, for streams the sandbox
 * would never produce (truncated, out of order, malformed). It records when a client's connection
 * closes, so tests can check that a decoder released its body.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RawServer {
  url: string;
  /** Resolves when the current request's connection has closed. */
  closed(): Promise<void>;
  close(): Promise<void>;
}

/** `script` writes to the response; it decides whether (and how) to end it. */
export async function rawSseServer(
  script: (res: ServerResponse) => void | Promise<void>,
): Promise<RawServer> {
  let onClose: Promise<void> = Promise.resolve();
  const server = createServer((req, res) => {
    onClose = new Promise(resolve => res.on('close', () => resolve()));
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    void script(res);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    closed: () => onClose,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const ev = (type: string, data: Record<string, unknown> = {}) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
export const data = (payload: unknown) =>
  `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
