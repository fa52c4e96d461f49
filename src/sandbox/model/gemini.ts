/**
 * Google's Gemini API and Gemini on Vertex AI, as `@google/genai` (1.x and 3.x) calls them:
 * - Gemini API: `POST /{v1beta|v1|v1alpha}/models/{model}:{method}`;
 * - Vertex AI: `POST /{v1beta1|v1}/projects/{p}/locations/{l}/publishers/google/models/{model}:
 *   {method}`, or without the project part (express mode).
 * Methods:
 * - `generateContent` → a GenerateContentResponse: `candidates[0].content.parts` (`text`, or a
 *   `functionCall`), `finishReason` (`STOP`, `MAX_TOKENS`), `usageMetadata`, `modelVersion`,
 *   `responseId` (Vertex adds `createTime` and `trafficType`);
 * - `streamGenerateContent` (`?alt=sse`) → SSE `data:` frames, each a GenerateContentResponse with
 *   one token of text and the running `usageMetadata`, the last with the `finishReason`;
 * - `countTokens` → `{totalTokens, promptTokensDetails}`;
 * - `embedContent` → `{embedding: {values}}` (Vertex adds `usageMetadata`),
 *   `batchEmbedContents` → `{embeddings: [{values}]}`, and Vertex's `predict` for text embedding
 *   models → `{predictions: [{embeddings: {values, statistics}}], metadata}`.
 * Usage: `promptTokenCount` / `candidatesTokenCount` are the generator's counts. A thinking budget
 * or level (`generationConfig.thinkingConfig`) adds a fixed `thoughtsTokenCount` (the reasoning
 * counts of the OpenAI routes: level `LOW` 16, `MEDIUM` 32, `HIGH` 64; a budget of N tokens
 * min(N, 64), `-1` (dynamic) 32), counted in `totalTokenCount` but not in the candidates. A
 * request naming a `cachedContent` reports `cachedContentTokenCount` 32: the sandbox keeps no
 * caches, so it stands for the cache's content, and is part of `promptTokenCount` as on the API.
 */
import { randomUUID } from 'node:crypto';
import { HttpError, isRecord } from '../http/io.js';
import { jsonFrame } from '../http/sse.js';
import {
  type ModelCall,
  modelStream,
  optionalArray,
  reasoningTokens,
  requireArray,
  sendModelJson,
} from './common.js';
import { DEFAULT_DIMENSIONS, embed } from './embeddings.js';
import {
  type ChatTurn,
  type GenerateInput,
  type Generation,
  generate,
  promptTokenCount,
  type ToolChoice,
  type ToolSpec,
} from './engine.js';
import { countTokens as countTextTokens } from './tokenizer.js';

/** Tokens a named `cachedContent` stands for (see the header comment). */
export const CACHED_CONTENT_TOKENS = 32;
const MAX_THINKING_TOKENS = 64;
const DYNAMIC_THINKING_TOKENS = 32;

/** Whether the path was a Vertex AI one: its replies carry a few more fields. */
function isVertex(call: ModelCall): boolean {
  return call.ctx.params.project !== undefined || call.ctx.url.pathname.includes('/publishers/');
}

export async function gemini(call: ModelCall): Promise<void> {
  switch (call.ctx.params.method) {
    case 'generateContent':
      return generateContent(call);
    case 'streamGenerateContent':
      return streamGenerateContent(call);
    case 'countTokens':
      return countTokens(call);
    case 'embedContent':
      return embedContent(call);
    case 'batchEmbedContents':
      return batchEmbedContents(call);
    case 'predict':
      return predict(call);
    default:
      throw new HttpError(404, `Method not found: ${call.ctx.params.method ?? ''}`);
  }
}

interface GeminiRequest {
  input: GenerateInput;
  thoughts: number | undefined;
  cached: number | undefined;
}

function readRequest(body: Record<string, unknown>): GeminiRequest {
  const config = isRecord(body.generationConfig) ? body.generationConfig : {};
  const maxTokens = config.maxOutputTokens;
  if (maxTokens !== undefined && (typeof maxTokens !== 'number' || maxTokens < 0)) {
    throw new HttpError(400, 'generationConfig.maxOutputTokens must be a non-negative integer');
  }
  const cached = body.cachedContent;
  return {
    input: {
      turns: readTurns(body),
      tools: readTools(optionalArray(body, 'tools')),
      toolChoice: readToolChoice(body.toolConfig),
      ...(typeof maxTokens === 'number' ? { maxTokens: Math.floor(maxTokens) } : {}),
    },
    thoughts: thinkingTokens(config.thinkingConfig),
    cached: typeof cached === 'string' && cached !== '' ? CACHED_CONTENT_TOKENS : undefined,
  };
}

function readTurns(body: Record<string, unknown>): ChatTurn[] {
  const turns: ChatTurn[] = [];
  const system = systemText(body.systemInstruction);
  if (system !== '') turns.push({ role: 'system', text: system });
  for (const [i, content] of requireArray(body, 'contents').entries()) {
    if (!isRecord(content) || !Array.isArray(content.parts)) {
      throw new HttpError(400, `contents[${i}].parts is required`);
    }
    const parts = content.parts.filter(isRecord);
    const response = parts.map(part => part.functionResponse).find(isRecord);
    if (response) {
      turns.push({
        role: 'tool',
        text: responseText(response.response),
        ...(typeof response.name === 'string' ? { toolName: response.name } : {}),
      });
      continue;
    }
    // Thought summaries are the model's scratch work, not its reply.
    const text = parts
      .filter(part => typeof part.text === 'string' && part.thought !== true)
      .map(part => part.text as string)
      .join('');
    turns.push({ role: content.role === 'model' ? 'assistant' : 'user', text });
  }
  return turns;
}

function systemText(instruction: unknown): string {
  if (typeof instruction === 'string') return instruction;
  if (!isRecord(instruction) || !Array.isArray(instruction.parts)) return '';
  return instruction.parts
    .map(part => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

/** A function response as text: its `output` / `result` / `content` string, else its JSON. */
function responseText(response: unknown): string {
  if (typeof response === 'string') return response;
  if (isRecord(response)) {
    for (const key of ['output', 'result', 'content']) {
      const value = response[key];
      if (typeof value === 'string') return value;
    }
  }
  return JSON.stringify(response ?? {});
}

function readTools(tools: unknown[]): ToolSpec[] {
  const specs: ToolSpec[] = [];
  for (const tool of tools) {
    if (!isRecord(tool) || !Array.isArray(tool.functionDeclarations)) continue;
    for (const fn of tool.functionDeclarations) {
      if (!isRecord(fn) || typeof fn.name !== 'string') {
        throw new HttpError(400, 'functionDeclarations[].name is required');
      }
      specs.push({
        name: fn.name,
        ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
        schema: lowerTypes(fn.parametersJsonSchema ?? fn.parameters),
      });
    }
  }
  return specs;
}

/** Gemini's OpenAPI-style schemas spell types in capitals (`OBJECT`, `STRING`); JSON Schema's are lower case. */
function lowerTypes(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(lowerTypes);
  if (!isRecord(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === 'type' && typeof value === 'string' ? value.toLowerCase() : lowerTypes(value);
  }
  return out;
}

function readToolChoice(toolConfig: unknown): ToolChoice {
  const calling = isRecord(toolConfig) ? toolConfig.functionCallingConfig : undefined;
  if (!isRecord(calling)) return { kind: 'auto' };
  if (calling.mode === 'NONE') return { kind: 'none' };
  if (calling.mode === 'ANY' || calling.mode === 'VALIDATED') {
    const allowed = Array.isArray(calling.allowedFunctionNames) ? calling.allowedFunctionNames : [];
    const [only] = allowed;
    return allowed.length === 1 && typeof only === 'string'
      ? { kind: 'tool', name: only }
      : { kind: 'required' };
  }
  return { kind: 'auto' };
}

function thinkingTokens(thinking: unknown): number | undefined {
  if (!isRecord(thinking)) return undefined;
  if (thinking.thinkingLevel !== undefined && thinking.thinkingLevel !== null) {
    const level = thinking.thinkingLevel;
    if (typeof level !== 'string') throw new HttpError(400, 'thinkingLevel must be a string');
    return reasoningTokens(level.toLowerCase(), 'thinkingLevel');
  }
  const budget = thinking.thinkingBudget;
  if (typeof budget !== 'number') return undefined;
  if (budget === -1) return DYNAMIC_THINKING_TOKENS;
  return budget > 0 ? Math.min(Math.floor(budget), MAX_THINKING_TOKENS) : undefined;
}

function usageMetadata(
  request: GeminiRequest,
  inputTokens: number,
  outputTokens: number,
  vertex: boolean,
) {
  const prompt = inputTokens + (request.cached ?? 0);
  const thoughts = request.thoughts ?? 0;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: outputTokens,
    totalTokenCount: prompt + outputTokens + thoughts,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    ...(vertex
      ? { candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: outputTokens }] }
      : {}),
    ...(request.thoughts === undefined ? {} : { thoughtsTokenCount: thoughts }),
    ...(request.cached === undefined
      ? {}
      : {
          cachedContentTokenCount: request.cached,
          cacheTokensDetails: [{ modality: 'TEXT', tokenCount: request.cached }],
        }),
    ...(vertex ? { trafficType: 'ON_DEMAND' } : {}),
  };
}

const FINISH: Record<Generation['finish'], string> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  // Gemini ends a turn that calls a function with STOP, the call in the parts.
  tool_call: 'STOP',
};

function responseFields(call: ModelCall, responseId: string) {
  const model = (call.ctx.params.model ?? '').replace(/^models\//, '');
  return {
    modelVersion: model,
    ...(isVertex(call) ? { createTime: new Date().toISOString() } : {}),
    responseId,
  };
}

function replyParts(gen: Generation): Record<string, unknown>[] {
  if (gen.toolCall)
    return [{ functionCall: { name: gen.toolCall.name, args: gen.toolCall.arguments } }];
  return [{ text: gen.text }];
}

function generateContent(call: ModelCall): void {
  const request = readRequest(call.body);
  const gen = generate(request.input);
  sendModelJson(call, {
    candidates: [
      {
        content: { parts: replyParts(gen), role: 'model' },
        finishReason: FINISH[gen.finish],
        index: 0,
      },
    ],
    usageMetadata: usageMetadata(request, gen.inputTokens, gen.outputTokens, isVertex(call)),
    ...responseFields(call, newResponseId()),
  });
}

async function streamGenerateContent(call: ModelCall): Promise<void> {
  const request = readRequest(call.body);
  const gen = generate(request.input);
  const vertex = isVertex(call);
  const fields = responseFields(call, newResponseId());
  const steps: { parts: Record<string, unknown>[]; produced: number }[] = gen.toolCall
    ? [{ parts: replyParts(gen), produced: gen.outputTokens }]
    : (gen.pieces.length > 0 ? gen.pieces : ['']).map((text, i) => ({
        parts: [{ text }],
        produced: Math.min(i + 1, gen.outputTokens),
      }));
  const frames = steps.map(({ parts, produced }, i) =>
    jsonFrame({
      candidates: [
        {
          content: { parts, role: 'model' },
          ...(i === steps.length - 1 ? { finishReason: FINISH[gen.finish] } : {}),
          index: 0,
        },
      ],
      // Each chunk's usage is the running total so far, as the API reports it.
      usageMetadata: usageMetadata(request, gen.inputTokens, produced, vertex),
      ...fields,
    }),
  );
  const out = modelStream(call);
  if (await out.sendAll(frames)) out.end();
}

function countTokens(call: ModelCall): void {
  // The Gemini API also takes the whole request nested as `generateContentRequest`.
  const nested = call.body.generateContentRequest;
  const body = isRecord(nested) ? nested : call.body;
  const total = promptTokenCount(readTurns(body));
  sendModelJson(call, {
    totalTokens: total,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: total }],
  });
}

function dimensionsOf(...candidates: unknown[]): number {
  const value = candidates.find(c => c !== undefined && c !== null);
  if (value === undefined) return DEFAULT_DIMENSIONS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 4096) {
    throw new HttpError(400, 'outputDimensionality must be an integer between 1 and 4096');
  }
  return value;
}

function contentText(content: unknown, field: string): string {
  if (typeof content === 'string') return content;
  if (!isRecord(content) || !Array.isArray(content.parts)) {
    throw new HttpError(400, `${field} must be a Content with parts`);
  }
  return content.parts
    .map(part => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

function embedContent(call: ModelCall): void {
  const { body } = call;
  const text = contentText(body.content, 'content');
  const config = isRecord(body.embedContentConfig) ? body.embedContentConfig : {};
  const values = Array.from(
    embed(text, dimensionsOf(body.outputDimensionality, config.outputDimensionality)),
  );
  if (!isVertex(call)) {
    sendModelJson(call, { embedding: { values } });
    return;
  }
  sendModelJson(call, {
    embedding: { values },
    usageMetadata: { promptTokenCount: countTextTokens(text) },
    truncated: false,
  });
}

function batchEmbedContents(call: ModelCall): void {
  const embeddings = requireArray(call.body, 'requests').map((request, i) => {
    if (!isRecord(request)) throw new HttpError(400, `requests[${i}] must be an object`);
    const text = contentText(request.content, `requests[${i}].content`);
    return { values: Array.from(embed(text, dimensionsOf(request.outputDimensionality))) };
  });
  sendModelJson(call, { embeddings });
}

/** Vertex AI's `predict` for text embedding models (`text-embedding-005`, …). */
function predict(call: ModelCall): void {
  const { body } = call;
  const parameters = isRecord(body.parameters) ? body.parameters : {};
  const dimensions = dimensionsOf(parameters.outputDimensionality);
  let characters = 0;
  const predictions = requireArray(body, 'instances').map((instance, i) => {
    if (!isRecord(instance)) throw new HttpError(400, `instances[${i}] must be an object`);
    const text = contentText(instance.content, `instances[${i}].content`);
    characters += text.replace(/\s/g, '').length;
    return {
      embeddings: {
        values: Array.from(embed(text, dimensions)),
        statistics: { token_count: countTextTokens(text), truncated: false },
      },
    };
  });
  sendModelJson(call, { predictions, metadata: { billableCharacterCount: characters } });
}

function newResponseId(): string {
  // Gemini's ids are short URL-safe strings.
  return Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
}
