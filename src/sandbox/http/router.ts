/**
 * A tiny route table: method + path regex (named groups become params). It answers 404 for an
 * unknown path and 405 for a known path with the wrong method, and it is the one place that
 * catches handler failures, so no request can crash the server: a client's mistake becomes its
 * `HttpError` status, anything else a 500, rendered in the caller's error shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fault } from '../faults.js';
import { dropConnection, HttpError, isHttp2 } from './io.js';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  /** The fault the server chose for this request (queued or from the header), if any. */
  fault: Fault | undefined;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  pattern: RegExp;
  handler: Handler;
}

/** Renders an error in the route family's shape (platform envelope, OpenAI or Anthropic body). */
export type ErrorRenderer = (ctx: RouteContext, status: number, message: string) => void;

export async function dispatch(
  routes: readonly Route[],
  ctx: Omit<RouteContext, 'params'>,
  renderError: ErrorRenderer,
): Promise<void> {
  const full: RouteContext = { ...ctx, params: {} };
  try {
    let pathMatched = false;
    for (const route of routes) {
      const match = route.pattern.exec(ctx.url.pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== ctx.req.method) continue;
      full.params = decodeParams(match.groups ?? {});
      await route.handler(full);
      return;
    }
    if (pathMatched) renderError(full, 405, `Method ${ctx.req.method} not allowed`);
    else renderError(full, 404, `Not found: ${ctx.url.pathname}`);
  } catch (err) {
    if (err instanceof HttpError) {
      // The rest of an oversized body is not read, so the HTTP/1.1 connection cannot be reused.
      if (err.status === 413 && !isHttp2(ctx.res)) ctx.res.setHeader('connection', 'close');
      renderError(full, err.status, err.message);
    } else if (!ctx.res.headersSent) {
      renderError(full, 500, 'Internal sandbox error');
      console.error('[axonflow-sandbox] handler failed:', err);
    } else {
      // Mid-stream failure: the status is gone, so cutting the connection is the only honest signal.
      dropConnection(ctx.res);
    }
  }
}

function decodeParams(groups: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(groups)) {
    if (value === undefined) continue;
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      throw new HttpError(400, 'Invalid path encoding');
    }
  }
  return out;
}
