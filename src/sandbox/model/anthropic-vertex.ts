/**
 * Claude on Vertex AI, as `@anthropic-ai/vertex-sdk` (`AnthropicVertex`) calls it: the model is
 * in the path, `…/publishers/anthropic/models/{model}:{method}` (under `/projects/{p}/locations/
 * {l}`, with or without the `/v1` of the default base URL), and the body is a Messages request
 * with `anthropic_version` and no `model`:
 * - `:rawPredict` → the Messages reply (JSON);
 * - `:streamRawPredict` → the Messages SSE stream, `ping` included, as Vertex relays it;
 * - `count-tokens:rawPredict` → `{input_tokens}` (this body does name its `model`).
 * Replies are the ones `POST /v1/messages` gives, so a prompt gets the same answer either way.
 */
import { HttpError } from '../http/io.js';
import { jsonFrame } from '../http/sse.js';
import {
  buildMessage,
  messageStreamEvents,
  promptTokens,
  readMessageRequest,
} from './anthropic-messages.js';
import { type ModelCall, modelStream, sendModelJson } from './common.js';

/** The model segment Vertex uses for token counting instead of a model name. */
const COUNT_TOKENS = 'count-tokens';

export async function vertexAnthropic(call: ModelCall): Promise<void> {
  const { model = '', method } = call.ctx.params;
  if (model === COUNT_TOKENS) {
    if (method !== 'rawPredict') throw new HttpError(404, `Unsupported method ${method}`);
    const named = typeof call.body.model === 'string' ? call.body.model : undefined;
    sendModelJson(call, { input_tokens: promptTokens(call.body, named ?? model) });
    return;
  }
  // Vertex reads the API version from the body (the SDK moves it there from the header).
  if (typeof call.body.anthropic_version !== 'string') {
    throw new HttpError(400, 'anthropic_version: Field required');
  }
  const built = buildMessage(readMessageRequest(call.body, model), 'msg_vrtx_');
  if (method === 'rawPredict') {
    sendModelJson(call, built.message);
    return;
  }
  const out = modelStream(call);
  const frames = messageStreamEvents(built).map(event => jsonFrame(event, event.type));
  if (await out.sendAll(frames)) out.end();
}
