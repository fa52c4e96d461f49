/**
 * The adapters part: one file per provider protocol (an HTTP endpoint's request and response
 * format), saying how to read a request (input text, model, parameters) and a response or stream
 * (usage, finish reasons, output). Adapters only read: they never mutate what they are given,
 * never throw on a JSON value of an unexpected shape, and know nothing of spans' lifecycles,
 * pre-checks or SDK objects. The decision pipeline (`src/pipeline/`) does the rest.
 *
 * To add a provider protocol: write `<provider>-<protocol>.ts` exporting one `CallAdapter`, and
 * route the endpoint to it where its client family is patched (`src/instrumentation/`).
 */
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv/index.js';
import type { CallInput, ResponseRecord } from './messages.js';

export interface CallAdapter {
  /** `gen_ai.provider.name`: `openai`, `anthropic`, … */
  readonly provider: string;
  /**
   * `gen_ai.operation.name`: a conventions value (`chat`, `embeddings`, `text_completion`,
   * `generate_content`) where one fits, else our own (`count_tokens`, `batch`), named in the
   * README's span tree.
   */
  readonly operation: string;
  /**
   * For a request that carries several independent prompts (a batch, a list of prompts): each
   * one's input, checked one by one (a deny of any stops the whole request). Absent: `input`
   * is the one prompt.
   */
  items?(body: any): CallInput[];
  /** False for requests that produce no model output to audit (token counting). @default true */
  readonly audited?: boolean;
  /**
   * The request as messages: every part the provider will see (see `messages.ts`). Governed, it
   * reads the body snapshot taken at the gate (plain JSON data, exactly what is sent); with
   * governance off, for content capture only, the same body. Must not throw on any JSON value; a
   * throw is our bug and lets the call through unchecked (said on stderr).
   */
  input(body: any): CallInput;
  /**
   * The tools the request offers the model, as `gen_ai.tool.definitions` lists them
   * (`{ type, name, description, parameters }`); recorded only with content capture on.
   */
  toolDefinitions?(body: any): unknown[];
  /** Request attributes of the inference span (model, parameters, stream). */
  requestAttributes(body: any): Attributes;
  /** Reads a complete (non-streamed) response. */
  onResult(record: ResponseRecord, data: any): void;
  /** Reads one streamed chunk or event. Must be cheap: it runs for every chunk. */
  onChunk(record: ResponseRecord, chunk: any): void;
}

const byProvider = new Map<string, WeakMap<CallAdapter, CallAdapter>>();

/**
 * `adapter` for another provider that serves the same protocol (Azure for OpenAI, Bedrock and
 * Vertex AI for Anthropic, Vertex AI for Gemini): `gen_ai.provider.name` is theirs. One object
 * per pair, so a hot path allocates nothing.
 */
export function withProvider(adapter: CallAdapter, provider: string | undefined): CallAdapter {
  if (provider === undefined || provider === adapter.provider) return adapter;
  let adapters = byProvider.get(provider);
  if (adapters === undefined) {
    adapters = new WeakMap();
    byProvider.set(provider, adapters);
  }
  let found = adapters.get(adapter);
  if (found === undefined) {
    found = { ...adapter, provider };
    adapters.set(adapter, found);
  }
  return found;
}

/**
 * `adapter` for the streaming method of a client whose stream is a method of its own, not a
 * request field (Mistral `chat.stream`, Cohere `chatStream`, Bedrock's streaming commands): the
 * same reading, with `gen_ai.request.stream`.
 */
export function streamed(adapter: CallAdapter): CallAdapter {
  return {
    ...adapter,
    requestAttributes(body) {
      const attrs = adapter.requestAttributes(body);
      attrs[sc.ATTR_GEN_AI_REQUEST_STREAM] = true;
      return attrs;
    },
  };
}
