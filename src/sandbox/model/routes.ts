/**
 * Route table of the local model. OpenAI-compatible under `/v1` and, for clients whose base path
 * has a prefix (groq-sdk posts to `/openai/v1/chat/completions`), also under `/openai/v1`:
 * chat completions, responses, embeddings, legacy completions, image generations, speech and
 * the model list. Anthropic-compatible under `/v1` only: messages (beta ones too: a query such as
 * `?beta=true` is not part of the path), `count_tokens`, legacy `complete`, and message batches.
 * Errors are answered in the shape of the provider whose route it is.
 */
import type { ErrorRenderer, Route, RouteContext } from '../http/router.js';
import {
  BatchStore,
  batchResults,
  cancelBatch,
  createBatch,
  deleteBatch,
  listBatches,
  retrieveBatch,
} from './anthropic-batches.js';
import { complete } from './anthropic-complete.js';
import { countMessageTokens, messages } from './anthropic-messages.js';
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
import { completions } from './openai-completions.js';
import { imageGenerations } from './openai-images.js';
import { responses } from './openai-responses.js';
import { speech } from './openai-speech.js';

/** True for the paths the model answers (and counts): `/v1…` and `/openai/v1…`. */
export function isModelPath(pathname: string): boolean {
  return /^(?:\/openai)?\/v1(?:\/|$)/.test(pathname);
}

/** An OpenAI route's pattern, matching with or without the `/openai` prefix. */
function openai(path: string): RegExp {
  return new RegExp(`^(?:/openai)?/v1${path}$`);
}

const BATCH = '/v1/messages/batches/(?<id>[^/]+)';

export function modelRoutes(callDeps: ModelCallDeps): Route[] {
  const serve =
    (provider: Provider, handler: (call: ModelCall) => Promise<void> | void) =>
    async (ctx: RouteContext) => {
      const call = await beginModelCall(ctx, callDeps, provider);
      if (call) await handler(call);
    };
  // Batches live as long as the sandbox that made them.
  const batches = new BatchStore();
  return [
    {
      method: 'POST',
      pattern: openai('/chat/completions'),
      handler: serve('openai', chatCompletions),
    },
    { method: 'POST', pattern: openai('/responses'), handler: serve('openai', responses) },
    { method: 'POST', pattern: openai('/embeddings'), handler: serve('openai', embeddings) },
    { method: 'POST', pattern: openai('/completions'), handler: serve('openai', completions) },
    {
      method: 'POST',
      pattern: openai('/images/generations'),
      handler: serve('openai', imageGenerations),
    },
    { method: 'POST', pattern: openai('/audio/speech'), handler: serve('openai', speech) },
    { method: 'GET', pattern: openai('/models'), handler: listModels },
    { method: 'POST', pattern: /^\/v1\/messages$/, handler: serve('anthropic', messages) },
    {
      method: 'POST',
      pattern: /^\/v1\/messages\/count_tokens$/,
      handler: serve('anthropic', countMessageTokens),
    },
    { method: 'POST', pattern: /^\/v1\/complete$/, handler: serve('anthropic', complete) },
    {
      method: 'POST',
      pattern: /^\/v1\/messages\/batches$/,
      handler: serve('anthropic', call => createBatch(call, batches)),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/messages\/batches$/,
      handler: ctx => listBatches(ctx, batches),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${BATCH}$`),
      handler: ctx => retrieveBatch(ctx, batches),
    },
    {
      method: 'DELETE',
      pattern: new RegExp(`^${BATCH}$`),
      handler: ctx => deleteBatch(ctx, batches),
    },
    {
      method: 'POST',
      pattern: new RegExp(`^${BATCH}/cancel$`),
      handler: ctx => cancelBatch(ctx, batches),
    },
    {
      method: 'GET',
      pattern: new RegExp(`^${BATCH}/results$`),
      handler: ctx => batchResults(ctx, batches),
    },
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

/** Anthropic's paths: `/v1/messages…` and `/v1/complete` (not `/v1/completions`, OpenAI's). */
const ANTHROPIC_PATH = /^\/v1\/(?:messages(?:\/|$)|complete$)/;

export const renderModelError: ErrorRenderer = (ctx, status, message) => {
  const provider: Provider = ANTHROPIC_PATH.test(ctx.url.pathname) ? 'anthropic' : 'openai';
  sendProviderError(ctx.res, provider, status, message);
};
