/**
 * `POST /v1/completions`, OpenAI's legacy Completions API: a JSON `text_completion` with one
 * choice per prompt (`prompt` is a string, an array of strings, or token arrays), or with
 * `stream: true` data-only `text_completion` chunks — the text one token a chunk, then an empty
 * chunk carrying `finish_reason` per prompt — a usage chunk (`choices: []`) when
 * `stream_options.include_usage`, and `data: [DONE]`. Each prompt is one user turn for
 * `generate()`, so it gets the reply a chat message with the same text gets. `echo` puts the
 * prompt before the reply, as the API does.
 */
import { HttpError, isRecord } from '../http/io.js';
import { jsonFrame, type SseFrame } from '../http/sse.js';
import {
  type ModelCall,
  modelStream,
  nowSeconds,
  optionalBoolean,
  optionalNumber,
  requireString,
  sendModelJson,
  shortId,
} from './common.js';
import { type Generation, generate } from './engine.js';

/** The API's own cap on prompts in one request. */
const MAX_PROMPTS = 2048;

export async function completions(call: ModelCall): Promise<void> {
  const { body } = call;
  const model = requireString(body, 'model');
  const prompts = parsePrompts(body);
  // The real API defaults max_tokens to 16; the sandbox sets no default, so the reply is the
  // same full text every other dialect gives for this prompt.
  const maxTokens = optionalNumber(body, 'max_tokens');
  const echo = optionalBoolean(body, 'echo');
  const stream = optionalBoolean(body, 'stream');
  const gens = prompts.map(prompt =>
    generate({
      turns: [{ role: 'user', text: prompt }],
      tools: [],
      toolChoice: { kind: 'none' },
      ...(maxTokens === undefined ? {} : { maxTokens }),
    }),
  );
  const promptTokens = gens.reduce((sum, gen) => sum + gen.inputTokens, 0);
  const completionTokens = gens.reduce((sum, gen) => sum + gen.outputTokens, 0);
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
  const base = {
    id: `cmpl-sbx${shortId()}`,
    object: 'text_completion',
    created: nowSeconds(),
    model,
    system_fingerprint: 'fp_sandbox',
  };

  if (!stream) {
    sendModelJson(call, {
      ...base,
      choices: gens.map((gen, index) => ({
        text: `${echo ? (prompts[index] ?? '') : ''}${gen.text}`,
        index,
        logprobs: null,
        finish_reason: FINISH[gen.finish],
      })),
      usage,
    });
    return;
  }

  const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
  // With include_usage every chunk has `usage: null` until the last, as the API sends them.
  const chunk = (index: number, text: string, finish: string | null = null): SseFrame =>
    jsonFrame({
      ...base,
      choices: [{ text, index, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    });
  const frames: SseFrame[] = [];
  gens.forEach((gen, index) => {
    if (echo) frames.push(chunk(index, prompts[index] ?? ''));
    for (const piece of gen.pieces) frames.push(chunk(index, piece));
    frames.push(chunk(index, '', FINISH[gen.finish]));
  });
  if (includeUsage) frames.push(jsonFrame({ ...base, choices: [], usage }));
  frames.push({ data: '[DONE]' });
  const out = modelStream(call);
  if (await out.sendAll(frames)) out.end();
}

const FINISH: Record<Generation['finish'], string> = {
  stop: 'stop',
  length: 'length',
  // Never produced (no tools in this API); mapped so the table is total.
  tool_call: 'stop',
};

/**
 * The prompts of a request: a string, strings, or token ids (one array, or one per prompt) that
 * are read as their decimal text, as the embeddings route reads them. A null prompt is the empty
 * document, as the API treats it.
 */
function parsePrompts(body: Record<string, unknown>): string[] {
  if (!('prompt' in body)) throw new HttpError(400, "'prompt' is a required property");
  const prompt = body.prompt;
  const invalid = () =>
    new HttpError(
      400,
      "'prompt' must be a string, an array of strings, an array of tokens, or an array of token arrays",
    );
  if (prompt === null) return [''];
  if (typeof prompt === 'string') return [prompt];
  if (!Array.isArray(prompt) || prompt.length === 0 || prompt.length > MAX_PROMPTS) throw invalid();
  if (prompt.every(item => typeof item === 'number')) return [prompt.join(' ')];
  return prompt.map(item => {
    if (typeof item === 'string') return item;
    if (Array.isArray(item) && item.every(n => typeof n === 'number')) return item.join(' ');
    throw invalid();
  });
}
