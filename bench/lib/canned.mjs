// In-process `fetch` implementations for the SDKs' `fetch` option: canned OpenAI chat
// completions (JSON, or SSE with N chunks), Anthropic messages and Gemini `generateContent`
// answers, so the provider's network and latency are out of the measurement. The bodies are
// encoded once; each call only builds the `Response` around them.

const encoder = new TextEncoder();
const JSON_HEADERS = { 'content-type': 'application/json', 'x-request-id': 'req_bench' };
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'x-request-id': 'req_bench' };

export const MODEL = 'gpt-4o-mini';
export const ANTHROPIC_MODEL = 'claude-opus-4-5';
export const GEMINI_MODEL = 'gemini-2.5-flash';

const chatCompletion = encoder.encode(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: MODEL,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'The capital of France is Paris.', refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 14, completion_tokens: 8, total_tokens: 22 },
  }),
);

/** SSE body of a chat completion stream with exactly `n` chunks, then `[DONE]`. */
function chatStream(n) {
  let text = '';
  for (let i = 0; i < n; i++) {
    const chunk = {
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: MODEL,
      choices: [
        {
          index: 0,
          delta: i === 0 ? { role: 'assistant', content: 'tok ' } : { content: 'tok ' },
          logprobs: null,
          finish_reason: i === n - 1 ? 'stop' : null,
        },
      ],
    };
    text += `data: ${JSON.stringify(chunk)}\n\n`;
  }
  text += 'data: [DONE]\n\n';
  return encoder.encode(text);
}

const anthropicMessage = encoder.encode(
  JSON.stringify({
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model: ANTHROPIC_MODEL,
    content: [{ type: 'text', text: 'The capital of France is Paris.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 14, output_tokens: 8 },
  }),
);

// The shape the sandbox's Gemini API route answers with (and the Gemini API itself).
const geminiResponse = encoder.encode(
  JSON.stringify({
    candidates: [
      {
        content: { parts: [{ text: 'The capital of France is Paris.' }], role: 'model' },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: 7,
      candidatesTokenCount: 8,
      totalTokenCount: 15,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 7 }],
    },
    modelVersion: GEMINI_MODEL,
    responseId: 'resp-bench',
  }),
);

/**
 * A `fetch` for the openai SDK. JSON for plain calls; for `stream: true` calls, an SSE stream of
 * `chunks` chunks. It reads the request body only to see `stream`, so it costs the same in every
 * scenario.
 */
export function openaiFetch({ chunks = 1 } = {}) {
  const stream = chatStream(chunks);
  return async function fetch(_url, init) {
    const streaming = typeof init?.body === 'string' && init.body.includes('"stream":true');
    return new Response(streaming ? stream : chatCompletion, {
      status: 200,
      headers: streaming ? SSE_HEADERS : JSON_HEADERS,
    });
  };
}

/** A `fetch` for the anthropic SDK: one canned message. */
export function anthropicFetch() {
  return async function fetch() {
    return new Response(anthropicMessage, { status: 200, headers: JSON_HEADERS });
  };
}

/**
 * A `fetch` for @google/genai: one canned `generateContent` answer. 3.x takes it as
 * `httpOptions.fetch`; 1.x has no such option and calls the global `fetch`, which a suite then
 * replaces with this one for its in-process section.
 */
export function geminiFetch() {
  return async function fetch() {
    return new Response(geminiResponse, { status: 200, headers: JSON_HEADERS });
  };
}
