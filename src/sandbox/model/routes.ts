/**
 * Route table of the local model under `/v1`: OpenAI-compatible (`/v1/chat/completions`,
 * `/v1/responses`, `/v1/embeddings`, `/v1/models`) and Anthropic-compatible (`/v1/messages`).
 * Errors are answered in the shape of the provider whose route it is.
 */
import type { ErrorRenderer, Route, RouteContext } from '../http/router.js';
import { messages } from './anthropic-messages.js';
import {
  beginModelCall,
  type ModelCall,
  type ModelCallDeps,
  nowSeconds,
  type Provider,
  sendProviderError,
} from './common.js';
import { embeddings } from './embeddings.js';
import { chatCompletions } from './openai-chat.js';
import { responses } from './openai-responses.js';

export function modelRoutes(callDeps: ModelCallDeps): Route[] {
  const serve =
    (provider: Provider, handler: (call: ModelCall) => Promise<void> | void) =>
    async (ctx: RouteContext) => {
      const call = await beginModelCall(ctx, callDeps, provider);
      if (call) await handler(call);
    };
  return [
    {
      method: 'POST',
      pattern: /^\/v1\/chat\/completions$/,
      handler: serve('openai', chatCompletions),
    },
    { method: 'POST', pattern: /^\/v1\/responses$/, handler: serve('openai', responses) },
    { method: 'POST', pattern: /^\/v1\/embeddings$/, handler: serve('openai', embeddings) },
    { method: 'POST', pattern: /^\/v1\/messages$/, handler: serve('anthropic', messages) },
    { method: 'GET', pattern: /^\/v1\/models$/, handler: listModels },
  ];
}

/** Any model name works; these are the ones the sandbox advertises. */
export const SANDBOX_MODELS = ['sandbox-model', 'sandbox-embedding'];

function listModels(ctx: RouteContext): void {
  const created = nowSeconds();
  const data = SANDBOX_MODELS.map(id => ({
    id,
    object: 'model',
    created,
    owned_by: 'axonflow-sandbox',
  }));
  ctx.res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
  ctx.res.end(JSON.stringify({ object: 'list', data }));
}

export const renderModelError: ErrorRenderer = (ctx, status, message) => {
  const provider: Provider = ctx.url.pathname.startsWith('/v1/messages') ? 'anthropic' : 'openai';
  sendProviderError(ctx.res, provider, status, message);
};
