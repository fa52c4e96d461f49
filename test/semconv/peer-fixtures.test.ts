/**
 * Conformance against what the real APIs said: the HTTP exchanges that the peers'
 * instrumentations record against api.openai.com and api.anthropic.com
 * (opentelemetry-js-contrib `instrumentation-openai`, nock recordings; openllmetry-js
 * `instrumentation-openai` and `instrumentation-anthropic`, Polly.js recordings) are kept, decoded,
 * in `fixtures/peers/` (the README there names each source file and commit). A loopback server
 * replays each recorded response, with its recorded status and content type (SSE event by event),
 * to the real clients (`openai` 7 and 6, `@anthropic-ai/sdk` 1.x and 0.x) pointed at it, called
 * with the recorded request body, under our instrumentation. The replay also checks that the
 * client sent the recorded request.
 *
 * Every GenAI-conventions v1.41.0 attribute of the `chat {model}` / `embeddings {model}` /
 * `text_completion {model}` span that the recording determines is asserted with the recorded value,
 * and the span carries no other `gen_ai.*`, `openai.*`, `server.*` or `error.*` attribute: a value
 * the recording does not have (a null `system_fingerprint`, a missing `cached_tokens`) must not
 * appear. So are the points of `gen_ai.client.operation.duration`, `gen_ai.client.token.usage`
 * (sums = recorded usage), and for streams `gen_ai.client.operation.time_to_first_chunk` and
 * `gen_ai.client.operation.time_per_output_chunk` (one point per recorded chunk after the first).
 * Both governance modes run: on, against the sandbox agent (`startSandbox()`; every recorded
 * prompt is allowed), and off. `@anthropic-ai/sdk`'s own tracing is off here, so that our span is
 * the one that carries `gen_ai.usage.*` (usage.test.ts covers the SDK-span case).
 *
 * These recordings first showed three gaps, now closed and checked here: `openai.api.type`
 * (Recommended on OpenAI inference spans); `openai.response.service_tier` /
 * `openai.response.system_fingerprint` on the OpenAI metric points (Recommended by openai.md for
 * both client metrics); and, with openai 6, a streamed Responses call whose stream was wrapped
 * twice (each chunk read twice, doubling its time_per_output_chunk points).
 *
 * No recording of either peer holds an HTTP error from OpenAI or Anthropic; `error.type` is checked
 * on the one failure the peers test against, a refused connection (opentelemetry-js-contrib's
 * "handles connection errors" case, which records no exchange), on a closed loopback port.
 *
 * What is checked from which fixture (J = opentelemetry-js-contrib/openai-…, T = openllmetry-js/…,
 * names shortened; Req = Required, CR = Conditionally Required, Rec = Recommended):
 *   operation.name, provider.name (Req)      ← all 20; embeddings: J embeddings; text_completion:
 *                                              T openai-completion, T openai-streaming-completion
 *   request.model (CR), server.address/port  ← all (the replay server's address and port)
 *   request.max_tokens, temperature, top_p,
 *     frequency/presence_penalty,
 *     stop_sequences (Rec)                   ← J chat-…-all-the-client-options; max_tokens also T anthropic-*
 *   request.seed (CR), output.type text (CR) ← J chat-…-all-the-client-options; absent where not requested
 *   request.choice.count (CR, n != 1)        ← J chat-…-multiple-choices, J streaming-chat-…-multiple-choices
 *   request.stream (CR)                      ← the 6 streamed fixtures; absent on the 14 others
 *   request.encoding_formats,
 *     embeddings.dimension.count (Rec)       ← J embeddings (["float"], 1536)
 *   response.id (Rec)                        ← all but J embeddings (its body has no id: absent)
 *   response.model (Rec)                     ← all
 *   response.finish_reasons (Rec)            ← stop; [stop, stop]; tool_calls; function_call; length;
 *                                              end_turn; max_tokens; Responses tool_call: J responses-…-
 *                                              function-calls, -custom-tool-calls; stop after a hosted
 *                                              tool: J responses-…-web-search-calls
 *   usage.input/output_tokens (Rec)          ← the 17 fixtures with usage (embeddings: input only);
 *                                              absent on T openai-streaming-*, J streaming-chat-…-multiple-choices
 *   usage.cache_read.input_tokens (Rec)      ← 0 (J chat, T openai-responses), 13 (T openai-responses-cached-
 *                                              tokens); absent where not recorded (J responses-…, T openai-completion)
 *   usage.cache_creation.input_tokens (Rec)  ← 0, T anthropic-* (Anthropic input = input + cache read + creation)
 *   usage.reasoning.output_tokens (Rec)      ← 0 (J chat, J/T Responses); absent for T anthropic-beta-messages-
 *                                              thinking (its usage has no thinking count)
 *   openai.response.service_tier (CR)        ← "default": J chat, T openai-function-calling, T openai-responses*,
 *                                              T openai-streaming-tool-calls; absent where not recorded
 *   openai.response.system_fingerprint (Rec) ← fp_34a54ae93c: T openai-streaming-tool-calls; null elsewhere: absent
 *   response.time_to_first_chunk (Rec)       ← the 6 streamed fixtures (with the time_to_first_chunk metric)
 *   error.type (CR)                          ← refused connection (J "handles connection errors")
 *   metric points (Req/CR/Rec attributes)    ← all: duration, token.usage (sums), time_to_first_chunk,
 *                                              time_per_output_chunk (count = chunks − 1)
 *   openai.api.type (Rec)                    ← J chat-…-all-the-client-options, T openai-responses
 *   openai.* on metric points (Rec)          ← T openai-streaming-tool-calls
 *   one time_per_output_chunk per chunk      ← every streamed fixture, openai 6 included
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { type Attributes, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';
import {
  attachMetrics,
  type HistogramPoint,
  type Metrics,
  SDK_LINES,
  type SdkLine,
} from './setup.js';

const DURATION = 'gen_ai.client.operation.duration';
const TOKENS = 'gen_ai.client.token.usage';
const FIRST_CHUNK = 'gen_ai.client.operation.time_to_first_chunk';
const PER_CHUNK = 'gen_ai.client.operation.time_per_output_chunk';
const TTFC = 'gen_ai.response.time_to_first_chunk';

/** A fixture file: one recorded exchange (see fixtures/peers/README.md). */
interface Fixture {
  source: { repository: string; path: string; commit: string; entry: number };
  request: { method: string; path: string; body: Record<string, unknown> };
  /** `body` is the parsed JSON of a JSON response, or the SSE text of a stream as recorded. */
  response: { status: number; contentType: string; body: unknown };
}

function fixture(name: string): Fixture {
  const url = new URL(`./fixtures/peers/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture;
}

/** The SSE events of a recorded stream, each without its blank-line terminator. */
function sseEvents(text: string): string[] {
  return text.split(/\r?\n\r?\n/).filter(event => event.trim() !== '');
}

/** The events a client yields: data events, less `[DONE]` and Anthropic's `ping`. */
function yieldedEvents(text: string): number {
  return sseEvents(text).filter(
    event => !/^data: \[DONE\]/m.test(event) && !/^event: ping$/m.test(event),
  ).length;
}

/** True when every field of `expected` is in `actual` with the same value (recursively). */
function contains(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object' || Array.isArray(expected)) {
    return isDeepStrictEqual(actual, expected);
  }
  if (actual === null || typeof actual !== 'object') return false;
  return Object.entries(expected).every(([key, value]) =>
    contains((actual as Record<string, unknown>)[key], value),
  );
}

/**
 * Loopback replay of recorded exchanges, in the order queued. What a client sends that differs
 * from the recorded request is collected in `problems` (the recorded response is still served,
 * so the call ends and the test reports the difference instead of a hang).
 */
class Replay {
  readonly problems: string[] = [];
  #queue: Fixture[] = [];
  readonly #server: Server;

  private constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(err => {
        this.problems.push(`replay failed: ${String(err)}`);
        res.destroy();
      });
    });
  }

  static async start(): Promise<Replay> {
    const replay = new Replay();
    await new Promise<void>(resolve => replay.#server.listen(0, '127.0.0.1', resolve));
    return replay;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get pending(): number {
    return this.#queue.length;
  }

  serve(...fixtures: Fixture[]): void {
    this.#queue.push(...fixtures);
  }

  reset(): void {
    this.#queue = [];
    this.problems.length = 0;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise(resolve => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const next = this.#queue.shift();
    if (next === undefined) {
      this.problems.push(`unexpected request ${req.method} ${req.url}`);
      res.writeHead(500).end();
      return;
    }
    const { request, response } = next;
    // The path without its query: the 0.x Anthropic SDK (which recorded the beta call) sends
    // `/v1/messages?beta=true`, the 1.x one `/v1/messages` with an `anthropic-beta` header.
    const path = new URL(req.url ?? '/', 'http://replay').pathname;
    if (req.method !== request.method || path !== new URL(request.path, 'http://r').pathname) {
      this.problems.push(`sent ${req.method} ${path}, recorded ${request.method} ${request.path}`);
    }
    const sent = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
    if (!contains(sent, request.body)) {
      this.problems.push(
        `sent ${JSON.stringify(sent)}, recorded ${JSON.stringify(request.body)} (${next.source.path})`,
      );
    }
    res.writeHead(response.status, { 'content-type': response.contentType });
    if (typeof response.body !== 'string') {
      res.end(JSON.stringify(response.body));
      return;
    }
    // A stream goes out event by event, as the API sent it, so that the client sees chunks.
    for (const event of sseEvents(response.body)) {
      res.write(`${event}\n\n`);
      await new Promise(resolve => setImmediate(resolve));
    }
    res.end();
  }
}

type Family = 'openai' | 'anthropic';

interface Case {
  /** What the recording shows, as the test's name. */
  name: string;
  /** The fixture file, under fixtures/peers/. */
  file: string;
  family: Family;
  /** The SDK method the recorded request went through. */
  call: (client: any, body: Record<string, unknown>) => Promise<unknown>;
  span: string;
  /**
   * Every `gen_ai.*` and `openai.*` attribute the span must carry, with the recorded values
   * (`server.*` and, for streams, the time to first chunk are added by the test).
   */
  attributes: Attributes;
}

const chat = (c: any, body: Record<string, unknown>) => c.chat.completions.create(body);
const responses = (c: any, body: Record<string, unknown>) => c.responses.create(body);
const embeddings = (c: any, body: Record<string, unknown>) => c.embeddings.create(body);
const completions = (c: any, body: Record<string, unknown>) => c.completions.create(body);
const messages = (c: any, body: Record<string, unknown>) => c.messages.create(body);
const betaMessages = (c: any, body: Record<string, unknown>) => c.beta.messages.create(body);

const OPENAI_CHAT = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' };
const ANTHROPIC_CHAT = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'anthropic' };
const JSC = 'opentelemetry-js-contrib/';
const TL = 'openllmetry-js/';

const CASES: Case[] = [
  {
    name: 'chat: every request parameter, json output type text, usage with zero cached and reasoning tokens, service tier default, null fingerprint left out',
    file: `${JSC}openai-chat-completions-records-all-the-client-options`,
    family: 'openai',
    call: chat,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.frequency_penalty': 0,
      'gen_ai.request.max_tokens': 100,
      'gen_ai.request.presence_penalty': 0,
      'gen_ai.request.temperature': 1,
      'gen_ai.request.top_p': 1,
      'gen_ai.request.stop_sequences': ['foo'],
      'gen_ai.request.seed': 100,
      'gen_ai.output.type': 'text',
      'gen_ai.response.id': 'chatcmpl-BuBHDcCmHq9bBC02V7hVNxoUXiTpY',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 22,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'openai.response.service_tier': 'default',
    },
  },
  {
    name: 'chat with n=2: choice count 2 and one finish reason per choice',
    file: `${JSC}openai-chat-completions-records-multiple-choices`,
    family: 'openai',
    call: chat,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.choice.count': 2,
      'gen_ai.response.id': 'chatcmpl-BuBWCXM60KsHvr7qJbN0qJTHUTm98',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop', 'stop'],
      'gen_ai.usage.input_tokens': 22,
      'gen_ai.usage.output_tokens': 6,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'openai.response.service_tier': 'default',
    },
  },
  {
    name: 'chat that calls two tools: finish reason tool_calls as the API says it',
    file: `${JSC}openai-chat-completions-records-tool-calls`,
    family: 'openai',
    call: chat,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.id': 'chatcmpl-BuC0QNgPhzfHw7tSwGnvSOIL636JK',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'gen_ai.usage.input_tokens': 57,
      'gen_ai.usage.output_tokens': 46,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'openai.response.service_tier': 'default',
    },
  },
  {
    name: 'chat with legacy functions: finish reason function_call',
    file: `${TL}openai-function-calling`,
    family: 'openai',
    call: chat,
    span: 'chat gpt-4',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4',
      'gen_ai.response.id': 'chatcmpl-C4TVLZK1TXKDi9mLo1qeYSndEJPl0',
      'gen_ai.response.model': 'gpt-4-0613',
      'gen_ai.response.finish_reasons': ['function_call'],
      'gen_ai.usage.input_tokens': 82,
      'gen_ai.usage.output_tokens': 16,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'openai.response.service_tier': 'default',
    },
  },
  {
    name: 'streamed chat with include_usage: usage from the last chunk (no choices), tier from the chunks',
    file: `${JSC}openai-streaming-chat-completions-records-usage`,
    family: 'openai',
    call: chat,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'chatcmpl-BuDrRRWybY6JHzabaUyR2OtaEGp79',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 22,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'openai.response.service_tier': 'default',
    },
  },
  {
    name: 'streamed chat with n=2: interleaved choices end with one finish reason each; no usage, so none reported',
    file: `${JSC}openai-streaming-chat-completions-records-multiple-choices`,
    family: 'openai',
    call: chat,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.choice.count': 2,
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'chatcmpl-BuDPruvXvy1cTouU79MhRWdmZWMqk',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop', 'stop'],
      'openai.response.service_tier': 'default',
    },
  },
  {
    name: 'streamed chat calling two tools: the system fingerprint and tier from the chunks, finish reason tool_calls',
    file: `${TL}openai-streaming-tool-calls`,
    family: 'openai',
    call: chat,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'chatcmpl-C4TWPQMkkmZCU9sl9aFxRq4A2Uy7R',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['tool_calls'],
      'openai.response.service_tier': 'default',
      'openai.response.system_fingerprint': 'fp_34a54ae93c',
    },
  },
  {
    name: 'responses: stop, usage with zero cached and reasoning tokens, service tier default',
    file: `${TL}openai-responses`,
    family: 'openai',
    call: responses,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.id': 'resp_098a86033e882e31006a1818d103048192889c7541e8827731',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 14,
      'gen_ai.usage.output_tokens': 26,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'openai.response.service_tier': 'default',
    },
  },
  {
    name: 'responses with cached input: cache read tokens 13, included in the 14 input tokens',
    file: `${TL}openai-responses-cached-tokens`,
    family: 'openai',
    call: responses,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.id': 'resp_098a86033e882e31006a1818d103048192889c7541e8827731',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 14,
      'gen_ai.usage.output_tokens': 26,
      'gen_ai.usage.cache_read.input_tokens': 13,
      'gen_ai.usage.reasoning.output_tokens': 0,
      'openai.response.service_tier': 'default',
    },
  },
  {
    name: 'responses ending with three function calls: finish reason tool_call; no cached count recorded, none reported',
    file: `${JSC}openai-responses-records-function-calls`,
    family: 'openai',
    call: responses,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.id': 'resp_67ca09c5efe0819096d0511c92b8c890096610f474011cc0',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['tool_call'],
      'gen_ai.usage.input_tokens': 291,
      'gen_ai.usage.output_tokens': 23,
      'gen_ai.usage.reasoning.output_tokens': 0,
    },
  },
  {
    name: 'responses ending with a custom tool call after reasoning: finish reason tool_call, the served model',
    file: `${JSC}openai-responses-records-custom-tool-calls`,
    family: 'openai',
    call: responses,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.id': 'resp_67ca09c5efe0819096d0511c92b8c890096610f474011cc0',
      'gen_ai.response.model': 'gpt-4.1-2025-04-14',
      'gen_ai.response.finish_reasons': ['tool_call'],
      'gen_ai.usage.input_tokens': 291,
      'gen_ai.usage.output_tokens': 23,
      'gen_ai.usage.reasoning.output_tokens': 0,
    },
  },
  {
    name: 'responses with a web search the provider ran, then a message: finish reason stop',
    file: `${JSC}openai-responses-records-web-search-calls`,
    family: 'openai',
    call: responses,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.id': 'resp_67ca09c5efe0819096d0511c92b8c890096610f474011cc0',
      'gen_ai.response.model': 'gpt-4.1-2025-04-14',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 291,
      'gen_ai.usage.output_tokens': 23,
      'gen_ai.usage.reasoning.output_tokens': 0,
    },
  },
  {
    name: 'streamed responses: id and model from response.created, usage and stop from response.completed',
    file: `${JSC}openai-streaming-responses-adds-genai-conventions`,
    family: 'openai',
    call: responses,
    span: 'chat gpt-4o-mini',
    attributes: {
      ...OPENAI_CHAT,
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'resp_stream_adds',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 22,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
    },
  },
  {
    name: 'embeddings of four inputs: encoding format float, 1536 dimensions, 8 input tokens, no response id in the body',
    file: `${JSC}openai-embeddings-adds-genai-conventions`,
    family: 'openai',
    call: embeddings,
    span: 'embeddings text-embedding-3-small',
    attributes: {
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'text-embedding-3-small',
      'gen_ai.request.encoding_formats': ['float'],
      'gen_ai.embeddings.dimension.count': 1536,
      'gen_ai.response.model': 'text-embedding-3-small',
      'gen_ai.usage.input_tokens': 8,
    },
  },
  {
    name: 'legacy completion: text_completion, finish reason length, usage',
    file: `${TL}openai-completion`,
    family: 'openai',
    call: completions,
    span: 'text_completion gpt-3.5-turbo-instruct',
    attributes: {
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-3.5-turbo-instruct',
      'gen_ai.response.id': 'cmpl-C4TUdz5A9PC4HFBghP7WsItfF7Jul',
      'gen_ai.response.model': 'gpt-3.5-turbo-instruct:20230824-v2',
      'gen_ai.response.finish_reasons': ['length'],
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.usage.output_tokens': 16,
    },
  },
  {
    name: 'streamed legacy completion: finish reason length from the last chunk; no usage, so none reported',
    file: `${TL}openai-streaming-completion`,
    family: 'openai',
    call: completions,
    span: 'text_completion gpt-3.5-turbo-instruct',
    attributes: {
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-3.5-turbo-instruct',
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'cmpl-C4TUr3FdDk0l4IQ2QNd7DUUJpaYX2',
      'gen_ai.response.model': 'gpt-3.5-turbo-instruct:20230824-v2',
      'gen_ai.response.finish_reasons': ['length'],
    },
  },
  {
    name: 'anthropic messages: end_turn, input tokens with zero cache read and creation added, max_tokens',
    file: `${TL}anthropic-messages`,
    family: 'anthropic',
    call: messages,
    span: 'chat claude-3-opus-20240229',
    attributes: {
      ...ANTHROPIC_CHAT,
      'gen_ai.request.model': 'claude-3-opus-20240229',
      'gen_ai.request.max_tokens': 1024,
      'gen_ai.response.id': 'msg_01ABEG1nJ4BqCbQR4BUANnCB',
      'gen_ai.response.model': 'claude-3-opus-20240229',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 17,
      'gen_ai.usage.output_tokens': 137,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.cache_creation.input_tokens': 0,
    },
  },
  {
    name: 'streamed anthropic messages: input from message_start, cumulative output from message_delta, end_turn',
    file: `${TL}anthropic-messages-streaming`,
    family: 'anthropic',
    call: messages,
    span: 'chat claude-3-opus-20240229',
    attributes: {
      ...ANTHROPIC_CHAT,
      'gen_ai.request.model': 'claude-3-opus-20240229',
      'gen_ai.request.max_tokens': 1024,
      'gen_ai.request.stream': true,
      'gen_ai.response.id': 'msg_0178nRhNdfNKxFcZRFqApVgL',
      'gen_ai.response.model': 'claude-3-opus-20240229',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 17,
      'gen_ai.usage.output_tokens': 158,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.cache_creation.input_tokens': 0,
    },
  },
  {
    name: 'anthropic messages with a system prompt and a prefilled turn: stop reason max_tokens at max_tokens 10',
    file: `${TL}anthropic-messages-system-prompt`,
    family: 'anthropic',
    call: messages,
    span: 'chat claude-3-opus-20240229',
    attributes: {
      ...ANTHROPIC_CHAT,
      'gen_ai.request.model': 'claude-3-opus-20240229',
      'gen_ai.request.max_tokens': 10,
      'gen_ai.response.id': 'msg_01U3xjyNSAcrYd1yog1ADg24',
      'gen_ai.response.model': 'claude-3-opus-20240229',
      'gen_ai.response.finish_reasons': ['max_tokens'],
      'gen_ai.usage.input_tokens': 14,
      'gen_ai.usage.output_tokens': 10,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.cache_creation.input_tokens': 0,
    },
  },
  {
    name: 'anthropic beta messages with extended thinking: usage has no thinking count, so no reasoning tokens are reported',
    file: `${TL}anthropic-beta-messages-thinking`,
    family: 'anthropic',
    call: betaMessages,
    span: 'chat claude-opus-4-1-20250805',
    attributes: {
      ...ANTHROPIC_CHAT,
      'gen_ai.request.model': 'claude-opus-4-1-20250805',
      'gen_ai.request.max_tokens': 2048,
      'gen_ai.response.id': 'msg_018V3xGyrq6nc25GVuWiaKHx',
      'gen_ai.response.model': 'claude-opus-4-1-20250805',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': 49,
      'gen_ai.usage.output_tokens': 186,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.cache_creation.input_tokens': 0,
    },
  },
];

/** The case of a fixture file (its name's end). */
function byFile(name: string): Case {
  const found = CASES.find(c => c.file.endsWith(name));
  if (found === undefined) throw new Error(`no case for ${name}`);
  return found;
}

const MODES = [
  { name: 'governance on (sandbox agent)', governed: true },
  { name: 'governance off', governed: false },
];

/** `openai.api.type` of a case: the API its call goes to (none for embeddings and Anthropic). */
function apiType(c: Case): Attributes {
  if (c.call === chat) return { 'openai.api.type': 'chat_completions' };
  if (c.call === responses) return { 'openai.api.type': 'responses' };
  return {};
}

/** The OpenAI response attributes the metric points carry too, as the recording has them. */
function openaiResponseAttributes(c: Case): Attributes {
  const out: Attributes = {};
  for (const key of ['openai.response.service_tier', 'openai.response.system_fingerprint']) {
    const value = c.attributes[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The attributes the conventions define for the span: GenAI, OpenAI, server and error. */
function conventionAttributes(span: ReadableSpan): Attributes {
  return Object.fromEntries(
    Object.entries(span.attributes).filter(([key]) => /^(gen_ai|openai|server|error)\./.test(key)),
  );
}

function byTokenType(a: HistogramPoint, b: HistogramPoint): number {
  return String(a.attributes['gen_ai.token.type']).localeCompare(
    String(b.attributes['gen_ai.token.type']),
  );
}

/** Reads a result to its end when it is a stream; returns how many items the client yielded. */
async function drain(result: unknown): Promise<number> {
  if (result === null || typeof result !== 'object' || !(Symbol.asyncIterator in result)) return 0;
  let items = 0;
  for await (const _ of result as AsyncIterable<unknown>) items++;
  return items;
}

let sandbox: Sandbox;
let client: AxonFlowClient;
let replay: Replay;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
  replay = await Replay.start();
});

afterAll(async () => {
  await replay.close();
  await client.close();
  await sandbox.close();
});

describe.each(SDK_LINES)('$name', (line: SdkLine) => {
  describe.each(MODES)('$name', mode => {
    let h: Harness;
    let metrics: Metrics;

    beforeAll(() => {
      h = setupHarness(mode.governed ? { client } : { governance: false }, {
        openai: line.openai,
        anthropic: line.anthropic,
      });
    });

    afterAll(async () => {
      await h.close();
    });

    beforeEach(() => {
      h.reset();
      replay.reset();
      metrics = attachMetrics(h.instrumentation);
    });

    afterEach(async () => {
      await metrics.close();
    });

    function openai(baseURL = `${replay.url}/v1`): any {
      const OpenAI = line.openai.default as any;
      return new OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0 });
    }

    /** SDK tracing off, so that our span carries the usage (the usage rule, usage.test.ts). */
    function anthropic(): any {
      const saved = process.env.ANTHROPIC_OPEN_TELEMETRY;
      process.env.ANTHROPIC_OPEN_TELEMETRY = 'false';
      try {
        const Anthropic = line.anthropic.default as any;
        return new Anthropic({ apiKey: 'sk-ant-test', baseURL: replay.url, maxRetries: 0 });
      } finally {
        if (saved === undefined) delete process.env.ANTHROPIC_OPEN_TELEMETRY;
        else process.env.ANTHROPIC_OPEN_TELEMETRY = saved;
      }
    }

    /** Replays the fixture to the recorded request; returns the items a stream yielded. */
    async function replayed(c: Case): Promise<{ recorded: Fixture; items: number }> {
      const recorded = fixture(c.file);
      replay.serve(recorded);
      const sdk = c.family === 'openai' ? openai() : anthropic();
      const items = await drain(await c.call(sdk, structuredClone(recorded.request.body)));
      expect(replay.problems).toEqual([]);
      expect(replay.pending).toBe(0);
      return { recorded, items };
    }

    const server = () => ({
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(replay.url).port),
    });

    it.each(CASES)('$name', async c => {
      const { recorded, items } = await replayed(c);
      const streamed = typeof recorded.response.body === 'string';
      const span = h.span(c.span);
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes['axonflow.decision']).toBe(mode.governed ? 'allow' : 'skipped');
      expect(conventionAttributes(span)).toEqual({
        ...c.attributes,
        ...apiType(c),
        ...server(),
        ...(streamed ? { [TTFC]: expect.any(Number) } : {}),
      });

      // The metric points carry the conventions' metric attributes, with the recorded model.
      const pointAttributes: Attributes = {
        'gen_ai.operation.name': c.attributes['gen_ai.operation.name'],
        'gen_ai.provider.name': c.attributes['gen_ai.provider.name'],
        'gen_ai.request.model': c.attributes['gen_ai.request.model'],
        'gen_ai.response.model': c.attributes['gen_ai.response.model'],
        ...openaiResponseAttributes(c),
        ...server(),
      };
      const duration = await metrics.points(DURATION);
      expect(duration.map(p => [p.attributes, p.count])).toEqual([[pointAttributes, 1]]);
      const input = c.attributes['gen_ai.usage.input_tokens'];
      const output = c.attributes['gen_ai.usage.output_tokens'];
      const expectedTokens: [Attributes, number][] = [];
      if (input !== undefined) {
        expectedTokens.push([{ ...pointAttributes, 'gen_ai.token.type': 'input' }, Number(input)]);
      }
      if (output !== undefined) {
        expectedTokens.push([
          { ...pointAttributes, 'gen_ai.token.type': 'output' },
          Number(output),
        ]);
      }
      const tokens = (await metrics.points(TOKENS)).sort(byTokenType);
      expect(tokens.map(p => [p.attributes, p.sum])).toEqual(expectedTokens);

      const first = await metrics.points(FIRST_CHUNK);
      const perChunk = await metrics.points(PER_CHUNK);
      if (!streamed) {
        expect(first).toEqual([]);
        expect(perChunk).toEqual([]);
        return;
      }
      // Time to first chunk: after the request went out, within the operation's duration (the
      // duration point: measured from the same start, unlike the span's own timestamps); the
      // metric's one point is the span's value.
      const ttfc = span.attributes[TTFC] as number;
      expect(ttfc).toBeGreaterThan(0);
      expect(ttfc).toBeLessThanOrEqual(duration[0]!.sum);
      expect(first.map(p => [p.attributes, p.count])).toEqual([[pointAttributes, 1]]);
      expect(first[0]!.sum).toBeCloseTo(ttfc, 9);
      // Every recorded chunk reached the app (how often each is timed: the test below).
      expect(items).toBe(yieldedEvents(recorded.response.body as string));
      expect(perChunk.map(p => p.attributes)).toEqual([pointAttributes]);
    });

    for (const c of CASES.filter(c => typeof fixture(c.file).response.body === 'string')) {
      // openai 6's `responses.create()` chains `_thenUnwrap`, whose parse calls the parse we
      // already wrap, so the same stream is wrapped twice and each chunk read twice: two
      // time_per_output_chunk points per chunk, and the audit summary gets each text delta twice.
      // The wrapping is `src/instrumentation/stainless/observe.ts`'s, not an adapter's.
      it(`${c.name}: each recorded chunk after the first is one time_per_output_chunk`, async () => {
        const { recorded, items } = await replayed(c);
        expect(items).toBe(yieldedEvents(recorded.response.body as string));
        const perChunk = await metrics.points(PER_CHUNK);
        expect(perChunk.reduce((n, p) => n + p.count, 0)).toBe(items - 1);
      });
    }

    it('a refused connection: error.type APIConnectionError on the span and the duration point, no token usage', async () => {
      // The failure the peers record no exchange for: nothing listens on the port.
      const closed = createServer();
      await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise(resolve => closed.close(resolve));
      const OpenAI = line.openai.default as any;
      const err = await openai(`http://127.0.0.1:${port}/v1`)
        .chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [
            {
              role: 'user',
              content: 'Answer in up to 3 words: Which ocean contains Bouvet Island?',
            },
          ],
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
      const span = h.span('chat gpt-4o-mini');
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      const attributes = {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'server.address': '127.0.0.1',
        'server.port': port,
        'error.type': 'APIConnectionError',
      };
      expect(conventionAttributes(span)).toEqual({
        ...attributes,
        'openai.api.type': 'chat_completions',
      });
      const duration = await metrics.points(DURATION);
      expect(duration.map(p => p.attributes)).toEqual([attributes]);
      expect(await metrics.points(TOKENS)).toEqual([]);
    });

    it('openai.api.type says which OpenAI API served the call: chat_completions, responses', async () => {
      await replayed(byFile('openai-chat-completions-records-all-the-client-options'));
      await replayed(byFile('openllmetry-js/openai-responses'));
      const [viaChat, viaResponses] = h.spans().filter(s => s.name === 'chat gpt-4o-mini');
      expect(viaChat!.attributes['openai.api.type']).toBe('chat_completions');
      expect(viaResponses!.attributes['openai.api.type']).toBe('responses');
    });

    it('the OpenAI metric points carry the recorded service tier and system fingerprint', async () => {
      await replayed(byFile('openai-streaming-tool-calls'));
      for (const name of [DURATION, FIRST_CHUNK]) {
        const [point] = await metrics.points(name);
        expect(point!.attributes).toMatchObject({
          'openai.response.service_tier': 'default',
          'openai.response.system_fingerprint': 'fp_34a54ae93c',
        });
      }
    });
  });
});
