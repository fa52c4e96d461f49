// Streams that go wrong, read with the openai SDK: each case in STREAM_CASES (comma-separated)
// is streamed and read to the end or to the error. `sse-*` models are served by the server at
// MALFORMED_BASE_URL; `sandbox-fault-cut` and `sandbox-fault-stall-mid` by the sandbox model.
// BREAKS=n then opens n streams and breaks out of each after the first chunk.
// Prints one JSON line: per case the chunk count, the text and the error, if any.
import OpenAI from 'openai';

const unhandled = [];
process.on('unhandledRejection', err => unhandled.push(String(err?.message ?? err)));

const sandbox = new OpenAI();
const malformed = new OpenAI({ baseURL: process.env.MALFORMED_BASE_URL ?? sandbox.baseURL });

async function read(client, model, tag) {
  const controller = new AbortController();
  let chunks = 0;
  let text = '';
  // A stream that goes quiet is given up on, as an app with a watchdog would: 2 s for the first
  // answer, then 500 ms between chunks (scaled on a busy machine, where a governed call's
  // pre-check and the first chunk of 100,000 can take longer than a quiet machine's 500 ms).
  const scale = Number(process.env.AXONFLOW_TEST_TIME_SCALE ?? 1) || 1;
  let watchdog = setTimeout(() => controller.abort(), 2000 * scale);
  try {
    const stream = await client.chat.completions.create(
      { model, seed: tag, stream: true, messages: [{ role: 'user', content: `Stream ${model}` }] },
      { signal: controller.signal, maxRetries: 0 },
    );
    for await (const chunk of stream) {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), 500 * scale);
      chunks++;
      text += chunk.choices?.[0]?.delta?.content ?? '';
    }
    return { chunks, text: text.slice(0, 100), length: text.length };
  } catch (err) {
    return {
      chunks,
      text: text.slice(0, 100),
      error: err?.constructor?.name,
      message: String(err?.message).slice(0, 100),
    };
  } finally {
    clearTimeout(watchdog);
  }
}

const cases = {};
const names = (process.env.STREAM_CASES ?? '').split(',').filter(Boolean);
for (const [i, name] of names.entries()) {
  const client = name.startsWith('sse-') ? malformed : sandbox;
  cases[name] = await read(client, name, i + 1);
}

let breaks;
const count = Number(process.env.BREAKS ?? 0);
if (count > 0) {
  const heap = () => {
    globalThis.gc?.();
    return process.memoryUsage().heapUsed;
  };
  let firstChunks = 0;
  let heapAfterWarmUp = 0;
  for (let i = 0; i < count; i++) {
    const stream = await sandbox.chat.completions.create({
      model: 'sandbox-gpt',
      seed: 10_000 + i,
      stream: true,
      messages: [{ role: 'user', content: 'Tell me a long story' }],
    });
    for await (const chunk of stream) {
      if (chunk) firstChunks++;
      break;
    }
    if (i === 99) heapAfterWarmUp = heap();
  }
  await new Promise(r => setTimeout(r, 200));
  const sockets = process.getActiveResourcesInfo().filter(r => r.includes('TCP')).length;
  breaks = { firstChunks, heapGrowth: heap() - heapAfterWarmUp, sockets };
}

console.log(JSON.stringify({ cases, breaks, unhandled }));
