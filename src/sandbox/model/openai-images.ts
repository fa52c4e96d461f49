/**
 * `POST /v1/images/generations`, OpenAI Images: `{created, data: [{b64_json | url}], …}` with one
 * tiny but valid PNG per image (8×8 pixels, two colours in a pattern seeded by the prompt's
 * `generate()` digest and the image's index), so the same prompt always draws the same picture.
 *
 * The reply follows the model family, as the API's does: `dall-e-*` models (and a request that
 * names none, the API's historical default) answer with URLs unless `response_format: "b64_json"`,
 * and `dall-e-3` adds `revised_prompt`; GPT image models answer base64 with `size`, `quality`,
 * `background`, `output_format` and token `usage`. A URL is a `data:` URL, so nothing has to be
 * fetched back from the sandbox. `stream: true` sends `image_generation.partial_image` events
 * (`partial_images` of them, 0–3) then `image_generation.completed`, per image.
 */
import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { HttpError } from '../http/io.js';
import { jsonFrame, type SseFrame } from '../http/sse.js';
import {
  type ModelCall,
  modelStream,
  nowSeconds,
  optionalBoolean,
  optionalNumber,
  requireString,
  sendModelJson,
} from './common.js';
import { generate } from './engine.js';

const MAX_IMAGES = 10;
const MAX_PARTIAL_IMAGES = 3;

/**
 * Output tokens per image, by quality: what the API bills for a square GPT image, so usage
 * looks like a real reply's. `auto` is served as `medium`.
 */
const IMAGE_TOKENS: Record<string, number> = { low: 272, medium: 1056, high: 4160 };

export async function imageGenerations(call: ModelCall): Promise<void> {
  const { body } = call;
  const prompt = requireString(body, 'prompt');
  const model = optionalString(body, 'model') ?? 'dall-e-2';
  const legacy = model.startsWith('dall-e');
  const n = optionalNumber(body, 'n') ?? 1;
  if (n < 1 || n > MAX_IMAGES) throw new HttpError(400, `'n' must be between 1 and ${MAX_IMAGES}`);
  const format = optionalString(body, 'response_format') ?? (legacy ? 'url' : 'b64_json');
  if (format !== 'url' && format !== 'b64_json') {
    throw new HttpError(400, "'response_format' must be 'url' or 'b64_json'");
  }
  const stream = optionalBoolean(body, 'stream');
  const partials = optionalNumber(body, 'partial_images') ?? 0;
  if (partials > MAX_PARTIAL_IMAGES) {
    throw new HttpError(400, `'partial_images' must be between 0 and ${MAX_PARTIAL_IMAGES}`);
  }
  const requestedSize = optionalString(body, 'size') ?? 'auto';
  const size = requestedSize === 'auto' ? '1024x1024' : requestedSize;
  const requestedQuality = optionalString(body, 'quality') ?? 'auto';
  const quality = requestedQuality in IMAGE_TOKENS ? requestedQuality : 'medium';
  const transparent = optionalString(body, 'background') === 'transparent';

  // The digest `generate()` gives this prompt seeds the pictures, and its input count is the
  // prompt's text tokens, so every dialect agrees on both.
  const gen = generate({
    turns: [{ role: 'user', text: prompt }],
    tools: [],
    toolChoice: { kind: 'none' },
  });
  const images = Array.from({ length: n }, (_, index) =>
    drawPng(`${gen.digest}:${index}`, transparent).toString('base64'),
  );
  const outputTokens = n * (IMAGE_TOKENS[quality] ?? 0);
  const usage = {
    input_tokens: gen.inputTokens,
    input_tokens_details: { text_tokens: gen.inputTokens, image_tokens: 0 },
    output_tokens: outputTokens,
    total_tokens: gen.inputTokens + outputTokens,
  };
  // The sandbox only draws PNG, whatever `output_format` asks, and says so.
  const described = {
    background: transparent ? 'transparent' : 'opaque',
    output_format: 'png',
    quality,
    size,
  };
  const created = nowSeconds();

  if (!stream) {
    sendModelJson(call, {
      created,
      data: images.map(b64 => ({
        ...(format === 'url' ? { url: `data:image/png;base64,${b64}` } : { b64_json: b64 }),
        ...(model === 'dall-e-3' ? { revised_prompt: prompt } : {}),
      })),
      ...(legacy ? {} : { ...described, usage }),
    });
    return;
  }

  const event = (fields: Record<string, unknown>): SseFrame =>
    jsonFrame({ ...fields, created_at: created, ...described }, String(fields.type));
  const frames: SseFrame[] = [];
  for (const b64 of images) {
    for (let index = 0; index < partials; index++) {
      frames.push(
        event({
          type: 'image_generation.partial_image',
          b64_json: b64,
          partial_image_index: index,
        }),
      );
    }
    frames.push(event({ type: 'image_generation.completed', b64_json: b64, usage }));
  }
  const out = modelStream(call);
  if (await out.sendAll(frames)) out.end();
}

function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HttpError(400, `'${field}' must be a string`);
  return value;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const SIDE = 8;

/**
 * An 8×8 PNG: each pixel is one of two colours chosen by a bit of the seed's SHA-256, which
 * also gives the colours. With `transparent` the second colour is fully transparent (RGBA).
 */
export function drawPng(seed: string, transparent: boolean): Buffer {
  const hash = createHash('sha256').update(seed).digest();
  const channels = transparent ? 4 : 3;
  const ink = [hash[0] ?? 0, hash[1] ?? 0, hash[2] ?? 0, 255];
  const paper = transparent ? [0, 0, 0, 0] : [hash[3] ?? 0, hash[4] ?? 0, hash[5] ?? 0, 255];
  // Each scanline starts with filter type 0 (none).
  const raw = Buffer.alloc(SIDE * (1 + SIDE * channels));
  for (let y = 0; y < SIDE; y++) {
    const row = y * (1 + SIDE * channels);
    const bits = hash[8 + y] ?? 0;
    for (let x = 0; x < SIDE; x++) {
      const colour = (bits >> x) & 1 ? ink : paper;
      for (let c = 0; c < channels; c++) raw[row + 1 + x * channels + c] = colour[c] ?? 0;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIDE, 0);
  header.writeUInt32BE(SIDE, 4);
  header[8] = 8; // bit depth
  header[9] = transparent ? 6 : 2; // colour type: RGBA or RGB
  // Compression, filter and interlace methods stay 0.
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  typed.copy(out, 4);
  out.writeUInt32BE(crc32(typed), 8 + data.length);
  return out;
}
