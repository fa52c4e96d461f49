/**
 * Route table of the local model. OpenAI-compatible under `/v1` and, for clients whose base path
 * has a prefix (groq-sdk posts to `/openai/v1/chat/completions`), also under `/openai/v1`:
 * chat completions, responses, embeddings, legacy completions, image generations, speech and
 * the model list; the Mistral SDK uses the chat and embeddings routes too. Anthropic-compatible
 * under `/v1` only: messages (beta ones too: a query such as `?beta=true` is not part of the
 * path), `count_tokens`, legacy `complete`, and message batches. Then the cloud dialects:
 * Bedrock Runtime under `/model/{id}/…` (Converse, InvokeModel, their streams, token counting),
 * Claude on Vertex AI under `…/publishers/anthropic/models/{model}:{method}`, Gemini under
 * `/v1beta/models/{model}:{method}` and Vertex AI's `…/publishers/google/models/{model}:{method}`,
 * and Cohere's `/v2/chat` and `/v2/embed`.
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
import { vertexAnthropic } from './anthropic-vertex.js';
import { converse, converseStream } from './bedrock-converse.js';
import { countTokens, invokeModel, invokeModelStream } from './bedrock-invoke.js';
import { chat as cohereChat, embedV2 as cohereEmbed } from './cohere.js';
import {
  beginModelCall,
  type ModelCall,
  type ModelCallDeps,
  nowSeconds,
  type Provider,
  sendProviderError,
} from './common.js';
import { embeddings } from './embeddings.js';
import { gemini } from './gemini.js';
import { chatCompletions } from './openai-chat.js';
import { completions } from './openai-completions.js';
import { imageGenerations } from './openai-images.js';
import { responses } from './openai-responses.js';
import { speech } from './openai-speech.js';

/**
 * True for the paths the model answers (and counts): `/v1…` and `/openai/v1…` (OpenAI,
 * Anthropic, Mistral, and Vertex AI with the `/v1` version), `/v1beta…` and `/v1alpha…` (Gemini,
 * Vertex AI), `/model/…` (Bedrock), `/projects/…` (Vertex AI without a version prefix) and
 * `/v2/…` (Cohere). None of them is an agent path.
 */
export function isModelPath(pathname: string): boolean {
  return /^(?:(?:\/openai)?\/v1(?:\/|$)|\/v1beta1?\/|\/v1alpha\/|\/model\/|\/projects\/|\/v2\/)/.test(
    pathname,
  );
}

/** An OpenAI route's pattern, matching with or without the `/openai` prefix. */
function openai(path: string): RegExp {
  return new RegExp(`^(?:/openai)?/v1${path}$`);
}

const BATCH = '/v1/messages/batches/(?<id>[^/]+)';
/** A Bedrock Runtime operation on a model (id, inference profile or URL-encoded ARN). */
const bedrock = (operation: string) => new RegExp(`^/model/(?<model>[^/]+)/${operation}$`);
/** Claude on Vertex AI; the default base URL ends in `/v1`, a custom one may not. */
const VERTEX_ANTHROPIC =
  /^(?:\/v1(?:beta1)?)?\/projects\/(?<project>[^/]+)\/locations\/(?<location>[^/]+)\/publishers\/anthropic\/models\/(?<model>[^/:]+):(?<method>rawPredict|streamRawPredict)$/;
/** The Gemini API's model methods. */
const GEMINI = /^\/(?:v1beta|v1|v1alpha)\/models\/(?<model>[^/:]+):(?<method>[A-Za-z]+)$/;
/** Gemini on Vertex AI, with a project and location or without (express mode). */
const VERTEX_GEMINI =
  /^\/(?:v1beta1|v1)(?:\/projects\/(?<project>[^/]+)\/locations\/(?<location>[^/]+))?\/publishers\/google\/models\/(?<model>[^/:]+):(?<method>[A-Za-z]+)$/;

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
    { method: 'POST', pattern: bedrock('converse'), handler: serve('bedrock', converse) },
    {
      method: 'POST',
      pattern: bedrock('converse-stream'),
      handler: serve('bedrock', converseStream),
    },
    { method: 'POST', pattern: bedrock('invoke'), handler: serve('bedrock', invokeModel) },
    {
      method: 'POST',
      pattern: bedrock('invoke-with-response-stream'),
      handler: serve('bedrock', invokeModelStream),
    },
    { method: 'POST', pattern: bedrock('count-tokens'), handler: serve('bedrock', countTokens) },
    { method: 'POST', pattern: VERTEX_ANTHROPIC, handler: serve('anthropic', vertexAnthropic) },
    { method: 'POST', pattern: GEMINI, handler: serve('google', gemini) },
    { method: 'POST', pattern: VERTEX_GEMINI, handler: serve('google', gemini) },
    { method: 'POST', pattern: /^\/v2\/chat$/, handler: serve('cohere', cohereChat) },
    { method: 'POST', pattern: /^\/v2\/embed$/, handler: serve('cohere', cohereEmbed) },
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
/** Google's paths: every `/v1beta…` and `/v1alpha…` one, and `/v1` model methods or projects. */
const GOOGLE_PATH = /^\/(?:v1beta1?\/|v1alpha\/|v1\/(?:models\/[^/]+:|projects\/|publishers\/))/;

/** Whose error shape a path answers in, for errors raised before or outside a handler. */
export function providerForPath(pathname: string): Provider {
  if (pathname.startsWith('/model/')) return 'bedrock';
  if (pathname.startsWith('/v2/')) return 'cohere';
  if (pathname.includes('/publishers/anthropic/') || pathname.startsWith('/projects/')) {
    return 'anthropic';
  }
  if (GOOGLE_PATH.test(pathname)) return 'google';
  return ANTHROPIC_PATH.test(pathname) ? 'anthropic' : 'openai';
}

export const renderModelError: ErrorRenderer = (ctx, status, message) => {
  sendProviderError(ctx.res, providerForPath(ctx.url.pathname), status, message);
};
