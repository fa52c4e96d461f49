/**
 * `POST /v1/audio/speech`, OpenAI text-to-speech: the audio file as the body (`audio/mpeg` for
 * the default `mp3`), or with `stream_format: "sse"` data-only `speech.audio.delta` events
 * (base64 slices of the same file) and a `speech.audio.done` event with usage.
 *
 * The audio is valid but says nothing (see `audio.ts` for each format): its length follows the
 * input's token count (100 ms a token, divided by `speed`), and the input's `generate()` digest
 * sets the tone's pitch or is written into the file's tags, so equal inputs give equal bytes
 * and different ones differ.
 */
import { HttpError, isRecord } from '../http/io.js';
import { jsonFrame, type SseFrame } from '../http/sse.js';
import { AUDIO_CONTENT_TYPES, encodeAudio, SAMPLE_RATE } from './audio.js';
import { type ModelCall, modelStream, requireString, sendModelBytes } from './common.js';
import { generate } from './engine.js';

/** The API's cap on `input`. */
const MAX_INPUT_CHARS = 4096;
const MS_PER_TOKEN = 100;
/** Keeps a long input at 4× slowdown from making a file of many megabytes. */
const MAX_DURATION_MS = 60_000;
const SSE_SLICE_BYTES = 4_800;

export async function speech(call: ModelCall): Promise<void> {
  const { body } = call;
  requireString(body, 'model');
  const input = requireString(body, 'input');
  if (input.length > MAX_INPUT_CHARS) {
    throw new HttpError(400, `'input' must be at most ${MAX_INPUT_CHARS} characters`);
  }
  const voice = body.voice;
  if (
    !(typeof voice === 'string' && voice !== '') &&
    !(isRecord(voice) && typeof voice.id === 'string')
  ) {
    throw new HttpError(400, "'voice' is a required property: a voice name or {id}");
  }
  const format = body.response_format ?? 'mp3';
  const contentType = typeof format === 'string' ? AUDIO_CONTENT_TYPES[format] : undefined;
  if (typeof format !== 'string' || contentType === undefined) {
    throw new HttpError(
      400,
      `'response_format' must be one of ${Object.keys(AUDIO_CONTENT_TYPES).join(', ')}`,
    );
  }
  const speed = body.speed ?? 1;
  if (typeof speed !== 'number' || !(speed >= 0.25 && speed <= 4)) {
    throw new HttpError(400, "'speed' must be a number from 0.25 to 4.0");
  }
  const streamFormat = body.stream_format ?? 'audio';
  if (streamFormat !== 'audio' && streamFormat !== 'sse') {
    throw new HttpError(400, "'stream_format' must be 'audio' or 'sse'");
  }

  const gen = generate({
    turns: [{ role: 'user', text: input }],
    tools: [],
    toolChoice: { kind: 'none' },
  });
  const durationMs = Math.min(
    MAX_DURATION_MS,
    Math.round((Math.max(1, gen.inputTokens) * MS_PER_TOKEN) / speed),
  );
  const samples = Math.ceil((durationMs * SAMPLE_RATE) / 1000);
  const audio = encodeAudio(format, samples, gen.digest);

  if (streamFormat === 'audio') {
    sendModelBytes(call, contentType, audio);
    return;
  }
  // One output token per 100 ms of audio: a stand-in for the API's audio token count.
  const outputTokens = Math.ceil(durationMs / MS_PER_TOKEN);
  const frames: SseFrame[] = [];
  for (let at = 0; at < audio.length; at += SSE_SLICE_BYTES) {
    const slice = audio.subarray(at, at + SSE_SLICE_BYTES).toString('base64');
    frames.push(jsonFrame({ type: 'speech.audio.delta', audio: slice }));
  }
  frames.push(
    jsonFrame({
      type: 'speech.audio.done',
      usage: {
        input_tokens: gen.inputTokens,
        output_tokens: outputTokens,
        total_tokens: gen.inputTokens + outputTokens,
      },
    }),
  );
  const out = modelStream(call);
  if (await out.sendAll(frames)) out.end();
}
