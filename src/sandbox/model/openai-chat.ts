/**
 * `POST /v1/chat/completions`, OpenAI Chat Completions: a JSON `chat.completion`, or with
 * `stream: true` a `chat.completion.chunk` SSE stream (role chunk, content or tool-call deltas,
 * a finish chunk, a usage chunk when `stream_options.include_usage`, then `data: [DONE]`).
 * Every reply has `system_fingerprint: "fp_sandbox"`; a request naming a `service_tier` gets it
 * back (`auto` as `default`), and one with a `reasoning_effort` gets
 * `completion_tokens_details.reasoning_tokens` (see `reasoningTokens`).
 * The Mistral SDK shares the route (`isMistralClient`); its streams get the `usage` on the finish
 * chunk, as Mistral's API always sends it, instead of OpenAI's opt-in usage chunk.
 */
import { HttpError, isRecord } from '../http/io.js';
import { jsonFrame } from '../http/sse.js';
import {
  isMistralClient,
  type ModelCall,
  modelStream,
  nowSeconds,
  optionalArray,
  optionalBoolean,
  optionalNumber,
  reasoningTokens,
  requireArray,
  requireString,
  sendModelJson,
  servedTier,
  shortId,
  textOf,
} from './common.js';
import {
  type ChatTurn,
  type Generation,
  generate,
  type ToolChoice,
  type ToolSpec,
} from './engine.js';
import { tokenPieces } from './tokenizer.js';

export async function chatCompletions(call: ModelCall): Promise<void> {
  const { body } = call;
  const model = requireString(body, 'model');
  const turns = parseMessages(requireArray(body, 'messages'));
  const tools = parseTools(optionalArray(body, 'tools'));
  const toolChoice = parseToolChoice(body.tool_choice);
  const maxTokens =
    optionalNumber(body, 'max_completion_tokens') ?? optionalNumber(body, 'max_tokens');
  const stream = optionalBoolean(body, 'stream');
  const reasoning = reasoningTokens(body.reasoning_effort, 'reasoning_effort');
  const tier = servedTier(body);
  const gen = generate({
    turns,
    tools,
    toolChoice,
    ...(maxTokens === undefined ? {} : { maxTokens }),
  });

  const id = `chatcmpl-sbx${shortId()}`;
  const created = nowSeconds();
  const finishReason = FINISH[gen.finish];
  const outputTokens = gen.outputTokens + (reasoning ?? 0);
  const usage = {
    prompt_tokens: gen.inputTokens,
    completion_tokens: outputTokens,
    total_tokens: gen.inputTokens + outputTokens,
    ...(reasoning === undefined
      ? {}
      : { completion_tokens_details: { reasoning_tokens: reasoning } }),
  };
  const served = tier === undefined ? {} : { service_tier: tier };
  const toolCallId = `call_sbx${shortId()}`;

  if (!stream) {
    sendModelJson(call, {
      id,
      object: 'chat.completion',
      created,
      model,
      ...served,
      system_fingerprint: 'fp_sandbox',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: gen.toolCall ? null : gen.text,
            refusal: null,
            ...(gen.toolCall
              ? {
                  tool_calls: [
                    {
                      id: toolCallId,
                      type: 'function',
                      function: { name: gen.toolCall.name, arguments: gen.toolCall.argumentsJson },
                    },
                  ],
                }
              : {}),
          },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
    });
    return;
  }

  const mistral = isMistralClient(call.ctx);
  const includeUsage =
    !mistral && isRecord(body.stream_options) && body.stream_options.include_usage === true;
  const out = modelStream(call);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    jsonFrame({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      ...served,
      system_fingerprint: 'fp_sandbox',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
      ...(mistral && finish !== null ? { usage } : {}),
    });
  const frames = [chunk({ role: 'assistant', content: gen.toolCall ? null : '', refusal: null })];
  frames.push(...streamBody(gen, toolCallId).map(delta => chunk(delta)));
  frames.push(chunk({}, finishReason));
  if (includeUsage) {
    frames.push(
      jsonFrame({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        ...served,
        system_fingerprint: 'fp_sandbox',
        choices: [],
        usage,
      }),
    );
  }
  frames.push({ data: '[DONE]' });
  if (await out.sendAll(frames)) out.end();
}

const FINISH: Record<Generation['finish'], string> = {
  stop: 'stop',
  length: 'length',
  tool_call: 'tool_calls',
};

function streamBody(gen: Generation, toolCallId: string): Record<string, unknown>[] {
  if (!gen.toolCall) return gen.pieces.map(content => ({ content }));
  const { name, argumentsJson } = gen.toolCall;
  // Arguments arrive in fragments, as from the real API, so clients must accumulate them.
  const fragments = tokenPieces(argumentsJson);
  return [
    {
      tool_calls: [
        { index: 0, id: toolCallId, type: 'function', function: { name, arguments: '' } },
      ],
    },
    ...fragments.map(fragment => ({
      tool_calls: [{ index: 0, function: { arguments: fragment } }],
    })),
  ];
}

function parseMessages(messages: unknown[]): ChatTurn[] {
  const toolNames = new Map<string, string>();
  return messages.map((message, i) => {
    if (!isRecord(message) || typeof message.role !== 'string') {
      throw new HttpError(400, `'messages.${i}' must be an object with a 'role'`);
    }
    const role = message.role;
    if (role === 'assistant' && Array.isArray(message.tool_calls)) {
      for (const tc of message.tool_calls) {
        if (isRecord(tc) && typeof tc.id === 'string' && isRecord(tc.function)) {
          toolNames.set(tc.id, String(tc.function.name ?? ''));
        }
      }
    }
    if (role === 'tool') {
      const callId = typeof message.tool_call_id === 'string' ? message.tool_call_id : '';
      const toolName = toolNames.get(callId);
      return { role: 'tool', text: textOf(message.content), ...(toolName ? { toolName } : {}) };
    }
    const mapped: ChatTurn['role'] =
      role === 'system' || role === 'developer'
        ? 'system'
        : role === 'assistant'
          ? 'assistant'
          : 'user';
    return { role: mapped, text: textOf(message.content) };
  });
}

function parseTools(tools: unknown[]): ToolSpec[] {
  const specs: ToolSpec[] = [];
  for (const tool of tools) {
    if (!isRecord(tool) || !isRecord(tool.function) || typeof tool.function.name !== 'string') {
      throw new HttpError(400, "Each tool must be {type: 'function', function: {name, …}}");
    }
    specs.push({
      name: tool.function.name,
      ...(typeof tool.function.description === 'string'
        ? { description: tool.function.description }
        : {}),
      schema: tool.function.parameters,
    });
  }
  return specs;
}

function parseToolChoice(choice: unknown): ToolChoice {
  if (choice === 'none') return { kind: 'none' };
  if (choice === 'required') return { kind: 'required' };
  if (isRecord(choice) && isRecord(choice.function) && typeof choice.function.name === 'string') {
    return { kind: 'tool', name: choice.function.name };
  }
  return { kind: 'auto' };
}
