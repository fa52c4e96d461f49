// Uses the parts of the openai and @anthropic-ai/sdk surface that wrap or re-read a call:
// .withResponse(), .asResponse(), stream tee(), toReadableStream(), abort through a signal,
// break out of a stream, iterate a consumed stream, the Anthropic messages.stream() helper.
// Prints one JSON line: for each operation what the app saw, without ids or timestamps.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const openai = new OpenAI();
const anthropic = new Anthropic();
const unhandled = [];
process.on('unhandledRejection', err => unhandled.push(String(err?.message ?? err)));

const ask = (tag, extra = {}) => ({
  model: 'sandbox-gpt',
  seed: tag,
  messages: [{ role: 'user', content: `Surface question ${tag}?` }],
  ...extra,
});
const askClaude = (tag, extra = {}) => ({
  model: 'sandbox-claude',
  max_tokens: 256,
  top_k: tag,
  messages: [{ role: 'user', content: `Surface question ${tag}?` }],
  ...extra,
});

function failure(err) {
  return { error: err?.constructor?.name, message: String(err?.message).slice(0, 80) };
}

async function text(stream, pick) {
  let out = '';
  for await (const chunk of stream) out += pick(chunk) ?? '';
  return out;
}
const chatDelta = c => c.choices[0]?.delta?.content;
const claudeDelta = e => (e.type === 'content_block_delta' ? e.delta.text : '');

/** Aborts once `n` chunks are in. The model stalls after a few, so the abort is what ends it. */
async function abortAfter(n, start, pick) {
  const controller = new AbortController();
  const seen = [];
  try {
    const stream = await start(controller.signal);
    for await (const chunk of stream) {
      seen.push(pick(chunk) ?? '');
      if (seen.length === n) controller.abort();
    }
    return { seen: seen.length, ended: 'normally' };
  } catch (err) {
    return { seen: seen.length, ...failure(err) };
  }
}

const ops = {
  async 'openai withResponse'() {
    const { data, response } = await openai.chat.completions.create(ask(1)).withResponse();
    return { content: data.choices[0].message.content, status: response.status };
  },
  async 'openai asResponse'() {
    const response = await openai.chat.completions.create(ask(2)).asResponse();
    const body = await response.json();
    return { content: body.choices[0].message.content, status: response.status };
  },
  async 'openai tee'() {
    const stream = await openai.chat.completions.create(ask(3, { stream: true }));
    const [a, b] = stream.tee();
    return { a: await text(a, chatDelta), b: await text(b, chatDelta) };
  },
  async 'openai toReadableStream'() {
    const stream = await openai.chat.completions.create(ask(4, { stream: true }));
    const reader = stream.toReadableStream().getReader();
    let lines = 0;
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
      lines++;
    }
    return { lines: lines > 3 };
  },
  async 'openai break'() {
    const stream = await openai.chat.completions.create(ask(5, { stream: true }));
    let first;
    for await (const chunk of stream) {
      first = chunk.choices[0]?.delta;
      break;
    }
    return { first };
  },
  async 'openai iterate twice'() {
    const stream = await openai.chat.completions.create(ask(6, { stream: true }));
    const once = await text(stream, chatDelta);
    try {
      await text(stream, chatDelta);
      return { once, twice: 'allowed' };
    } catch (err) {
      return { once, twice: failure(err) };
    }
  },
  async 'openai abort mid-stream'() {
    return abortAfter(
      2,
      signal =>
        openai.chat.completions.create(ask(7, { stream: true, model: 'sandbox-fault-stall-mid' }), {
          signal,
        }),
      chatDelta,
    );
  },
  async 'openai abort before the reply'() {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    try {
      await openai.chat.completions.create(ask(8, { model: 'sandbox-fault-stall' }), {
        signal: controller.signal,
        maxRetries: 0,
      });
      return { ended: 'normally' };
    } catch (err) {
      return failure(err);
    }
  },
  async 'anthropic withResponse'() {
    const { data, response } = await anthropic.messages.create(askClaude(11)).withResponse();
    return { content: data.content[0].text, status: response.status };
  },
  async 'anthropic asResponse'() {
    const response = await anthropic.messages.create(askClaude(12)).asResponse();
    const body = await response.json();
    return { content: body.content[0].text, status: response.status };
  },
  async 'anthropic tee'() {
    const stream = await anthropic.messages.create(askClaude(13, { stream: true }));
    const [a, b] = stream.tee();
    return { a: await text(a, claudeDelta), b: await text(b, claudeDelta) };
  },
  async 'anthropic messages.stream() helper'() {
    const stream = anthropic.messages.stream(askClaude(14));
    let deltas = '';
    stream.on('text', t => {
      deltas += t;
    });
    const final = await stream.finalMessage();
    return { deltas, final: final.content[0].text, stop: final.stop_reason };
  },
  async 'anthropic break'() {
    const stream = await anthropic.messages.create(askClaude(15, { stream: true }));
    let first;
    for await (const event of stream) {
      first = event.type;
      break;
    }
    return { first };
  },
  async 'anthropic abort mid-stream'() {
    return abortAfter(
      2,
      signal =>
        anthropic.messages.create(
          askClaude(16, { stream: true, model: 'sandbox-fault-stall-mid' }),
          { signal },
        ),
      e => e.type,
    );
  },
};

const results = {};
for (const [name, op] of Object.entries(ops)) {
  try {
    results[name] = await op();
  } catch (err) {
    results[name] = { threw: failure(err) };
  }
}
console.log(JSON.stringify({ results, unhandled }));
