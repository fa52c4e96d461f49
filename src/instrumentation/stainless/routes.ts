/**
 * Which requests of a Stainless-generated client carry model input, and which adapter reads them:
 * one table per client family, keyed by the endpoint's path (query string left out: the Anthropic
 * SDK sends its beta surface as `/v1/messages?beta=true`). A request whose endpoint is not here is
 * not a model call and passes through untraced.
 *
 * To govern a new endpoint of a covered client: write its adapter (`src/adapters/`) and add its
 * path here.
 */
import type { CallAdapter } from '../../adapters/adapter.js';
import {
  anthropicBatches,
  anthropicComplete,
  anthropicCountTokens,
} from '../../adapters/anthropic-legacy.js';
import { anthropicMessages } from '../../adapters/anthropic-messages.js';
import { openaiChat } from '../../adapters/openai-chat.js';
import { openaiCompletions } from '../../adapters/openai-completions.js';
import { openaiEmbeddings } from '../../adapters/openai-embeddings.js';
import { openaiImages } from '../../adapters/openai-images.js';
import { openaiResponses } from '../../adapters/openai-responses.js';
import { openaiSpeech } from '../../adapters/openai-speech.js';

export type StainlessFamily = 'openai' | 'anthropic' | 'groq';

const OPENAI: ReadonlyMap<string, CallAdapter> = new Map([
  ['/chat/completions', openaiChat],
  ['/responses', openaiResponses],
  ['/embeddings', openaiEmbeddings],
  ['/completions', openaiCompletions],
  ['/images/generations', openaiImages],
  ['/audio/speech', openaiSpeech],
]);

/** An OpenAI-compatible API served under a prefix, by another provider. */
function compatible(prefix: string, provider: string): ReadonlyMap<string, CallAdapter> {
  return new Map([...OPENAI].map(([path, adapter]) => [prefix + path, { ...adapter, provider }]));
}

const ROUTES: Record<StainlessFamily, ReadonlyMap<string, CallAdapter>> = {
  openai: OPENAI,
  anthropic: new Map([
    ['/v1/messages', anthropicMessages],
    ['/v1/messages/count_tokens', anthropicCountTokens],
    ['/v1/messages/batches', anthropicBatches],
    ['/v1/complete', anthropicComplete],
  ]),
  groq: compatible('/openai/v1', 'groq'),
};

/** The adapter for a request, or undefined when it carries no model input. */
export function route(
  family: StainlessFamily,
  method: unknown,
  path: unknown,
): CallAdapter | undefined {
  if (typeof path !== 'string' || typeof method !== 'string') return undefined;
  if (method.toLowerCase() !== 'post') return undefined;
  const query = path.indexOf('?');
  return ROUTES[family].get(query === -1 ? path : path.slice(0, query));
}
