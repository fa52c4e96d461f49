/**
 * The native request and reply formats of the model families Bedrock's InvokeModel serves, each
 * answered by `generate()` so a prompt gets the same text in every family:
 * - Anthropic Claude: Messages body with `anthropic_version` (no `model`, no `stream`) → a
 *   Messages reply; streamed, the Messages stream events;
 * - Amazon Nova: Converse-style `messages`, `system`, `inferenceConfig` → `{output: {message},
 *   stopReason, usage}`; streamed, `{messageStart}` … `{metadata}` objects;
 * - Amazon Titan Text (`inputText`) → `{inputTextTokenCount, results: [{outputText, …}]}`;
 *   Titan Embeddings → `{embedding, embeddingsByType, inputTextTokenCount}`;
 * - Meta Llama (`prompt`) → `{generation, prompt_token_count, generation_token_count,
 *   stop_reason}`; Mistral (`prompt`) → `{outputs: [{text, stop_reason}]}`;
 * - Cohere Command R (`message`, `chat_history`, `preamble`) → `{text, finish_reason, …}`;
 *   Cohere Command (`prompt`) → `{generations: [{text}]}`; Cohere Embed (`texts`) →
 *   `{embeddings}`.
 * The family comes from the model id (`anthropic.`, `amazon.nova`, `amazon.titan-embed`,
 * `amazon.titan`, `meta.llama`, `mistral.`, `cohere.embed`, `cohere.command-r`, `cohere.command`,
 * also inside an inference-profile id or ARN), else from the body's shape. Llama and Mistral
 * prompts in their chat templates (`<|start_header_id|>…`, `[INST] … [/INST]`) are read back
 * into turns, so their answer and token counts are those of the plain conversation.
 */
import { randomUUID } from 'node:crypto';
import { HttpError, isRecord } from '../http/io.js';
import { buildMessage, messageStreamEvents, readMessageRequest } from './anthropic-messages.js';
import {
  converseContent,
  converseStreamEvents,
  newToolUseId,
  readConverseInput,
  STOP_REASONS,
} from './bedrock-converse.js';
import { optionalArray, requireArray, requireString } from './common.js';
import { DEFAULT_DIMENSIONS, embed } from './embeddings.js';
import { type ChatTurn, type Generation, generate } from './engine.js';
import { countTokens } from './tokenizer.js';

export type ModelFamily =
  | 'anthropic'
  | 'nova'
  | 'titan-text'
  | 'titan-embed'
  | 'llama'
  | 'mistral'
  | 'cohere-command-r'
  | 'cohere-command'
  | 'cohere-embed';

export interface InvokeAnswer {
  family: ModelFamily;
  /** The InvokeModel reply body. */
  reply: Record<string, unknown>;
  /** The payloads of InvokeModelWithResponseStream's chunks; undefined for embedding models. */
  chunks: Record<string, unknown>[] | undefined;
  inputTokens: number;
  outputTokens: number;
}

/** Model-id markers, most specific first; an inference profile or ARN contains one too. */
const ID_FAMILIES: [RegExp, ModelFamily][] = [
  [/(?:^|[.:/])anthropic\./, 'anthropic'],
  [/(?:^|[.:/])amazon\.nova/, 'nova'],
  [/(?:^|[.:/])amazon\.titan-embed/, 'titan-embed'],
  [/(?:^|[.:/])amazon\.titan/, 'titan-text'],
  [/(?:^|[.:/])meta\.llama/, 'llama'],
  [/(?:^|[.:/])mistral\./, 'mistral'],
  [/(?:^|[.:/])cohere\.embed/, 'cohere-embed'],
  [/(?:^|[.:/])cohere\.command-r/, 'cohere-command-r'],
  [/(?:^|[.:/])cohere\.command/, 'cohere-command'],
];

export function familyOf(modelId: string, body: Record<string, unknown>): ModelFamily {
  const id = modelId.toLowerCase();
  for (const [pattern, family] of ID_FAMILIES) if (pattern.test(id)) return family;
  // A model id the sandbox does not know (`sandbox-model`, a fault name): go by the body.
  if (typeof body.anthropic_version === 'string') return 'anthropic';
  if (Array.isArray(body.messages)) {
    // Nova's content blocks are `{text}`; Claude's carry a `type` (or are a plain string).
    const novaShaped =
      body.schemaVersion !== undefined ||
      body.inferenceConfig !== undefined ||
      body.messages.some(
        m => isRecord(m) && Array.isArray(m.content) && m.content.some(b => isRecord(b) && !b.type),
      );
    return novaShaped ? 'nova' : 'anthropic';
  }
  if (typeof body.inputText === 'string') {
    return body.textGenerationConfig === undefined && body.dimensions !== undefined
      ? 'titan-embed'
      : 'titan-text';
  }
  if (Array.isArray(body.texts)) return 'cohere-embed';
  if (typeof body.message === 'string') return 'cohere-command-r';
  if (typeof body.prompt === 'string') return body.max_gen_len === undefined ? 'mistral' : 'llama';
  throw new HttpError(400, 'Malformed input request: the body matches no known model format');
}

export function answerInvoke(modelId: string, body: Record<string, unknown>): InvokeAnswer {
  const family = familyOf(modelId, body);
  return { family, ...FAMILIES[family](modelId, body) };
}

type Answerer = (modelId: string, body: Record<string, unknown>) => Omit<InvokeAnswer, 'family'>;

const FAMILIES: Record<ModelFamily, Answerer> = {
  anthropic: (modelId, body) => {
    // Bedrock validates the body against its own schema: the version is required, and the
    // fields the path carries (model, streaming) are not allowed.
    if (typeof body.anthropic_version !== 'string') {
      throw malformed('required key [anthropic_version] not found');
    }
    for (const key of ['model', 'stream']) {
      if (key in body) throw malformed(`extraneous key [${key}] is not permitted`);
    }
    const built = buildMessage(readMessageRequest(body, modelId), 'msg_bdrk_');
    // Bedrock relays the stream without the keep-alive pings.
    const chunks = messageStreamEvents(built).filter(event => event.type !== 'ping');
    return {
      reply: built.message,
      chunks,
      inputTokens: built.message.usage.input_tokens,
      outputTokens: built.outputTokens,
    };
  },

  nova: (_modelId, body) => {
    const gen = generate(readConverseInput(body, ['max_new_tokens', 'maxTokens']));
    const toolUseId = newToolUseId();
    const usage = {
      inputTokens: gen.inputTokens,
      outputTokens: gen.outputTokens,
      totalTokens: gen.inputTokens + gen.outputTokens,
      cacheReadInputTokenCount: 0,
      cacheWriteInputTokenCount: 0,
    };
    const chunks: Record<string, unknown>[] = converseStreamEvents(gen, toolUseId).map(
      ({ eventType, payload }) => ({ [eventType]: payload }),
    );
    chunks.push({
      metadata: {
        usage: { inputTokens: gen.inputTokens, outputTokens: gen.outputTokens },
        metrics: {},
        trace: {},
      },
    });
    return {
      reply: {
        output: { message: { role: 'assistant', content: converseContent(gen, toolUseId) } },
        stopReason: STOP_REASONS[gen.finish],
        usage,
      },
      chunks,
      inputTokens: gen.inputTokens,
      outputTokens: gen.outputTokens,
    };
  },

  'titan-text': (_modelId, body) => {
    const config = isRecord(body.textGenerationConfig) ? body.textGenerationConfig : {};
    const gen = generateText(titanTurns(requireString(body, 'inputText')), config.maxTokenCount);
    const reason = gen.finish === 'length' ? 'LENGTH' : 'FINISH';
    const pieces = piecesOf(gen);
    return {
      reply: {
        inputTextTokenCount: gen.inputTokens,
        results: [{ tokenCount: gen.outputTokens, outputText: gen.text, completionReason: reason }],
      },
      chunks: pieces.map((outputText, i) => ({
        outputText,
        index: 0,
        totalOutputTextTokenCount: Math.min(i + 1, gen.outputTokens),
        completionReason: i === pieces.length - 1 ? reason : null,
        inputTextTokenCount: i === 0 ? gen.inputTokens : null,
      })),
      inputTokens: gen.inputTokens,
      outputTokens: gen.outputTokens,
    };
  },

  'titan-embed': (_modelId, body) => {
    const text = requireString(body, 'inputText');
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : DEFAULT_DIMENSIONS;
    const vector = Array.from(embed(text, dimensions));
    const inputTokens = countTokens(text);
    return {
      reply: {
        embedding: vector,
        embeddingsByType: { float: vector },
        inputTextTokenCount: inputTokens,
      },
      chunks: undefined,
      inputTokens,
      outputTokens: 0,
    };
  },

  llama: (_modelId, body) => {
    const gen = generateText(instructTurns(requireString(body, 'prompt')), body.max_gen_len);
    const reason = gen.finish === 'length' ? 'length' : 'stop';
    const pieces = piecesOf(gen);
    return {
      reply: {
        generation: gen.text,
        prompt_token_count: gen.inputTokens,
        generation_token_count: gen.outputTokens,
        stop_reason: reason,
      },
      chunks: pieces.map((generation, i) => ({
        generation,
        prompt_token_count: i === 0 ? gen.inputTokens : null,
        generation_token_count: Math.min(i + 1, gen.outputTokens),
        stop_reason: i === pieces.length - 1 ? reason : null,
      })),
      inputTokens: gen.inputTokens,
      outputTokens: gen.outputTokens,
    };
  },

  mistral: (_modelId, body) => {
    const gen = generateText(instructTurns(requireString(body, 'prompt')), body.max_tokens);
    const reason = gen.finish === 'length' ? 'length' : 'stop';
    const pieces = piecesOf(gen);
    return {
      reply: { outputs: [{ text: gen.text, stop_reason: reason }] },
      chunks: pieces.map((text, i) => ({
        outputs: [{ text, stop_reason: i === pieces.length - 1 ? reason : null }],
      })),
      inputTokens: gen.inputTokens,
      outputTokens: gen.outputTokens,
    };
  },

  'cohere-command-r': (_modelId, body) => {
    const message = requireString(body, 'message');
    const history = optionalArray(body, 'chat_history');
    const turns: ChatTurn[] = [];
    if (typeof body.preamble === 'string' && body.preamble !== '') {
      turns.push({ role: 'system', text: body.preamble });
    }
    for (const entry of history) {
      if (!isRecord(entry) || typeof entry.message !== 'string') continue;
      turns.push({ role: COHERE_ROLES[String(entry.role)] ?? 'user', text: entry.message });
    }
    turns.push({ role: 'user', text: message });
    const gen = generateText(turns, body.max_tokens);
    const finish = gen.finish === 'length' ? 'MAX_TOKENS' : 'COMPLETE';
    const generationId = randomUUID();
    const reply = {
      response_id: randomUUID(),
      text: gen.text,
      generation_id: generationId,
      chat_history: [...history, { role: 'USER', message }, { role: 'CHATBOT', message: gen.text }],
      finish_reason: finish,
      meta: {
        api_version: { version: '1' },
        billed_units: { input_tokens: gen.inputTokens, output_tokens: gen.outputTokens },
        tokens: { input_tokens: gen.inputTokens, output_tokens: gen.outputTokens },
      },
    };
    return {
      reply,
      chunks: [
        { is_finished: false, event_type: 'stream-start', generation_id: generationId },
        ...gen.pieces.map(text => ({ is_finished: false, event_type: 'text-generation', text })),
        { is_finished: true, event_type: 'stream-end', finish_reason: finish, response: reply },
      ],
      inputTokens: gen.inputTokens,
      outputTokens: gen.outputTokens,
    };
  },

  'cohere-command': (_modelId, body) => {
    const prompt = requireString(body, 'prompt');
    const gen = generateText([{ role: 'user', text: prompt }], body.max_tokens);
    const finish = gen.finish === 'length' ? 'MAX_TOKENS' : 'COMPLETE';
    const reply = {
      id: randomUUID(),
      generations: [{ id: randomUUID(), text: gen.text, finish_reason: finish }],
      prompt,
    };
    return {
      reply,
      chunks: [
        ...gen.pieces.map(text => ({ text, is_finished: false })),
        { is_finished: true, finish_reason: finish, response: reply },
      ],
      inputTokens: gen.inputTokens,
      outputTokens: gen.outputTokens,
    };
  },

  'cohere-embed': (_modelId, body) => {
    const texts = requireArray(body, 'texts').map((text, i) => {
      if (typeof text !== 'string') throw new HttpError(400, `texts.${i} must be a string`);
      return text;
    });
    const floats = texts.map(text => Array.from(embed(text, DEFAULT_DIMENSIONS)));
    const byType = Array.isArray(body.embedding_types);
    return {
      reply: {
        id: randomUUID(),
        embeddings: byType ? { float: floats } : floats,
        response_type: byType ? 'embeddings_by_type' : 'embeddings_floats',
        texts,
      },
      chunks: undefined,
      inputTokens: texts.reduce((sum, text) => sum + countTokens(text), 0),
      outputTokens: 0,
    };
  },
};

const COHERE_ROLES: Record<string, ChatTurn['role']> = {
  USER: 'user',
  CHATBOT: 'assistant',
  SYSTEM: 'system',
  TOOL: 'tool',
};

function malformed(detail: string): HttpError {
  return new HttpError(
    400,
    `Malformed input request: #: ${detail}, please reformat your input and try again.`,
  );
}

/** A plain text generation (no tools) for the families whose formats have none. */
function generateText(turns: ChatTurn[], maxTokens: unknown): Generation {
  if (maxTokens !== undefined && (typeof maxTokens !== 'number' || maxTokens < 0)) {
    throw malformed('the token limit must be a non-negative number');
  }
  return generate({
    turns,
    tools: [],
    toolChoice: { kind: 'none' },
    ...(maxTokens === undefined ? {} : { maxTokens: Math.floor(maxTokens) }),
  });
}

/** The text pieces to stream; one empty piece when there is no text, so a last chunk exists. */
function piecesOf(gen: Generation): string[] {
  return gen.pieces.length > 0 ? gen.pieces : [''];
}

/**
 * A prompt in the Llama 3 chat template (`<|start_header_id|>role<|end_header_id|>…<|eot_id|>`)
 * or the `[INST] … [/INST]` template of Llama 2 and Mistral (with an optional `<<SYS>>` block),
 * read back into turns; any other prompt is one user turn.
 */
export function instructTurns(prompt: string): ChatTurn[] {
  if (prompt.includes('<|start_header_id|>')) {
    const turns: ChatTurn[] = [];
    const header =
      /<\|start_header_id\|>(\w+)<\|end_header_id\|>([\s\S]*?)(?=<\|eot_id\|>|<\|start_header_id\|>|$)/g;
    for (const [, role = '', body = ''] of prompt.matchAll(header)) {
      const text = body.trim();
      // The open assistant header the model continues from holds no turn.
      if (text === '') continue;
      turns.push({ role: LLAMA_ROLES[role] ?? 'user', text });
    }
    return turns;
  }
  if (prompt.includes('[INST]')) {
    const turns: ChatTurn[] = [];
    const exchange = /\[INST\]([\s\S]*?)\[\/INST\]([\s\S]*?)(?=\[INST\]|$)/g;
    for (const [, asked = '', answered = ''] of prompt.matchAll(exchange)) {
      let user = asked;
      const system = /<<SYS>>([\s\S]*?)<<\/SYS>>/.exec(user);
      if (system) {
        turns.push({ role: 'system', text: (system[1] ?? '').trim() });
        user = user.replace(system[0], '');
      }
      turns.push({ role: 'user', text: user.trim() });
      const answer = answered.replace(/<\/?s>/g, '').trim();
      if (answer !== '') turns.push({ role: 'assistant', text: answer });
    }
    return turns;
  }
  return [{ role: 'user', text: prompt.replace(/<\|begin_of_text\|>|<\/?s>/g, '').trim() }];
}

const LLAMA_ROLES: Record<string, ChatTurn['role']> = {
  system: 'system',
  user: 'user',
  assistant: 'assistant',
  ipython: 'tool',
};

/** Titan's `User: … \nBot:` convention read back into turns; other text is one user turn. */
export function titanTurns(inputText: string): ChatTurn[] {
  if (!/^\s*User:/.test(inputText)) return [{ role: 'user', text: inputText.trim() }];
  const parts = inputText.split(/(?:^|\n)\s*(User|Bot):/);
  const turns: ChatTurn[] = [];
  for (let i = 1; i < parts.length; i += 2) {
    const text = (parts[i + 1] ?? '').trim();
    if (text === '') continue;
    turns.push({ role: parts[i] === 'Bot' ? 'assistant' : 'user', text });
  }
  return turns;
}
