// SDK targets: mutated OpenAI Chat Completions SSE (and JSON replies), OpenAI Responses SSE and
// Anthropic Messages SSE, served from loopback and read with the real SDKs, once uninstrumented
// and once instrumented (governance on, through an approving loopback agent). The app must see
// exactly the same items, or the same error; the instrumented run must end exactly one `chat`
// span, report no error of ours, and cause no unhandled rejection the SDK alone does not cause.
import {
  anthropicModule,
  compareRuns,
  corpus,
  instrument,
  openaiModule,
  snapshot,
  startReplyServer,
} from '../lib/harness.mjs';
import { chunked, mutateBody, mutateStream } from '../lib/mutate.mjs';

const MESSAGES = [{ role: 'user', content: 'Tell me about tides.' }];
const RUN_TIMEOUT_MS = 5000;
const ERROR_STATUSES = [400, 404, 429, 500, 503, 529];

/** Consumes a stream the way an app does: all of it, or up to `limit` items then `break`. */
async function drain(stream, events, limit) {
  for await (const item of stream) {
    events.push(snapshot(item));
    if (events.length >= limit) break;
  }
}

const CONSUMERS = {
  'openai-chat': {
    corpus: 'openai-chat',
    json: (clients, signal) =>
      clients.openai.chat.completions.create({ model: 'gpt-fuzz', messages: MESSAGES }, { signal }),
    stream: (clients, signal) =>
      clients.openai.chat.completions.create(
        {
          model: 'gpt-fuzz',
          messages: MESSAGES,
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal },
      ),
    helper: async (clients, signal, events) => {
      const stream = clients.openai.chat.completions.stream(
        { model: 'gpt-fuzz', messages: MESSAGES },
        { signal },
      );
      await drain(stream, events, Number.POSITIVE_INFINITY);
      events.push(snapshot(await stream.finalChatCompletion()));
    },
  },
  'openai-responses': {
    corpus: 'openai-responses',
    stream: (clients, signal) =>
      clients.openai.responses.create(
        { model: 'gpt-fuzz', input: 'Tell me about tides.', stream: true },
        { signal },
      ),
    helper: async (clients, signal, events) => {
      const stream = clients.openai.responses.stream(
        { model: 'gpt-fuzz', input: 'Tell me about tides.' },
        { signal },
      );
      await drain(stream, events, Number.POSITIVE_INFINITY);
      events.push(snapshot(await stream.finalResponse()));
    },
  },
  'anthropic-messages': {
    corpus: 'anthropic-messages',
    stream: (clients, signal) =>
      clients.anthropic.messages.create(
        { model: 'claude-fuzz', max_tokens: 64, messages: MESSAGES, stream: true },
        { signal },
      ),
    helper: async (clients, signal, events) => {
      const stream = clients.anthropic.messages.stream(
        { model: 'claude-fuzz', max_tokens: 64, messages: MESSAGES },
        { signal },
      );
      await drain(stream, events, Number.POSITIVE_INFINITY);
      events.push(snapshot(await stream.finalMessage()));
    },
  },
};

export async function create(target) {
  const consumer = CONSUMERS[target];
  if (!consumer) throw new Error(`unknown SDK target ${target}`);
  const seeds = corpus(consumer.corpus);
  const server = await startReplyServer();
  const otel = instrument(server.url);
  const clients = {
    openai: new openaiModule.OpenAI({
      baseURL: `${server.url}/v1`,
      apiKey: 'sk-fuzz-not-a-key',
      maxRetries: 0,
      timeout: RUN_TIMEOUT_MS,
      logLevel: 'off',
    }),
    anthropic: new anthropicModule.Anthropic({
      baseURL: server.url,
      apiKey: 'sk-ant-fuzz-not-a-key',
      maxRetries: 0,
      timeout: RUN_TIMEOUT_MS,
      logLevel: 'off',
    }),
  };

  return {
    prepare(rng) {
      const seed = rng.pick(seeds);
      const log = [`seed ${seed.name}`];
      const isJson = seed.name.endsWith('.body');
      const body = isJson ? mutateBody(rng, seed.text, log) : mutateStream(rng, seed.text, log);
      const status = rng.chance(0.05) ? rng.pick(ERROR_STATUSES) : 200;
      if (status !== 200) log.push(`HTTP ${status}`);
      const contentType = isJson
        ? 'application/json'
        : rng.weighted([
            ['text/event-stream; charset=utf-8', 90],
            ['text/event-stream', 5],
            ['application/json', 3],
            ['text/plain', 2],
          ]);
      server.setReply({ status, contentType, chunks: chunked(rng, body) });
      const mode = isJson
        ? 'json'
        : rng.weighted([
            ['iterate', 50],
            ['break', 20],
            ['helper', consumer.helper ? 30 : 0],
          ]);
      const limit = mode === 'break' ? rng.between(1, 6) : Number.POSITIVE_INFINITY;
      log.push(mode === 'break' ? `break after ${limit}` : mode);
      const capture = rng.chance(0.25);
      if (capture) log.push('content capture on');
      otel.setCapture(capture);

      const consume = async (events, signal) => {
        if (mode === 'json') {
          events.push(snapshot(await consumer.json(clients, signal)));
        } else if (mode === 'helper') {
          await consumer.helper(clients, signal, events);
        } else {
          await drain(await consumer.stream(clients, signal), events, limit);
        }
      };
      return { log, execute: () => compareRuns(otel, consume, RUN_TIMEOUT_MS) };
    },
    async close() {
      await otel.close();
      await server.close();
    },
  };
}
