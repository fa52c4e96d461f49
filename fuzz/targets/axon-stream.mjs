// AXON targets: mutated AXON dialect streams (anthropic, openai) fed to `decodeAxonStream` in
// random chunkings, from an async generator, a web ReadableStream or a Node stream, read to the
// end or stopped early (break, abort(), an abort signal). The decoder must yield events and end,
// or throw a StreamProtocolError: never hang, never throw anything else, and never leave
// `metadata` pending once iteration is over.
import { Readable } from 'node:stream';
// The decoder is internal (proxyLLMCallStream is its public face); the fuzzer reads the build.
import { decodeAxonStream } from '../../dist/esm/client/axon-stream.js';
import { StreamProtocolError } from '../../dist/esm/client/errors.js';
import { corpus, describeError, tick, within } from '../lib/harness.mjs';
import { chunked, mutateStream } from '../lib/mutate.mjs';

const EVENT_TYPES = new Set([
  'message_start',
  'text_start',
  'text_delta',
  'text_stop',
  'tool_use_start',
  'tool_use_delta',
  'tool_use_stop',
  'message_delta',
  'metadata',
  'message_stop',
]);
const ITERATION_TIMEOUT_MS = 5000;

function source(kind, chunks, rng) {
  const paced = rng.chance(0.3);
  switch (kind) {
    case 'web': {
      let i = 0;
      return new ReadableStream({
        async pull(controller) {
          if (paced) await tick();
          if (i < chunks.length) controller.enqueue(new Uint8Array(chunks[i++]));
          else controller.close();
        },
      });
    }
    case 'node':
      return Readable.from(chunks);
    default:
      return (async function* generate() {
        for (const chunk of chunks) {
          if (paced) await tick();
          yield chunk;
        }
      })();
  }
}

function isAbortError(err) {
  return err?.name === 'AbortError';
}

export async function create(target) {
  const dialect = target === 'axon-openai' ? 'openai' : 'anthropic';
  const seeds = corpus(target);
  return {
    prepare(rng) {
      const seed = rng.pick(seeds);
      const log = [`seed ${seed.name}`];
      const bytes = mutateStream(rng, seed.text, log);
      const chunks = chunked(rng, bytes);
      const kind = rng.pick(['generator', 'web', 'node']);
      const consumer = rng.weighted([
        ['all', 70],
        ['break', 12],
        ['abort', 10],
        ['signal', 8],
      ]);
      const stopAfter = rng.between(0, 8);
      const maxEventSize = rng.chance(0.1) ? rng.pick([64, 1024]) : undefined;
      log.push(`${kind} source, ${chunks.length} chunk(s), consumer ${consumer}`);
      if (consumer !== 'all') log[log.length - 1] += ` after ${stopAfter} event(s)`;
      if (maxEventSize !== undefined) log.push(`maxEventSize ${maxEventSize}`);

      return {
        log,
        execute: () => decode(dialect, chunks, rng, kind, consumer, stopAfter, maxEventSize),
      };
    },
    async close() {},
  };
}

async function decode(dialect, chunks, rng, kind, consumer, stopAfter, maxEventSize) {
  const controller = new AbortController();
  const stream = decodeAxonStream(source(kind, chunks, rng), {
    dialect,
    ...(consumer === 'signal' ? { signal: controller.signal } : {}),
    ...(maxEventSize === undefined ? {} : { maxEventSize }),
  });
  const meta = { state: 'pending', value: undefined, error: undefined };
  stream.metadata.then(
    value => {
      meta.state = 'resolved';
      meta.value = value;
    },
    error => {
      meta.state = 'rejected';
      meta.error = error;
    },
  );
  const events = [];
  let thrown;
  let stopped = false;
  const iterate = async () => {
    try {
      for await (const event of stream) {
        events.push(event);
        if (consumer === 'all' || events.length < stopAfter || stopped) continue;
        stopped = true;
        if (consumer === 'break') break;
        if (consumer === 'abort') stream.abort();
        else controller.abort();
      }
    } catch (err) {
      thrown = err;
    }
    return { done: true };
  };
  const outcome = await within(ITERATION_TIMEOUT_MS, iterate(), () => stream.abort());
  await tick();
  await tick();

  const failures = [];
  if (outcome.hung) failures.push(`iteration did not end within ${ITERATION_TIMEOUT_MS} ms`);
  if (thrown !== undefined && !(thrown instanceof StreamProtocolError)) {
    failures.push(`threw ${describeError(thrown)} (expected only StreamProtocolError)`);
  }
  if (thrown !== undefined && stopped && consumer !== 'break') {
    failures.push(`threw after the consumer stopped the stream: ${describeError(thrown)}`);
  }
  if (meta.state === 'pending') failures.push('metadata still pending after iteration ended');
  const metadataEvent = events.find(e => e?.type === 'metadata');
  if (metadataEvent && (meta.state !== 'resolved' || meta.value !== metadataEvent.metadata)) {
    failures.push(`a metadata event was yielded but metadata is ${meta.state}`);
  }
  if (
    meta.state === 'rejected' &&
    !(meta.error instanceof StreamProtocolError) &&
    !isAbortError(meta.error)
  ) {
    failures.push(`metadata rejected with ${describeError(meta.error)}`);
  }
  const unknown = events.find(e => !EVENT_TYPES.has(e?.type));
  if (unknown) failures.push(`yielded an unknown event ${JSON.stringify(unknown).slice(0, 100)}`);
  if (consumer === 'all' && thrown === undefined && events.at(-1)?.type !== 'message_stop') {
    failures.push(`ended cleanly without message_stop (last: ${events.at(-1)?.type})`);
  }
  if (thrown === undefined && !stopped && consumer !== 'all' && events.length < stopAfter) {
    // The stream ended before the consumer meant to stop: same rule as a full read.
    if (events.at(-1)?.type !== 'message_stop') {
      failures.push(`ended cleanly without message_stop (last: ${events.at(-1)?.type})`);
    }
  }
  return failures.length > 0 ? failures.join('; ') : undefined;
}
