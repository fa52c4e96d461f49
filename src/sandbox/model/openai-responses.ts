/**
 * `POST /v1/responses`, the OpenAI Responses API: a JSON `response` object, or with
 * `stream: true` the typed event sequence the SDK's accumulator validates — `response.created`,
 * `response.in_progress`, per output item `output_item.added` → (`content_part.added` →
 * `output_text.delta`… → `output_text.done` → `content_part.done` | `function_call_arguments.delta`…
 * → `.done`) → `output_item.done`, then `response.completed` with the full response and usage.
 * Every event carries a strictly increasing `sequence_number`. A request naming a `service_tier`
 * gets it back (`auto` as `default`); one with a `reasoning.effort` gets that many
 * `output_tokens_details.reasoning_tokens` (see `reasoningTokens`), 0 otherwise.
 */
import { HttpError, isRecord } from '../http/io.js';
import { jsonFrame, type SseFrame } from '../http/sse.js';
import {
  type ModelCall,
  modelStream,
  nowSeconds,
  optionalArray,
  optionalBoolean,
  optionalNumber,
  reasoningTokens,
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

export async function responses(call: ModelCall): Promise<void> {
  const { body } = call;
  const model = requireString(body, 'model');
  const turns = parseInput(body.input, body.instructions);
  const tools = parseTools(optionalArray(body, 'tools'));
  const toolChoice = parseToolChoice(body.tool_choice);
  const maxTokens = optionalNumber(body, 'max_output_tokens');
  const stream = optionalBoolean(body, 'stream');
  const reasoning =
    reasoningTokens(
      isRecord(body.reasoning) ? body.reasoning.effort : undefined,
      'reasoning.effort',
    ) ?? 0;
  const tier = servedTier(body);
  const gen = generate({
    turns,
    tools,
    toolChoice,
    ...(maxTokens === undefined ? {} : { maxTokens }),
  });

  const base = {
    id: `resp_sbx${shortId()}`,
    object: 'response',
    created_at: nowSeconds(),
    access_programs: null,
    error: null,
    incomplete_details: null,
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    metadata: isRecord(body.metadata) ? body.metadata : {},
    model,
    parallel_tool_calls: body.parallel_tool_calls !== false,
    temperature: typeof body.temperature === 'number' ? body.temperature : 1,
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    top_p: typeof body.top_p === 'number' ? body.top_p : 1,
    max_output_tokens: maxTokens ?? null,
    previous_response_id: null,
    text: { format: { type: 'text' } },
    truncation: 'disabled',
    ...(tier === undefined ? {} : { service_tier: tier }),
  };
  const item = outputItem(gen);
  const truncated = gen.finish === 'length';
  const final = {
    ...base,
    status: truncated ? 'incomplete' : 'completed',
    completed_at: nowSeconds(),
    incomplete_details: truncated ? { reason: 'max_output_tokens' } : null,
    output: [item.done],
    usage: {
      input_tokens: gen.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: gen.outputTokens + reasoning,
      output_tokens_details: { reasoning_tokens: reasoning },
      total_tokens: gen.inputTokens + gen.outputTokens + reasoning,
    },
  };

  if (!stream) {
    sendModelJson(call, final);
    return;
  }

  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>): SseFrame =>
    jsonFrame({ type, sequence_number: sequence++, ...fields }, type);
  const pending = { ...base, status: 'in_progress', output: [] };
  const frames: SseFrame[] = [
    event('response.created', { response: pending }),
    event('response.in_progress', { response: pending }),
    event('response.output_item.added', { output_index: 0, item: item.added }),
    ...item.body.map(([type, fields]) => event(type, { output_index: 0, ...fields })),
    event('response.output_item.done', { output_index: 0, item: item.done }),
    event(truncated ? 'response.incomplete' : 'response.completed', { response: final }),
  ];
  const out = modelStream(call);
  if (await out.sendAll(frames)) out.end();
}

interface ItemEvents {
  added: Record<string, unknown>;
  body: [string, Record<string, unknown>][];
  done: Record<string, unknown>;
}

function outputItem(gen: Generation): ItemEvents {
  if (gen.toolCall) {
    const id = `fc_sbx${shortId()}`;
    const common = {
      id,
      type: 'function_call',
      call_id: `call_sbx${shortId()}`,
      name: gen.toolCall.name,
    };
    const args = gen.toolCall.argumentsJson;
    return {
      added: { ...common, arguments: '', status: 'in_progress' },
      body: [
        ...tokenPieces(args).map((delta): [string, Record<string, unknown>] => [
          'response.function_call_arguments.delta',
          { item_id: id, delta },
        ]),
        ['response.function_call_arguments.done', { item_id: id, arguments: args }],
      ],
      done: { ...common, arguments: args, status: 'completed' },
    };
  }
  const id = `msg_sbx${shortId()}`;
  const part = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });
  const at = { item_id: id, content_index: 0 };
  const status = gen.finish === 'length' ? 'incomplete' : 'completed';
  return {
    added: { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] },
    body: [
      ['response.content_part.added', { ...at, part: part('') }],
      ...gen.pieces.map((delta): [string, Record<string, unknown>] => [
        'response.output_text.delta',
        { ...at, delta, logprobs: [] },
      ]),
      ['response.output_text.done', { ...at, text: gen.text, logprobs: [] }],
      ['response.content_part.done', { ...at, part: part(gen.text) }],
    ],
    done: { id, type: 'message', status, role: 'assistant', content: [part(gen.text)] },
  };
}

function parseInput(input: unknown, instructions: unknown): ChatTurn[] {
  const turns: ChatTurn[] = [];
  if (typeof instructions === 'string' && instructions !== '') {
    turns.push({ role: 'system', text: instructions });
  }
  if (typeof input === 'string') {
    turns.push({ role: 'user', text: input });
    return turns;
  }
  if (!Array.isArray(input) || input.length === 0) {
    throw new HttpError(400, "'input' must be a string or a non-empty array of input items");
  }
  const toolNames = new Map<string, string>();
  for (const [i, item] of input.entries()) {
    if (!isRecord(item)) throw new HttpError(400, `'input.${i}' must be an object`);
    if (item.type === 'function_call') {
      toolNames.set(String(item.call_id ?? ''), String(item.name ?? ''));
      turns.push({ role: 'assistant', text: String(item.arguments ?? '') });
    } else if (item.type === 'function_call_output') {
      const toolName = toolNames.get(String(item.call_id ?? ''));
      const text = typeof item.output === 'string' ? item.output : textOf(item.output);
      turns.push({ role: 'tool', text, ...(toolName ? { toolName } : {}) });
    } else if (typeof item.role === 'string') {
      const role = item.role;
      turns.push({
        role: role === 'assistant' ? 'assistant' : role === 'user' ? 'user' : 'system',
        text: textOf(item.content),
      });
    } else {
      throw new HttpError(400, `'input.${i}' has an unsupported item type`);
    }
  }
  return turns;
}

function parseTools(tools: unknown[]): ToolSpec[] {
  const specs: ToolSpec[] = [];
  for (const tool of tools) {
    if (!isRecord(tool)) throw new HttpError(400, 'Each tool must be an object');
    // Built-in tools (web_search, …) have no name; the sandbox cannot run them, so skips them.
    if (tool.type !== 'function' || typeof tool.name !== 'string') continue;
    specs.push({
      name: tool.name,
      ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
      schema: tool.parameters,
    });
  }
  return specs;
}

function parseToolChoice(choice: unknown): ToolChoice {
  if (choice === 'none') return { kind: 'none' };
  if (choice === 'required') return { kind: 'required' };
  if (isRecord(choice) && choice.type === 'function' && typeof choice.name === 'string') {
    return { kind: 'tool', name: choice.name };
  }
  return { kind: 'auto' };
}
