/**
 * The provider-neutral view of a call: its input messages (in the GenAI semantic conventions'
 * message shape) and what the response said (ids, usage, finish reasons, bounded text). Provider
 * adapters fill these; the governed call turns them into the pre-check prompt, span attributes,
 * the audit record and, when capture is on, content attributes.
 *
 * The pre-check prompt is every message rendered as `role: text`, one per line, in send order,
 * with the system prompt first (`system: …`): text parts as they are, tool calls as
 * `[tool call name(arguments)]`, tool results as their text, and non-text parts as a
 * placeholder (`[image]`, `[audio]`, `[file]`, `[document]`).
 */

export type Part =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments: string }
  | { type: 'tool_call_response'; id?: string; response: string }
  | { type: 'reasoning'; content: string }
  | { type: 'placeholder'; content: string };

export interface Message {
  role: string;
  parts: Part[];
}

export interface CallInput {
  system: Part[];
  messages: Message[];
}

export function partText(part: Part): string {
  switch (part.type) {
    case 'text':
    case 'reasoning':
    case 'placeholder':
      return part.content;
    case 'tool_call':
      return `[tool call ${part.name}(${part.arguments})]`;
    case 'tool_call_response':
      return part.response;
  }
}

/** The text a pre-check evaluates. */
export function renderPrompt(input: CallInput): string {
  const lines: string[] = [];
  if (input.system.length > 0) lines.push(`system: ${input.system.map(partText).join(' ')}`);
  for (const m of input.messages) lines.push(`${m.role}: ${m.parts.map(partText).join(' ')}`);
  return lines.join('\n');
}

/** Content-capture shape (gen_ai.input.messages): placeholders become generic parts. */
export function toSemconvParts(parts: Part[]): unknown[] {
  return parts.map(p => (p.type === 'placeholder' ? { type: p.content.replace(/[[\]]/g, '') } : p));
}

export function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** What a response (or a stream, chunk by chunk) said. Text is kept only up to `textLimit`. */
export class ResponseRecord {
  id: string | undefined;
  model: string | undefined;
  finishReasons: string[] = [];
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  cacheReadTokens: number | undefined;
  cacheCreationTokens: number | undefined;
  text = '';
  /** Tool calls by index, for content capture only. */
  toolCalls: { id?: string; name: string; arguments: string }[] | undefined;
  readonly textLimit: number;
  readonly captureTools: boolean;

  constructor(textLimit: number, captureTools: boolean) {
    this.textLimit = textLimit;
    this.captureTools = captureTools;
  }

  appendText(chunk: unknown): void {
    if (typeof chunk !== 'string' || chunk.length === 0) return;
    const room = this.textLimit - this.text.length;
    if (room > 0) this.text += room >= chunk.length ? chunk : chunk.slice(0, room);
  }

  toolCall(index: number, id: unknown, name: unknown, args: unknown): void {
    if (!this.captureTools || smallIndex(index) === undefined) return;
    this.toolCalls ??= [];
    let call = this.toolCalls[index];
    if (call === undefined) {
      call = { name: '', arguments: '' };
      this.toolCalls[index] = call;
    }
    if (typeof id === 'string' && id) call.id = id;
    if (typeof name === 'string' && name) call.name = name;
    if (typeof args === 'string') {
      if (call.arguments.length < this.textLimit) call.arguments += args;
    } else if (args !== undefined) {
      call.arguments = stringify(args);
    }
  }

  outputMessages(): unknown[] {
    const parts: unknown[] = [];
    if (this.text) parts.push({ type: 'text', content: this.text });
    for (const call of this.toolCalls ?? []) if (call) parts.push({ type: 'tool_call', ...call });
    return [{ role: 'assistant', parts, finish_reason: this.finishReasons[0] ?? 'stop' }];
  }
}

/** Choice and content-block indices come from the wire: only small ones are used as indices. */
export const MAX_INDEX = 127;

export function smallIndex(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_INDEX
    ? value
    : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
