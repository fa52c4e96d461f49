/**
 * A scriptable HTTP server on loopback that plays the AxonFlow agent for fault tests: each test
 * sets how it answers (approve, deny, hang, drip, huge, garbage…) and reads what it received.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Handler = (req: ReceivedRequest, res: http.ServerResponse) => void | Promise<void>;

export interface ScriptedAgent {
  url: string;
  requests: ReceivedRequest[];
  count(path?: string): number;
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function approve(extra: Record<string, unknown> = {}): Handler {
  let n = 0;
  return (_req, res) =>
    json(res, 200, {
      context_id: `ctx-${++n}`,
      approved: true,
      policies: [],
      expires_at: new Date(Date.now() + 5 * 60_000).toISOString(),
      ...extra,
    });
}

export async function startScriptedAgent(initial: Handler = approve()): Promise<ScriptedAgent> {
  let handler = initial;
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      Promise.resolve(handler(received, res)).catch(() => res.destroy());
    });
  });
  server.on('connection', s => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: path => (path ? requests.filter(r => r.path === path).length : requests.length),
    handle: h => {
      handler = h;
    },
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
