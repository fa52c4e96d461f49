/**
 * The deterministic "model" behind every sandbox endpoint. Provider adapters turn their request
 * into a `GenerateInput` and render the `Generation` in their own wire format, so all dialects
 * answer the same prompt the same way.
 *
 * Behaviour, in order:
 * - last turn is a tool result → a text reply quoting it (so agent loops terminate);
 * - tools are offered and the prompt asks for one (names it, or says "weather" and a weather tool
 *   exists, or tool choice forces one) → a tool call with arguments derived from its JSON schema;
 * - otherwise → an echo reply: `Sandbox reply to "<prompt>" (#<hash>).`
 * `maxTokens` truncates the text at a token boundary and reports `length`.
 */
import { createHash } from 'node:crypto';
import { countTokens, tokenPieces } from './tokenizer.js';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
  /** Set when the turn carries a tool result. */
  toolName?: string;
}

export interface ToolSpec {
  name: string;
  description?: string;
  /** JSON schema of the arguments (`parameters` / `input_schema`). */
  schema?: unknown;
}

export type ToolChoice =
  | { kind: 'auto' }
  | { kind: 'none' }
  | { kind: 'required' }
  | { kind: 'tool'; name: string };

export interface GenerateInput {
  turns: ChatTurn[];
  tools: ToolSpec[];
  toolChoice: ToolChoice;
  maxTokens?: number;
}

export interface ToolCallOut {
  name: string;
  arguments: Record<string, unknown>;
  argumentsJson: string;
}

export interface Generation {
  /** Reply text (empty when the model only calls a tool and the dialect wants no preamble). */
  text: string;
  /** `text` split into one-token streaming pieces; joined they equal `text`. */
  pieces: string[];
  /** Short text some dialects put before a tool call (Anthropic does); not in `outputTokens`. */
  toolPreamble: string;
  toolCall?: ToolCallOut;
  finish: 'stop' | 'length' | 'tool_call';
  inputTokens: number;
  outputTokens: number;
  /** Stable short hash of the prompt, for ids and the echo text. */
  digest: string;
}

const ECHO_LIMIT = 200;

/** The input tokens of a conversation, as every dialect reports them for it. */
export function promptTokenCount(turns: readonly ChatTurn[]): number {
  return turns.reduce((sum, turn) => sum + countTokens(turn.text), 0);
}

export function generate(input: GenerateInput): Generation {
  const inputTokens = promptTokenCount(input.turns);
  const last = input.turns.at(-1);
  const prompt = lastUserText(input.turns);
  const digest = createHash('sha256').update(prompt).digest('hex').slice(0, 8);

  if (last?.role !== 'tool') {
    const tool = chooseTool(input, prompt);
    if (tool) {
      const args = argumentsFor(tool, prompt);
      const argumentsJson = JSON.stringify(args);
      const toolPreamble = `I'll call the ${tool.name} tool.`;
      return {
        text: '',
        pieces: [],
        toolPreamble,
        toolCall: { name: tool.name, arguments: args, argumentsJson },
        finish: 'tool_call',
        inputTokens,
        outputTokens: countTokens(argumentsJson),
        digest,
      };
    }
  }

  const full =
    last?.role === 'tool'
      ? `The ${last.toolName ?? 'tool'} tool returned: ${clip(last.text)}`
      : `Sandbox reply to "${clip(prompt)}" (#${digest}).`;
  let pieces = tokenPieces(full);
  let finish: Generation['finish'] = 'stop';
  if (input.maxTokens !== undefined && input.maxTokens >= 0 && pieces.length > input.maxTokens) {
    pieces = pieces.slice(0, input.maxTokens);
    finish = 'length';
  }
  const text = pieces.join('');
  return {
    text,
    pieces,
    toolPreamble: '',
    finish,
    inputTokens,
    outputTokens: pieces.length,
    digest,
  };
}

function lastUserText(turns: ChatTurn[]): string {
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i];
    if (turn?.role === 'user') return turn.text;
  }
  return turns.at(-1)?.text ?? '';
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > ECHO_LIMIT ? `${flat.slice(0, ECHO_LIMIT)}…` : flat;
}

function chooseTool(input: GenerateInput, prompt: string): ToolSpec | undefined {
  const { tools, toolChoice } = input;
  if (tools.length === 0 || toolChoice.kind === 'none') return undefined;
  if (toolChoice.kind === 'tool') return tools.find(t => t.name === toolChoice.name);
  const lower = prompt.toLowerCase();
  const named = tools.find(t => {
    const name = t.name.toLowerCase();
    return lower.includes(name) || lower.includes(name.replace(/[_-]+/g, ' '));
  });
  if (named) return named;
  if (/\bweather\b/.test(lower)) {
    const weather = tools.find(t =>
      `${t.name} ${t.description ?? ''}`.toLowerCase().includes('weather'),
    );
    if (weather) return weather;
  }
  return toolChoice.kind === 'required' ? tools[0] : undefined;
}

/** Fills the schema's required properties (or its first one) with plausible values. */
function argumentsFor(tool: ToolSpec, prompt: string): Record<string, unknown> {
  const schema = isObject(tool.schema) ? tool.schema : {};
  const properties = isObject(schema.properties) ? schema.properties : {};
  const names = Object.keys(properties);
  const required = Array.isArray(schema.required)
    ? schema.required.filter((n): n is string => typeof n === 'string' && n in properties)
    : [];
  const chosen = required.length > 0 ? required : names.slice(0, 1);
  const args: Record<string, unknown> = {};
  for (const name of chosen) args[name] = valueFor(properties[name], prompt);
  return args;
}

function valueFor(property: unknown, prompt: string): unknown {
  const prop = isObject(property) ? property : {};
  if (Array.isArray(prop.enum) && prop.enum.length > 0) return prop.enum[0];
  const type = Array.isArray(prop.type) ? prop.type[0] : prop.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return subjectOf(prompt);
  }
}

/** "What's the weather in Paris?" → "Paris": the capitalised phrase after in/for/at/of/about. */
function subjectOf(prompt: string): string {
  const match = /\b(?:in|for|at|of|about)\s+(\p{Lu}[\p{L}-]*(?:\s+\p{Lu}[\p{L}-]*)*)/u.exec(prompt);
  return match?.[1] ?? 'sandbox';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
