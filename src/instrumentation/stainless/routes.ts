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
import { anthropicMessages } from '../../adapters/anthropic-messages.js';
import { openaiChat } from '../../adapters/openai-chat.js';
import { openaiEmbeddings } from '../../adapters/openai-embeddings.js';
import { openaiResponses } from '../../adapters/openai-responses.js';

export type StainlessFamily = 'openai' | 'anthropic';

const ROUTES: Record<StainlessFamily, ReadonlyMap<string, CallAdapter>> = {
  openai: new Map([
    ['/chat/completions', openaiChat],
    ['/responses', openaiResponses],
    ['/embeddings', openaiEmbeddings],
  ]),
  anthropic: new Map([['/v1/messages', anthropicMessages]]),
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
