/**
 * `POST /v1/embeddings`, OpenAI Embeddings: one deterministic unit vector per input, seeded by the
 * input's SHA-256, so equal texts embed equally. `encoding_format: "base64"` (the openai SDK's
 * default on the wire) sends little-endian float32 bytes, as the real API does. Mistral's
 * Embeddings share the route: for the Mistral SDK the reply also has the `id` its schema
 * requires, and its `output_dimension` is honoured like `dimensions`.
 */
import { createHash } from 'node:crypto';
import { HttpError } from '../http/io.js';
import {
  isMistralClient,
  type ModelCall,
  optionalNumber,
  requireString,
  sendModelJson,
  shortId,
} from './common.js';
import { countTokens } from './tokenizer.js';

/** Small by default: the vectors are for plumbing tests, not for similarity search. */
export const DEFAULT_DIMENSIONS = 64;
const MAX_DIMENSIONS = 4096;
const MAX_INPUTS = 2048;

export function embeddings(call: ModelCall): void {
  const { body } = call;
  const model = requireString(body, 'model');
  const inputs = parseInputs(body.input);
  const dimensions =
    optionalNumber(body, 'dimensions') ??
    optionalNumber(body, 'output_dimension') ??
    DEFAULT_DIMENSIONS;
  if (dimensions < 1 || dimensions > MAX_DIMENSIONS) {
    throw new HttpError(400, `'dimensions' must be between 1 and ${MAX_DIMENSIONS}`);
  }
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw new HttpError(400, "'encoding_format' must be 'float' or 'base64'");
  }
  let tokens = 0;
  const data = inputs.map((text, index) => {
    tokens += countTokens(text);
    const vector = embed(text, dimensions);
    const embedding = format === 'base64' ? toBase64(vector) : Array.from(vector);
    return { object: 'embedding', index, embedding };
  });
  sendModelJson(call, {
    ...(isMistralClient(call.ctx) ? { id: `embd-sbx${shortId()}` } : {}),
    object: 'list',
    data,
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

function parseInputs(input: unknown): string[] {
  const invalid = () =>
    new HttpError(400, "'input' must be a non-empty string, array of strings, or token arrays");
  if (typeof input === 'string') {
    if (input === '') throw invalid();
    return [input];
  }
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_INPUTS) throw invalid();
  // Token-id inputs (number[] or number[][]) are embedded from their decimal text.
  if (input.every(n => typeof n === 'number')) return [input.join(' ')];
  return input.map(item => {
    if (typeof item === 'string' && item !== '') return item;
    if (Array.isArray(item) && item.length > 0 && item.every(n => typeof n === 'number')) {
      return item.join(' ');
    }
    throw invalid();
  });
}

export function embed(text: string, dimensions: number): Float32Array {
  const seed = createHash('sha256').update(text).digest();
  let state = seed.readUInt32LE(0);
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // mulberry32: tiny, fast, good enough spread for a deterministic test vector.
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const value = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
    vector[i] = value;
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] ?? 0) * scale;
  return vector;
}

function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [i, value] of vector.entries()) bytes.writeFloatLE(value, i * 4);
  return bytes.toString('base64');
}
