/**
 * The sandbox model's further OpenAI-compatible endpoints — legacy completions, image
 * generations, speech, and the `/openai/v1` base path groq-sdk uses — driven by the real client
 * SDKs (openai 7 and 4, groq-sdk) over loopback, checking that replies parse, are deterministic,
 * agree with chat completions on the same prompt, and count as model requests.
 */
import Groq from 'groq-sdk';
import OpenAI from 'openai';
import OpenAIv4 from 'openai-v4';
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/sandbox/model/tokenizer.js';
import { postJson, useSandbox } from './support/sandbox.js';

const sandbox = useSandbox();
const client = () =>
  new OpenAI({ apiKey: 'sk-sandbox', baseURL: sandbox().modelUrl, maxRetries: 0 });
const clientV4 = () =>
  new OpenAIv4({ apiKey: 'sk-sandbox', baseURL: sandbox().modelUrl, maxRetries: 0 });
const groq = () => new Groq({ apiKey: 'gsk-sandbox', baseURL: sandbox().url, maxRetries: 0 });

/** The reply chat completions gives a single user message: what every dialect must agree with. */
async function chatText(prompt: string): Promise<string> {
  const res = await client().chat.completions.create({
    model: 'm',
    messages: [{ role: 'user', content: prompt }],
  });
  return res.choices[0]?.message.content ?? '';
}

describe('completions (legacy)', () => {
  it('answers a prompt with the chat reply, usage, and the same text every time', async () => {
    const prompt = 'Name three rivers in Europe';
    const before = sandbox().modelRequests();
    const res = await client().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt });
    expect(sandbox().modelRequests()).toBe(before + 1);
    expect(res.object).toBe('text_completion');
    expect(res.model).toBe('gpt-3.5-turbo-instruct');
    const choice = res.choices[0];
    expect(choice).toMatchObject({ index: 0, logprobs: null, finish_reason: 'stop' });
    expect(choice?.text).toBe(await chatText(prompt));
    expect(res.usage).toEqual({
      prompt_tokens: countTokens(prompt),
      completion_tokens: countTokens(choice?.text ?? ''),
      total_tokens: countTokens(prompt) + countTokens(choice?.text ?? ''),
    });
    const again = await client().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt });
    expect(again.choices[0]?.text).toBe(choice?.text);
  });

  it('answers each prompt of an array in its own choice, and echoes on request', async () => {
    const res = await client().completions.create({
      model: 'm',
      prompt: ['first prompt', 'second prompt'],
      echo: true,
    });
    expect(res.choices.map(c => c.index)).toEqual([0, 1]);
    expect(res.choices[0]?.text).toBe(`first prompt${await chatText('first prompt')}`);
    expect(res.choices[1]?.text).toBe(`second prompt${await chatText('second prompt')}`);
    expect(res.usage?.prompt_tokens).toBe(4);
  });

  it('stops at max_tokens with finish_reason length', async () => {
    const res = await client().completions.create({ model: 'm', prompt: 'go on', max_tokens: 2 });
    expect(res.choices[0]).toMatchObject({ text: 'Sandbox reply', finish_reason: 'length' });
    expect(res.usage?.completion_tokens).toBe(2);
  });

  it('streams text_completion chunks, a usage chunk, and [DONE] (openai 7 and 4)', async () => {
    const prompt = 'Write a haiku about the sea';
    const expected = await chatText(prompt);
    const params = {
      model: 'm',
      prompt,
      stream: true as const,
      stream_options: { include_usage: true },
    };
    for (const open of [
      () => client().completions.create(params),
      () => clientV4().completions.create(params),
    ]) {
      const stream = await open();
      let text = '';
      let finish: string | null | undefined;
      let usage: { completion_tokens: number } | null | undefined;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        expect(chunk.object).toBe('text_completion');
        text += chunk.choices[0]?.text ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) {
          expect(chunk.choices).toEqual([]);
          usage = chunk.usage;
        }
      }
      expect(chunks).toBeGreaterThan(5);
      expect(text).toBe(expected);
      expect(finish).toBe('stop');
      expect(usage?.completion_tokens).toBe(countTokens(text));
    }
  });

  it('sends no usage chunk without include_usage, and ends with data: [DONE]', async () => {
    const res = await fetch(`${sandbox().modelUrl}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', prompt: 'hi', stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames = (await res.text()).trim().split('\n\n');
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map(f => JSON.parse(f.replace(/^data: /, '')));
    expect(chunks.every(c => !('usage' in c))).toBe(true);
    expect(chunks.at(-1)?.choices[0]).toMatchObject({ text: '', finish_reason: 'stop' });
  });

  it('answers bad requests and faults in OpenAI shape', async () => {
    await expect(client().completions.create({ model: 'm', prompt: [] })).rejects.toMatchObject({
      status: 400,
      constructor: OpenAI.BadRequestError,
    });
    await expect(
      client().completions.create({ model: 'sandbox-fault-429', prompt: 'x' }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe('images.generate', () => {
  const pngOf = (b64: string | undefined) => Buffer.from(b64 ?? '', 'base64');

  it('draws a small deterministic PNG per image, base64 with usage for GPT image models', async () => {
    const before = sandbox().modelRequests();
    const res = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'a lighthouse at dusk',
      n: 2,
    });
    expect(sandbox().modelRequests()).toBe(before + 1);
    expect(res.data).toHaveLength(2);
    const [first, second] = (res.data ?? []).map(image => pngOf(image.b64_json));
    expect(first?.subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    expect(first?.toString('latin1', 12, 16)).toBe('IHDR');
    expect(first?.readUInt32BE(16)).toBe(8);
    expect(first?.equals(second ?? Buffer.alloc(0))).toBe(false);
    expect(res).toMatchObject({ output_format: 'png', size: '1024x1024', quality: 'medium' });
    expect(res.usage).toMatchObject({
      input_tokens: countTokens('a lighthouse at dusk'),
      input_tokens_details: { text_tokens: countTokens('a lighthouse at dusk'), image_tokens: 0 },
    });

    const again = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'a lighthouse at dusk',
    });
    expect(pngOf(again.data?.[0]?.b64_json).equals(first ?? Buffer.alloc(0))).toBe(true);
    const other = await client().images.generate({ model: 'gpt-image-1', prompt: 'a windmill' });
    expect(pngOf(other.data?.[0]?.b64_json).equals(first ?? Buffer.alloc(0))).toBe(false);
  });

  it('answers URLs for DALL·E models and on request, base64 on request (openai 4 too)', async () => {
    const dalle = await client().images.generate({ model: 'dall-e-3', prompt: 'a red fox' });
    const image = dalle.data?.[0];
    expect(image?.url).toMatch(/^data:image\/png;base64,/);
    expect(image?.revised_prompt).toBe('a red fox');
    expect(dalle.usage).toBeUndefined();
    // A data URL is fetchable as it is, with nothing more asked of the sandbox.
    const bytes = Buffer.from(await (await fetch(image?.url ?? '')).arrayBuffer());
    expect(bytes.toString('latin1', 1, 4)).toBe('PNG');

    const asB64 = await clientV4().images.generate({
      model: 'dall-e-2',
      prompt: 'a red fox',
      response_format: 'b64_json',
    });
    expect(asB64.data?.[0]?.b64_json).toMatch(/^iVBORw0KGgo/);
    const asUrl = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'a red fox',
      response_format: 'url',
    });
    expect(asUrl.data?.[0]?.url).toBe(`data:image/png;base64,${asB64.data?.[0]?.b64_json}`);
  });

  it('streams partial images then the completed one', async () => {
    const stream = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'a lighthouse at dusk',
      stream: true,
      partial_images: 2,
    });
    const events: { type: string; b64_json: string }[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map(e => e.type)).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
    const whole = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'a lighthouse at dusk',
    });
    expect(events.at(-1)?.b64_json).toBe(whole.data?.[0]?.b64_json);
  });
});

describe('audio.speech.create', () => {
  const speak = async (input: string, extra: Partial<OpenAI.Audio.SpeechCreateParams> = {}) => {
    const res = await client().audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input,
      ...extra,
    });
    return { type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
  };

  it('answers mp3 bytes derived from the input, the same every time', async () => {
    const before = sandbox().modelRequests();
    const first = await speak('Hello from the sandbox');
    expect(sandbox().modelRequests()).toBe(before + 1);
    expect(first.type).toBe('audio/mpeg');
    expect(first.bytes.toString('latin1', 0, 3)).toBe('ID3');
    // After the tag: MPEG-2 Layer III frame sync.
    const tagSize =
      10 +
      (((first.bytes[6] ?? 0) << 21) |
        ((first.bytes[7] ?? 0) << 14) |
        ((first.bytes[8] ?? 0) << 7) |
        (first.bytes[9] ?? 0));
    expect([first.bytes[tagSize], first.bytes[tagSize + 1]]).toEqual([0xff, 0xf3]);
    expect((await speak('Hello from the sandbox')).bytes.equals(first.bytes)).toBe(true);
    expect((await speak('Goodbye from the sandbox')).bytes.equals(first.bytes)).toBe(false);
  });

  it('answers wav and pcm whose length follows the input and the speed (openai 4 too)', async () => {
    const input = 'one two three four';
    const pcm = await speak(input, { response_format: 'pcm' });
    expect(pcm.type).toBe('audio/pcm');
    // 100 ms a token at 24 kHz, 16-bit mono.
    expect(pcm.bytes.length).toBe(countTokens(input) * 2_400 * 2);
    const fast = await speak(input, { response_format: 'pcm', speed: 2 });
    expect(fast.bytes.length).toBe(pcm.bytes.length / 2);

    const res = await clientV4().audio.speech.create({
      model: 'tts-1',
      voice: 'alloy',
      input,
      response_format: 'wav',
    });
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const wav = Buffer.from(await res.arrayBuffer());
    expect(wav.toString('latin1', 0, 4)).toBe('RIFF');
    expect(wav.toString('latin1', 8, 12)).toBe('WAVE');
    expect(wav.readUInt32LE(24)).toBe(24_000);
    expect(wav.subarray(44).equals(pcm.bytes)).toBe(true);
  });

  it('streams the same audio as speech.audio.delta events with usage at the end', async () => {
    const input = 'streamed speech';
    const pcm = await speak(input, { response_format: 'pcm' });
    const res = await client().audio.speech.create({
      model: 'gpt-4o-mini-tts',
      voice: 'alloy',
      input,
      response_format: 'pcm',
      stream_format: 'sse',
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text())
      .trim()
      .split('\n\n')
      .map(frame => JSON.parse(frame.replace(/^data: /, '')));
    const deltas = events.filter(e => e.type === 'speech.audio.delta');
    const joined = Buffer.concat(deltas.map(e => Buffer.from(e.audio, 'base64')));
    expect(joined.equals(pcm.bytes)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: 'speech.audio.done',
      usage: { input_tokens: countTokens(input) },
    });
  });

  it('answers every response_format in its container, with the digest where tags fit', async () => {
    const input = 'every format';
    const expectations = [
      ['opus', 'audio/opus', 'OggS'],
      ['aac', 'audio/aac', 'ID3'],
      ['flac', 'audio/flac', 'fLaC'],
    ] as const;
    const pcm = await speak(input, { response_format: 'pcm' });
    for (const [format, type, magic] of expectations) {
      const audio = await speak(input, { response_format: format });
      expect(audio.type).toBe(type);
      expect(audio.bytes.toString('latin1', 0, magic.length)).toBe(magic);
      expect((await speak(input, { response_format: format })).bytes.equals(audio.bytes)).toBe(
        true,
      );
    }
    const flac = (await speak(input, { response_format: 'flac' })).bytes;
    // STREAMINFO: 24 kHz, mono, 16 bits, and as many samples as the pcm reply holds.
    expect(flac.readUInt32BE(18) >>> 12).toBe(24_000);
    expect(Number(flac.readBigUInt64BE(18) & 0xfffffffffn)).toBe(pcm.bytes.length / 2);
    const opus = (await speak(input, { response_format: 'opus' })).bytes;
    expect(opus.toString('latin1', 28, 36)).toBe('OpusHead');
  });

  it('refuses what it cannot speak, in OpenAI shape', async () => {
    await expect(
      client().audio.speech.create({
        model: 'tts-1',
        voice: 'alloy',
        input: 'x',
        response_format: 'ogg' as never,
      }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      client().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x'.repeat(4097) }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(
      client().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x', speed: 5 }),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });

  it('honours a cut fault by dropping the connection half-way through the audio', async () => {
    sandbox().injectModelFault('cut');
    await expect(
      (async () => {
        const res = await client().audio.speech.create({
          model: 'tts-1',
          voice: 'alloy',
          input: 'cut me',
        });
        await res.arrayBuffer();
      })(),
    ).rejects.toThrow();
  });
});

describe('the /openai/v1 base path (groq-sdk)', () => {
  it('answers groq chat completions with the OpenAI reply, counted as model requests', async () => {
    const prompt = 'What is the capital of France?';
    const modelBefore = sandbox().modelRequests();
    const agentBefore = sandbox().agentRequests();
    const res = await groq().chat.completions.create({
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: prompt }],
    });
    expect(sandbox().modelRequests()).toBe(modelBefore + 1);
    expect(sandbox().agentRequests()).toBe(agentBefore);
    expect(res.model).toBe('llama-3.3-70b-versatile');
    expect(res.choices[0]?.message.content).toBe(await chatText(prompt));
    expect(res.usage?.prompt_tokens).toBe(countTokens(prompt));
  });

  it('streams groq chat completions', async () => {
    const stream = await groq().chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'Write a haiku about the sea' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(await chatText('Write a haiku about the sea'));
  });

  it('serves the other OpenAI routes there too, with OpenAI-shaped errors', async () => {
    const models = await groq().models.list();
    expect(models.data.map(m => m.id)).toContain('sandbox-model');
    const embedded = await groq().embeddings.create({ model: 'e', input: 'hello' });
    expect(embedded.data[0]?.embedding).toHaveLength(64);

    const before = sandbox().modelRequests();
    const missing = await postJson(`${sandbox().url}/openai/v1/nowhere`, {});
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { type: 'invalid_request_error' } });
    const bad = await postJson(`${sandbox().url}/openai/v1/chat/completions`, { model: 'm' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-request-id')).toMatch(/^req_sbx_/);
    expect(sandbox().modelRequests()).toBe(before + 2);
    // Anthropic's routes are not aliased: only OpenAI-compatible clients use the prefix.
    const messages = await postJson(`${sandbox().url}/openai/v1/messages`, {});
    expect(messages.status).toBe(404);
  });
});
