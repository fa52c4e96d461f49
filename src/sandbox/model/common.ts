/**
 * What every model endpoint shares: reading the request, applying faults, provider error bodies
 * (OpenAI's `{error:{…}}`, Anthropic's `{type:"error",error:{…}}`, Bedrock's `{message}` with
 * `x-amzn-errortype`, Google's `{error:{code,message,status}}`, Cohere's `{id,message}`) with
 * request-id headers, and readers for request fields that answer a wrong type with a 400.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type Fault, faultFromModel } from '../faults.js';
import { dropConnection, HttpError, isRecord, readJsonObject, sendJson } from '../http/io.js';
import type { RouteContext } from '../http/router.js';
import { SseStream } from '../http/sse.js';

/**
 * Whose API a route emulates, which decides the error body and request-id header. Claude on
 * Vertex AI answers as Anthropic does; Claude on Bedrock as Bedrock does (its errors are AWS's).
 */
export type Provider = 'openai' | 'anthropic' | 'bedrock' | 'google' | 'cohere';

export interface ModelCall {
  ctx: RouteContext;
  body: Record<string, unknown>;
  /** A fault that strikes after the reply started (stream cut/stall, non-stream cut). */
  fault: Fault | undefined;
  provider: Provider;
}

export interface ModelCallDeps {
  maxBodyBytes: number;
}

export function shortId(): string {
  return randomUUID().replaceAll('-', '').slice(0, 24);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Reads the body and settles faults named by the model (`sandbox-fault-…`); queued and header
 * faults arrive in `ctx.fault`, already settled by the server when they strike before the reply.
 * Returns undefined when the request has been fully dealt with, else the call to serve.
 */
export async function beginModelCall(
  ctx: RouteContext,
  deps: ModelCallDeps,
  provider: Provider,
): Promise<ModelCall | undefined> {
  const body = await readJsonObject(ctx.req, deps.maxBodyBytes, invalidJsonMessage(provider));
  // Bedrock, Vertex AI and Gemini name the model in the path, so a fault model is found there.
  const fault = ctx.fault ?? faultFromModel(body.model ?? ctx.params.model);
  switch (fault?.kind) {
    case 'status':
      sendProviderError(ctx.res, provider, fault.status, 'Fault injected by the AxonFlow sandbox');
      return undefined;
    case 'stall':
      // Never answer; the client's timeout or abort ends it, and close() destroys the socket.
      return undefined;
    case 'reset':
      dropConnection(ctx.res);
      return undefined;
    default:
      return { ctx, body, fault, provider };
  }
}

function invalidJsonMessage(provider: Provider): string {
  switch (provider) {
    case 'openai':
      return 'We could not parse the JSON body of your request. The body must be a JSON object.';
    case 'google':
      return 'Invalid JSON payload received.';
    default:
      return 'Request body must be a JSON object';
  }
}

const OPENAI_TYPES: Record<number, { type: string; code: string | null }> = {
  400: { type: 'invalid_request_error', code: null },
  401: { type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { type: 'invalid_request_error', code: 'unsupported_country_region_territory' },
  404: { type: 'invalid_request_error', code: 'model_not_found' },
  413: { type: 'invalid_request_error', code: 'request_too_large' },
  429: { type: 'requests', code: 'rate_limit_exceeded' },
};

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

/** AWS error codes by status, as Bedrock Runtime names them in `x-amzn-errortype`. */
const BEDROCK_TYPES: Record<number, string> = {
  400: 'ValidationException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  408: 'ModelTimeoutException',
  424: 'ModelErrorException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
};

/** Google's canonical status names (google.rpc.Code) by HTTP status. */
const GOOGLE_STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function bedrockErrorType(status: number): string {
  return (
    BEDROCK_TYPES[status] ?? (status >= 500 ? 'InternalServerException' : 'ValidationException')
  );
}

export function providerErrorBody(provider: Provider, status: number, message: string): unknown {
  switch (provider) {
    case 'anthropic': {
      const type =
        ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
      return { type: 'error', error: { type, message } };
    }
    case 'bedrock':
      return { message };
    case 'google': {
      const name = GOOGLE_STATUSES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
      return { error: { code: status, message, status: name } };
    }
    case 'cohere':
      return { id: randomUUID(), message };
    case 'openai': {
      const known = OPENAI_TYPES[status] ?? {
        type: status >= 500 ? 'server_error' : 'invalid_request_error',
        code: null,
      };
      return { error: { message, type: known.type, param: null, code: known.code } };
    }
  }
}

export function sendProviderError(
  res: ServerResponse,
  provider: Provider,
  status: number,
  message: string,
): void {
  const headers: Record<string, string> = requestIdHeaders(provider);
  // AWS clients read the error's type from this header, not from the body.
  if (provider === 'bedrock') headers['x-amzn-errortype'] = bedrockErrorType(status);
  // Retry immediately: a sandbox has no quota to recover, and tests should not sleep.
  if (status === 429 || status >= 500) headers['retry-after'] = '0';
  sendJson(res, status, providerErrorBody(provider, status, message), headers);
}

export function requestIdHeaders(provider: Provider): Record<string, string> {
  switch (provider) {
    case 'anthropic':
      return { 'request-id': `req_sbx_${shortId()}` };
    case 'bedrock':
      return { 'x-amzn-requestid': randomUUID() };
    case 'google':
      // Google's APIs send no request id a client reads.
      return {};
    default:
      return { 'x-request-id': `req_sbx_${shortId()}` };
  }
}

/**
 * True when the Mistral SDK sent the request: it shares `/v1/chat/completions` and
 * `/v1/embeddings` with OpenAI's clients, and its user agent (`… @mistralai/mistralai` for the
 * TypeScript SDK, `mistral-client-…` for older ones) is what tells them apart. Its replies then
 * follow Mistral's API where it differs from OpenAI's (see openai-chat.ts, embeddings.ts).
 */
export function isMistralClient(ctx: RouteContext): boolean {
  return /mistral/i.test(ctx.req.headers['user-agent'] ?? '');
}

/**
 * Sends a JSON reply, honouring a `cut` fault by sending half the body and dropping the socket.
 * `headers` add to (or replace) the defaults, e.g. Bedrock's token-count headers.
 */
export function sendModelJson(
  call: ModelCall,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const { res } = call.ctx;
  if (call.fault?.kind !== 'cut') {
    sendJson(res, 200, body, { ...requestIdHeaders(call.provider), ...headers });
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.write(text.slice(0, Math.floor(text.length / 2)), () => dropConnection(res));
}

/**
 * Sends a binary reply (audio, a JSONL file), honouring a `cut` fault as `sendModelJson` does:
 * half the bytes, then the socket is dropped.
 */
export function sendModelBytes(call: ModelCall, contentType: string, bytes: Buffer): void {
  const { res } = call.ctx;
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': bytes.length,
    ...requestIdHeaders(call.provider),
  });
  if (call.fault?.kind !== 'cut') {
    res.end(bytes);
    return;
  }
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => dropConnection(res));
}

/**
 * A model call for a route without a request body (a GET or DELETE): only the fault the server
 * chose applies, since there is no `model` field to name one.
 */
export function bodylessCall(ctx: RouteContext, provider: Provider): ModelCall {
  return { ctx, body: {}, fault: ctx.fault, provider };
}

/** The reply stream of a model call: SSE with the provider's request-id header and its fault. */
export function modelStream(call: ModelCall): SseStream {
  return new SseStream(call.ctx.res, {
    ...(call.fault ? { fault: call.fault } : {}),
    headers: requestIdHeaders(call.provider),
  });
}

// --- Request field readers: a wrong type is the client's 400, with a provider-style message ---

export function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new HttpError(400, `'${field}' is a required property and must be a non-empty string`);
  }
  return value;
}

export function optionalNumber(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new HttpError(400, `'${field}' must be a non-negative number`);
  }
  return Math.floor(value);
}

export function optionalBoolean(body: Record<string, unknown>, field: string): boolean {
  const value = body[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw new HttpError(400, `'${field}' must be a boolean`);
  return value;
}

export function requireArray(body: Record<string, unknown>, field: string): unknown[] {
  const value = body[field];
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, `'${field}' is a required property and must be a non-empty array`);
  }
  return value;
}

export function optionalArray(body: Record<string, unknown>, field: string): unknown[] {
  const value = body[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new HttpError(400, `'${field}' must be an array`);
  return value;
}

/**
 * Reasoning the sandbox model "spends" for a requested effort (Chat `reasoning_effort`,
 * Responses `reasoning.effort`): a fixed count per level, reported in the usage details
 * (`reasoning_tokens`) and included in the output tokens, as the real API counts them. Undefined
 * when the request asks for no effort: the reply then has no reasoning details (Chat) or 0
 * (Responses, whose usage always has them).
 */
export function reasoningTokens(effort: unknown, field: string): number | undefined {
  if (effort === undefined || effort === null) return undefined;
  if (typeof effort !== 'string') throw new HttpError(400, `'${field}' must be a string`);
  return REASONING_TOKENS[effort] ?? 0;
}

const REASONING_TOKENS: Record<string, number> = {
  none: 0,
  minimal: 8,
  low: 16,
  medium: 32,
  high: 64,
  xhigh: 128,
};

/**
 * The service tier a reply reports for the one the request names (`service_tier`): `auto` is
 * served on `default`, any other tier as asked. Undefined when the request names none: the
 * reply then has no `service_tier`.
 */
export function servedTier(body: Record<string, unknown>): string | undefined {
  const tier = body.service_tier;
  if (tier === undefined || tier === null) return undefined;
  if (typeof tier !== 'string' || tier === '') {
    throw new HttpError(400, "'service_tier' must be a non-empty string");
  }
  return tier === 'auto' ? 'default' : tier;
}

/** Concatenates the text of a string or an array of `{type, text}` parts. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map(part => {
      if (typeof part === 'string') return part;
      if (isRecord(part) && typeof part.text === 'string') return part.text;
      return '';
    })
    .filter(text => text !== '')
    .join('\n');
}
