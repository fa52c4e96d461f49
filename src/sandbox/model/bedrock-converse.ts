/**
 * Amazon Bedrock Runtime's model-agnostic Converse API, as `@aws-sdk/client-bedrock-runtime`
 * calls it:
 * - `POST /model/{modelId}/converse` → JSON `{output: {message}, stopReason, usage, metrics}`;
 * - `POST /model/{modelId}/converse-stream` → an AWS event stream of `messageStart`,
 *   `contentBlockStart` (tool use only), `contentBlockDelta`…, `contentBlockStop`, `messageStop`
 *   and `metadata` (usage, metrics) events.
 * Amazon Nova's native InvokeModel format is this message format too, so its reading, reply
 * content and stream events live here as well. A tool call is a `toolUse` block; as on the
 * OpenAI routes there is no text before it, and `outputTokens` are the generator's own.
 */

import { AwsEventStream } from '../http/aws-event-stream.js';
import { HttpError, isRecord } from '../http/io.js';
import {
  type ModelCall,
  optionalArray,
  requestIdHeaders,
  requireArray,
  sendModelJson,
  shortId,
  textOf,
} from './common.js';
import {
  type ChatTurn,
  type GenerateInput,
  type Generation,
  generate,
  type ToolChoice,
  type ToolSpec,
} from './engine.js';
import { tokenPieces } from './tokenizer.js';

/** A Converse-format request (Converse, or Nova's InvokeModel body), ready for `generate()`. */
export function readConverseInput(
  body: Record<string, unknown>,
  maxTokensFields: readonly string[] = ['maxTokens'],
): GenerateInput {
  const turns = [
    ...systemTurns(optionalArray(body, 'system')),
    ...messageTurns(requireArray(body, 'messages')),
  ];
  const toolConfig = isRecord(body.toolConfig) ? body.toolConfig : {};
  const inference = isRecord(body.inferenceConfig) ? body.inferenceConfig : {};
  const maxTokens = maxTokensFields
    .map(field => inference[field])
    .find((value): value is number => typeof value === 'number');
  return {
    turns,
    tools: parseTools(toolConfig.tools),
    toolChoice: parseToolChoice(toolConfig.toolChoice),
    ...(maxTokens === undefined ? {} : { maxTokens }),
  };
}

export const STOP_REASONS: Record<Generation['finish'], string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_call: 'tool_use',
};

/** The assistant message's content blocks: one `text`, or one `toolUse`. */
export function converseContent(gen: Generation, toolUseId: string): Record<string, unknown>[] {
  if (gen.toolCall) {
    return [{ toolUse: { toolUseId, name: gen.toolCall.name, input: gen.toolCall.arguments } }];
  }
  return [{ text: gen.text }];
}

export function converseUsage(gen: Generation) {
  return {
    inputTokens: gen.inputTokens,
    outputTokens: gen.outputTokens,
    totalTokens: gen.inputTokens + gen.outputTokens,
  };
}

export interface StreamEvent {
  eventType: string;
  payload: Record<string, unknown>;
}

/**
 * The stream of a generation as ConverseStream events; Nova's InvokeModel stream carries the
 * same objects, each wrapped as `{[eventType]: payload}`. `metadata` is left to the caller, whose
 * usage and metrics fields differ between the two.
 */
export function converseStreamEvents(gen: Generation, toolUseId: string): StreamEvent[] {
  const events: StreamEvent[] = [{ eventType: 'messageStart', payload: { role: 'assistant' } }];
  const contentBlockIndex = 0;
  if (gen.toolCall) {
    events.push({
      eventType: 'contentBlockStart',
      payload: { contentBlockIndex, start: { toolUse: { toolUseId, name: gen.toolCall.name } } },
    });
    // The input arrives as JSON text in fragments, as from the real service.
    for (const input of tokenPieces(gen.toolCall.argumentsJson)) {
      events.push({
        eventType: 'contentBlockDelta',
        payload: { contentBlockIndex, delta: { toolUse: { input } } },
      });
    }
  } else {
    for (const text of gen.pieces) {
      events.push({
        eventType: 'contentBlockDelta',
        payload: { contentBlockIndex, delta: { text } },
      });
    }
  }
  events.push(
    { eventType: 'contentBlockStop', payload: { contentBlockIndex } },
    { eventType: 'messageStop', payload: { stopReason: STOP_REASONS[gen.finish] } },
  );
  return events;
}

export function newToolUseId(): string {
  return `tooluse_${shortId()}`;
}

/** `POST /model/{modelId}/converse`. */
export function converse(call: ModelCall): void {
  const started = Date.now();
  const gen = generate(readConverseInput(call.body));
  sendModelJson(call, {
    output: { message: { role: 'assistant', content: converseContent(gen, newToolUseId()) } },
    stopReason: STOP_REASONS[gen.finish],
    usage: converseUsage(gen),
    metrics: { latencyMs: Date.now() - started },
  });
}

/** `POST /model/{modelId}/converse-stream`. */
export async function converseStream(call: ModelCall): Promise<void> {
  const started = Date.now();
  const gen = generate(readConverseInput(call.body));
  const events = converseStreamEvents(gen, newToolUseId());
  events.push({
    eventType: 'metadata',
    payload: { usage: converseUsage(gen), metrics: { latencyMs: Date.now() - started } },
  });
  const out = new AwsEventStream(call.ctx.res, {
    ...(call.fault ? { fault: call.fault } : {}),
    headers: requestIdHeaders('bedrock'),
  });
  if (await out.sendAll(events)) out.end();
}

function systemTurns(blocks: unknown[]): ChatTurn[] {
  const text = blocks
    .map(block => (isRecord(block) && typeof block.text === 'string' ? block.text : ''))
    .filter(part => part !== '')
    .join('\n');
  return text === '' ? [] : [{ role: 'system', text }];
}

function messageTurns(messages: unknown[]): ChatTurn[] {
  const toolNames = new Map<string, string>();
  return messages.map((message, i) => {
    if (!isRecord(message) || (message.role !== 'user' && message.role !== 'assistant')) {
      throw new HttpError(400, `messages.${i}.role must be 'user' or 'assistant'`);
    }
    if (!Array.isArray(message.content)) {
      throw new HttpError(400, `messages.${i}.content must be a list of content blocks`);
    }
    const blocks = message.content.filter(isRecord);
    for (const block of blocks) {
      if (isRecord(block.toolUse) && typeof block.toolUse.toolUseId === 'string') {
        toolNames.set(block.toolUse.toolUseId, String(block.toolUse.name ?? ''));
      }
    }
    const result = blocks.map(block => block.toolResult).find(isRecord);
    if (message.role === 'user' && result) {
      const toolName = toolNames.get(String(result.toolUseId ?? ''));
      return {
        role: 'tool',
        text: toolResultText(result.content),
        ...(toolName ? { toolName } : {}),
      };
    }
    return { role: message.role, text: textOf(blocks) };
  });
}

/** A tool result's content: its text blocks, and its JSON blocks as JSON text. */
function toolResultText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map(part => {
      if (!isRecord(part)) return '';
      if (typeof part.text === 'string') return part.text;
      if (part.json !== undefined) return JSON.stringify(part.json);
      return '';
    })
    .filter(text => text !== '')
    .join('\n');
}

function parseTools(tools: unknown): ToolSpec[] {
  if (!Array.isArray(tools)) return [];
  const specs: ToolSpec[] = [];
  for (const tool of tools) {
    // `cachePoint` entries sit among the tools and declare none.
    if (!isRecord(tool) || !isRecord(tool.toolSpec)) continue;
    const spec = tool.toolSpec;
    if (typeof spec.name !== 'string') throw new HttpError(400, 'toolSpec.name is required');
    specs.push({
      name: spec.name,
      ...(typeof spec.description === 'string' ? { description: spec.description } : {}),
      schema: isRecord(spec.inputSchema) ? spec.inputSchema.json : undefined,
    });
  }
  return specs;
}

function parseToolChoice(choice: unknown): ToolChoice {
  if (!isRecord(choice)) return { kind: 'auto' };
  if (isRecord(choice.any)) return { kind: 'required' };
  if (isRecord(choice.tool) && typeof choice.tool.name === 'string') {
    return { kind: 'tool', name: choice.tool.name };
  }
  return { kind: 'auto' };
}
