/**
 * HTTP plumbing shared by the sandbox's agent and model routes: bounded body reading, JSON
 * parsing that never throws past the handler, and small writers for JSON replies.
 *
 * Every failure a client can cause is an `HttpError` carrying the status to answer with; the
 * router turns it into the right error shape (platform envelope or provider error body).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as http2, type ServerHttp2Stream } from 'node:http2';

/** An error a client caused; `status` is what the sandbox answers. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** 1 MiB: the platform's own request cap is of this order, and nothing legitimate needs more. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Reads the whole request body, refusing early (from Content-Length) or mid-way when over `limit`. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, 'Request body too large');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new HttpError(413, 'Request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and parses a JSON object body. Anything that is not a JSON object (malformed text, an
 * array, a bare string) is the caller's fault: `HttpError(400, invalidMessage)`.
 */
export async function readJsonObject(
  req: IncomingMessage,
  limit: number,
  invalidMessage: string,
): Promise<Record<string, unknown>> {
  const raw = await readBody(req, limit);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, invalidMessage);
  }
  if (!isRecord(parsed)) throw new HttpError(400, invalidMessage);
  return parsed;
}

/** As `readJsonObject`, but an empty body reads as `{}` (for routes whose body is optional). */
export async function readOptionalJsonObject(
  req: IncomingMessage,
  limit: number,
  invalidMessage: string,
): Promise<Record<string, unknown>> {
  const raw = (await readBody(req, limit)).toString('utf8');
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, invalidMessage);
  }
  if (!isRecord(parsed)) throw new HttpError(400, invalidMessage);
  return parsed;
}

/**
 * True when the response goes out over HTTP/2 (see listener.ts), where connection-level headers
 * such as `connection` are forbidden: node drops them with a warning.
 */
export function isHttp2(res: ServerResponse): boolean {
  return (res.req?.httpVersionMajor ?? 1) >= 2;
}

/**
 * Breaks the reply off so the client sees a failed transfer, not a short one: an HTTP/1.1
 * connection is destroyed; an HTTP/2 stream is reset with INTERNAL_ERROR, since a reset without
 * an error code reads as a clean end of the body.
 */
export function dropConnection(res: ServerResponse): void {
  const stream = (res as unknown as { stream?: ServerHttp2Stream }).stream;
  if (isHttp2(res) && stream) stream.close(http2.NGHTTP2_INTERNAL_ERROR);
  else res.destroy();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The platform's error envelope: `{"success": false, "error": "…"}`. */
export function sendEnvelope(
  res: ServerResponse,
  status: number,
  error: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, status, { success: false, error, ...extra });
}
