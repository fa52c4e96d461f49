/**
 * Amazon Bedrock Runtime's InvokeModel family, as both `@aws-sdk/client-bedrock-runtime` and
 * `@anthropic-ai/bedrock-sdk` (`AnthropicBedrock`) call it:
 * - `POST /model/{modelId}/invoke` → the model family's own JSON reply (see bedrock-models.ts),
 *   with the `x-amzn-bedrock-input-token-count` / `-output-token-count` / `-invocation-latency`
 *   headers Bedrock adds;
 * - `POST /model/{modelId}/invoke-with-response-stream` → an AWS event stream of `chunk` events,
 *   each `{"bytes": "<base64 of one JSON payload>"}`; the last payload also carries
 *   `amazon-bedrock-invocationMetrics`, as Bedrock appends it. For Claude the payloads are the
 *   Messages stream events, which `AnthropicBedrock` turns back into SSE;
 * - `POST /model/{modelId}/count-tokens` → `{inputTokens}` for a `converse` input, or for an
 *   `invokeModel` input (its base64 body read as InvokeModel would read it).
 */
import { AwsEventStream } from '../http/aws-event-stream.js';
import { HttpError, isRecord } from '../http/io.js';
import { readConverseInput } from './bedrock-converse.js';
import { answerInvoke, type InvokeAnswer } from './bedrock-models.js';
import { type ModelCall, requestIdHeaders, sendModelJson } from './common.js';
import { promptTokenCount } from './engine.js';

/** `POST /model/{modelId}/invoke`. */
export function invokeModel(call: ModelCall): void {
  const started = Date.now();
  const answer = answerInvoke(modelIdOf(call), call.body);
  sendModelJson(call, answer.reply, {
    'content-type': 'application/json',
    'x-amzn-bedrock-input-token-count': String(answer.inputTokens),
    'x-amzn-bedrock-output-token-count': String(answer.outputTokens),
    'x-amzn-bedrock-invocation-latency': String(Date.now() - started),
  });
}

/** `POST /model/{modelId}/invoke-with-response-stream`. */
export async function invokeModelStream(call: ModelCall): Promise<void> {
  const started = Date.now();
  const answer = answerInvoke(modelIdOf(call), call.body);
  const chunks = withInvocationMetrics(answer, Date.now() - started);
  const out = new AwsEventStream(call.ctx.res, {
    ...(call.fault ? { fault: call.fault } : {}),
    headers: { ...requestIdHeaders('bedrock'), 'x-amzn-bedrock-content-type': 'application/json' },
  });
  const events = chunks.map(chunk => ({
    eventType: 'chunk',
    payload: { bytes: Buffer.from(JSON.stringify(chunk)).toString('base64') },
  }));
  if (await out.sendAll(events)) out.end();
}

/** `POST /model/{modelId}/count-tokens`. */
export function countTokens(call: ModelCall): void {
  const input = isRecord(call.body.input) ? call.body.input : undefined;
  if (isRecord(input?.converse)) {
    const { turns } = readConverseInput(input.converse);
    sendModelJson(call, { inputTokens: promptTokenCount(turns) });
    return;
  }
  if (isRecord(input?.invokeModel) && typeof input.invokeModel.body === 'string') {
    const body = parseBase64Json(input.invokeModel.body);
    sendModelJson(call, { inputTokens: answerInvoke(modelIdOf(call), body).inputTokens });
    return;
  }
  throw new HttpError(400, "input must hold either 'converse' or 'invokeModel' with a body");
}

function modelIdOf(call: ModelCall): string {
  return call.ctx.params.model ?? '';
}

function withInvocationMetrics(answer: InvokeAnswer, latencyMs: number) {
  if (!answer.chunks) {
    throw new HttpError(400, 'The model is unsupported for streaming');
  }
  const chunks = answer.chunks.map(chunk => ({ ...chunk }));
  const last = chunks.at(-1);
  if (last) {
    last['amazon-bedrock-invocationMetrics'] = {
      inputTokenCount: answer.inputTokens,
      outputTokenCount: answer.outputTokens,
      invocationLatency: latencyMs,
      firstByteLatency: latencyMs,
    };
  }
  return chunks;
}

function parseBase64Json(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    body = undefined;
  }
  if (!isRecord(body)) {
    throw new HttpError(400, 'input.invokeModel.body must be the base64 of a JSON object');
  }
  return body;
}
