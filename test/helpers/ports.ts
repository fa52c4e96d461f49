/** Loopback ports for tests. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback port nothing listens on (connections to it are refused). */
export async function closedPort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>(r => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>(r => probe.close(() => r()));
  return port;
}
