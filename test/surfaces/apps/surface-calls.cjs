// The Stainless SDK surfaces that send model input, as data: for each client family, the calls to
// make (one per surface), the span each must produce, and on which SDK lines the surface exists.
// Shared by the in-process tests (`stainless.test.ts`) and the apps run under the register entry
// (`surfaces.cjs`, `surfaces.mjs`), so both check the same list.

async function drain(stream) {
  for await (const _ of stream) {
    // read to the end
  }
}

const chat = p => ({ model: 'm', messages: [{ role: 'user', content: p }] });
const messages = p => ({ model: 'c', max_tokens: 32, messages: [{ role: 'user', content: p }] });

const OPENAI = [
  {
    name: 'chat.completions.create',
    span: 'chat m',
    operation: 'chat',
    call: (c, p) => c.chat.completions.create(chat(p)),
  },
  {
    name: 'chat.completions.create, streamed',
    span: 'chat m',
    operation: 'chat',
    call: async (c, p) => drain(await c.chat.completions.create({ ...chat(p), stream: true })),
  },
  {
    name: 'chat.completions.stream()',
    span: 'chat m',
    operation: 'chat',
    lines: ['5', '6', '7'],
    call: (c, p) => c.chat.completions.stream(chat(p)).finalChatCompletion(),
  },
  {
    name: 'beta.chat.completions.stream()',
    span: 'chat m',
    operation: 'chat',
    lines: ['4'],
    call: (c, p) => c.beta.chat.completions.stream(chat(p)).finalChatCompletion(),
  },
  {
    name: 'responses.create',
    span: 'chat m',
    operation: 'chat',
    call: (c, p) => c.responses.create({ model: 'm', input: p }),
  },
  {
    name: 'embeddings.create',
    span: 'embeddings e',
    operation: 'embeddings',
    call: (c, p) => c.embeddings.create({ model: 'e', input: p }),
  },
  {
    name: 'completions.create (legacy)',
    span: 'text_completion i',
    operation: 'text_completion',
    call: (c, p) => c.completions.create({ model: 'i', prompt: p }),
  },
  {
    name: 'completions.create (legacy), streamed',
    span: 'text_completion i',
    operation: 'text_completion',
    call: async (c, p) =>
      drain(await c.completions.create({ model: 'i', prompt: p, stream: true })),
  },
  {
    name: 'completions.create (legacy) with a list of prompts, checked one by one',
    span: 'text_completion i',
    operation: 'text_completion',
    preChecks: 2,
    call: (c, p) => c.completions.create({ model: 'i', prompt: ['Say hello', p] }),
  },
  {
    name: 'images.generate',
    span: 'generate_content gpt-image-1',
    operation: 'generate_content',
    call: (c, p) => c.images.generate({ model: 'gpt-image-1', prompt: p }),
  },
  {
    name: 'audio.speech.create',
    span: 'generate_content tts-1',
    operation: 'generate_content',
    call: async (c, p) =>
      (await c.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: p })).arrayBuffer(),
  },
  {
    name: 'client.post() of a model endpoint',
    span: 'chat m',
    operation: 'chat',
    call: (c, p) => c.post('/chat/completions', { body: chat(p) }),
  },
];

const ANTHROPIC = [
  {
    name: 'messages.create',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.24', '0.x', '1.x'],
    call: (c, p) => c.messages.create(messages(p)),
  },
  {
    name: 'messages.create, streamed',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.24', '0.x', '1.x'],
    call: async (c, p) => drain(await c.messages.create({ ...messages(p), stream: true })),
  },
  {
    name: 'messages.stream()',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.24', '0.x', '1.x'],
    call: (c, p) => c.messages.stream(messages(p)).finalMessage(),
  },
  {
    name: 'beta.messages.create',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.x', '1.x'],
    call: (c, p) => c.beta.messages.create(messages(p)),
  },
  {
    name: 'beta.messages.stream()',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.x', '1.x'],
    call: (c, p) => c.beta.messages.stream(messages(p)).finalMessage(),
  },
  {
    name: 'beta.messages.toolRunner, each model call of the loop',
    span: 'chat c',
    operation: 'chat',
    lines: ['0.x', '1.x'],
    // The model asks for the tool, the runner runs it and asks again: two model requests.
    modelRequests: 2,
    call: (c, p) =>
      c.beta.messages
        .toolRunner({
          model: 'c',
          max_tokens: 64,
          messages: [
            { role: 'user', content: `${p} Use the get_weather tool for the weather in Paris.` },
          ],
          tools: [
            {
              name: 'get_weather',
              description: 'The weather in a city',
              input_schema: { type: 'object', properties: { city: { type: 'string' } } },
              parse: input => input,
              run: async input => JSON.stringify({ city: input.city, sky: 'clear' }),
            },
          ],
        })
        .runUntilDone(),
  },
  {
    name: 'messages.countTokens',
    span: 'count_tokens c',
    operation: 'count_tokens',
    audited: false,
    lines: ['0.x', '1.x'],
    call: (c, p) =>
      c.messages.countTokens({ model: 'c', messages: [{ role: 'user', content: p }] }),
  },
  {
    name: 'messages.batches.create, each request checked',
    span: 'batch c',
    operation: 'batch',
    preChecks: 2,
    lines: ['0.x', '1.x'],
    call: (c, p) =>
      c.messages.batches.create({
        requests: [
          { custom_id: 'a', params: messages('Say hello') },
          { custom_id: 'b', params: messages(p) },
        ],
      }),
  },
  {
    name: 'completions.create (legacy)',
    span: 'text_completion c',
    operation: 'text_completion',
    lines: ['0.24', '0.x'],
    call: (c, p) =>
      c.completions.create({
        model: 'c',
        max_tokens_to_sample: 16,
        prompt: `\n\nHuman: ${p}\n\nAssistant:`,
      }),
  },
];

const GROQ = [
  {
    name: 'chat.completions.create',
    span: 'chat m',
    operation: 'chat',
    call: (c, p) => c.chat.completions.create(chat(p)),
  },
];

/** The surfaces of `family` that exist on SDK line `line`. */
function surfacesOf(family, line) {
  const all = family === 'openai' ? OPENAI : family === 'anthropic' ? ANTHROPIC : GROQ;
  return all.filter(s => s.lines === undefined || s.lines.includes(line));
}

const ALLOWED = 'What is the capital of France?';
const DENIED = 'Please store my SSN 123-45-6789';

/**
 * Calls every surface of `family` on `line` twice, allowed then denied, with a client made by
 * `make()`; returns what each call returned or threw.
 */
async function runSurfaces(family, line, make) {
  const results = [];
  for (const surface of surfacesOf(family, line)) {
    for (const [kind, prompt] of [
      ['allowed', ALLOWED],
      ['denied', DENIED],
    ]) {
      try {
        await surface.call(make(), prompt);
        results.push({ surface: surface.name, kind, ok: true });
      } catch (err) {
        results.push({
          surface: surface.name,
          kind,
          ok: false,
          code: err?.code ?? err?.cause?.code,
        });
      }
    }
  }
  return results;
}

module.exports = { surfacesOf, runSurfaces, ALLOWED, DENIED };
