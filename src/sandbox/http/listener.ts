/**
 * The sandbox's listening socket: one loopback port that speaks HTTP/1.1 and HTTP/2 over
 * cleartext with prior knowledge (h2c). Most clients use HTTP/1.1; the AWS SDK's Bedrock Runtime
 * client only speaks HTTP/2 with its default request handler, so without h2c it could not be
 * pointed at the sandbox unchanged.
 *
 * The first bytes of a connection decide: the HTTP/2 connection preface starts with
 * `PRI * HTTP/2.0`, which no HTTP/1 request line does. The bytes read to decide are put back on
 * the socket before the chosen server sees it, so neither parser misses any.
 *
 * HTTP/2 requests reach the same handler through node's compatibility API, whose request and
 * response objects behave like `IncomingMessage` / `ServerResponse` for everything the sandbox
 * uses (method, url, headers, body iteration; writeHead, write, end, flushHeaders, destroy; a
 * `req.socket.destroy()` resets only that stream).
 */
import {
  createServer as createHttp1Server,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Listener {
  /** The HTTP/1.1 server, for its events (`clientError`) and connection management. */
  readonly http1: Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Drops HTTP/1.1 keep-alive connections that have no request in flight. */
  closeIdleConnections(): void;
  /** Stops listening and destroys every open connection, stalled ones included. */
  close(): Promise<void>;
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** How long a new connection may stay silent before the sandbox drops it. */
const FIRST_BYTES_TIMEOUT_MS = 60_000;

export function createListener(handler: RequestHandler): Listener {
  const http1 = createHttp1Server(handler);
  const http2 = createHttp2Server((req: Http2ServerRequest, res: Http2ServerResponse) =>
    // The compatibility API covers the surface the handlers use (see the header comment).
    handler(req as unknown as IncomingMessage, res as unknown as ServerResponse),
  );
  const sockets = new Set<Socket>();

  const front = createNetServer({ pauseOnConnect: true }, socket => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // A connection that fails before the protocol is known has nobody else to report to.
    const onEarlyError = () => socket.destroy();
    socket.on('error', onEarlyError);
    // A connection that never says anything must not stay open for the sandbox's lifetime.
    const onSilence = () => socket.destroy();
    socket.setTimeout(FIRST_BYTES_TIMEOUT_MS, onSilence);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const seen = Math.min(head.length, H2_PREFACE.length);
      const isHttp2 = head.subarray(0, seen).equals(H2_PREFACE.subarray(0, seen));
      // Undecided until the whole preface arrived, or a byte ruled it out.
      if (isHttp2 && head.length < H2_PREFACE.length) return;
      socket.off('data', onData);
      socket.off('error', onEarlyError);
      socket.off('timeout', onSilence);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head);
      if (isHttp2) {
        // The HTTP/2 session reads the bytes already buffered on the socket itself.
        http2.emit('connection', socket);
        return;
      }
      http1.emit('connection', socket);
      // The HTTP/1 server reads a fresh socket straight from its handle, which would skip the
      // bytes put back above; a 'data' listener makes it read through the stream instead.
      const keepStreamReading = () => {};
      socket.on('data', keepStreamReading);
      socket.off('data', keepStreamReading);
      socket.resume();
    };
    socket.on('data', onData);
    socket.resume();
  });

  return {
    http1,
    listen: (port, host) =>
      new Promise<AddressInfo>((resolve, reject) => {
        front.once('error', reject);
        // A backlog above Node's default 511: bursts of thousands of concurrent calls (the load
        // tests) open their connections at once, and the kernel drops the ones beyond it.
        front.listen({ port, host, backlog: 4096 }, () => {
          front.off('error', reject);
          // The HTTP/1.1 server never binds a port of its own; 'listening' starts its connection
          // tracking (request and headers timeouts, closeIdleConnections) as binding would.
          http1.emit('listening');
          resolve(front.address() as AddressInfo);
        });
      }),
    closeIdleConnections: () => http1.closeIdleConnections(),
    close: () =>
      new Promise<void>(resolve => {
        front.close(() => resolve());
        // Also stops the HTTP/1.1 server's connection checks; it was never bound, so there is
        // no port to release and the error saying so is of no interest.
        http1.close(() => {});
        for (const socket of sockets) socket.destroy();
      }),
  };
}
