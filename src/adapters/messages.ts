/**
 * The provider-neutral view of a call: its input messages (in the GenAI semantic conventions'
 * message shape) and what the response said (ids, usage, finish reasons, bounded text). Provider
 * adapters fill these; the governed call turns them into the pre-check prompt, span attributes,
 * the audit record and, when capture is on, content attributes.
 *
 * The pre-check prompt is every message rendered as `role: text`, one per line, in send order,
 * with the system prompt first (`system: …`). It holds every part the provider will see: text
 * parts as they are, tool calls as `[tool call name(arguments)]`, tool results as their text
 * (nested blocks included), and the text of attachments whose content is text (text files and
 * documents, data URLs of a text media type, search results, prompt variables). A part whose
 * content the check cannot read is named by a placeholder instead:
 *
 * - `[image]`: an image (OpenAI `image_url` / `input_image`, Anthropic `image`, a screenshot);
 * - `[audio]`: audio (OpenAI `input_audio`, an assistant message's `audio`);
 * - `[file]`, `[file:<media type>]`, `[file:<media type> <name>]`: an OpenAI `file` /
 *   `input_file` part with binary inline data (e.g. `[file:application/pdf report.pdf]`), or a
 *   file given by id or URL (the name is the file name, else the URL);
 * - `[document]`, `[document:<media type>]`, `[document <url>]`: an Anthropic `document` block
 *   whose source is not text (base64 PDF, file id, URL); its `title` and `context` are text;
 * - `[data]`: a long base64-looking string inside a part of a type not listed here;
 * - `[<type>]`: any other part or item type with no readable text (e.g. `[redacted_thinking]`,
 *   `[item_reference]`).
 *
 * A file or document whose content is text is rendered as its placeholder followed by that text
 * (`[file:text/plain notes.txt] …`, `[document:text/plain] …`). Media types come from the data
 * URL or the source's `media_type`, else from the file name's extension, else from the first
 * bytes of the data; when none says, the placeholder has none. In captured content
 * (`gen_ai.input.messages`) a placeholder is a generic part `{type, mime_type?, name?}`.
 */

export type Part =
  | { type: 'text'; content: string }
  | { type: 'tool_call'; id?: string; name: string; arguments: string }
  | { type: 'tool_call_response'; id?: string; response: string }
  | { type: 'reasoning'; content: string }
  | { type: 'placeholder'; content: string; kind: string; mimeType?: string; name?: string };

export type PlaceholderPart = Extract<Part, { type: 'placeholder' }>;

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
  return parts.map(p => {
    if (p.type !== 'placeholder') return p;
    const generic: Record<string, string> = { type: p.kind };
    if (p.mimeType) generic.mime_type = p.mimeType;
    if (p.name) generic.name = p.name;
    return generic;
  });
}

export function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

export function text(value: unknown): Part {
  return { type: 'text', content: typeof value === 'string' ? value : stringify(value) };
}

/** A part the check cannot read: `[kind]`, `[kind:media/type]`, `[kind name]`, `[kind:media/type name]`. */
export function placeholder(kind: string, mimeType?: string, name?: string): PlaceholderPart {
  const part: PlaceholderPart = { type: 'placeholder', content: '', kind };
  let label = kind;
  const mime = typeof mimeType === 'string' ? clean(mimeType).toLowerCase() : '';
  if (mime) {
    part.mimeType = mime;
    label += `:${mime}`;
  }
  const shown = typeof name === 'string' ? clean(name) : '';
  if (shown) {
    part.name = shown;
    label += ` ${shown}`;
  }
  part.content = `[${label}]`;
  return part;
}

/** One line, no brackets: a name or media type inside a placeholder. */
function clean(value: string): string {
  return value
    .slice(0, 512)
    .replace(/[[\]\r\n]+/g, ' ')
    .trim();
}

export function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

// ---------------------------------------------------------------------------------------------
// Inline files: data URLs and base64, decoded when their content is text.

const TEXT_MEDIA =
  /^(text\/|application\/(json|ld\+json|x-ndjson|jsonl|xml|yaml|x-yaml|toml|csv|sql|graphql|javascript|x-javascript|typescript|x-sh|x-python|rtf)$)|\+(json|xml|yaml)$/;

const EXTENSION_MEDIA: Record<string, string> = {
  txt: 'text/plain',
  text: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  html: 'text/html',
  htm: 'text/html',
  xml: 'application/xml',
  json: 'application/json',
  jsonl: 'application/jsonl',
  ndjson: 'application/x-ndjson',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  toml: 'application/toml',
  sql: 'application/sql',
  js: 'text/javascript',
  ts: 'application/typescript',
  py: 'text/x-python',
  sh: 'application/x-sh',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  zip: 'application/zip',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

export function isTextMedia(mimeType: string | undefined): boolean {
  return mimeType !== undefined && TEXT_MEDIA.test(mimeType.toLowerCase());
}

/** The media type a file name's extension implies, if it is a known one. */
export function mediaFromName(name: string | undefined): string | undefined {
  const m = name === undefined ? null : /\.([a-z0-9]+)$/i.exec(name);
  return m ? EXTENSION_MEDIA[m[1]!.toLowerCase()] : undefined;
}

/** Media type from the first bytes, for the placeholder of binary data that names none. */
function mediaFromBytes(b: Uint8Array): string | undefined {
  const starts = (...sig: number[]) => sig.every((v, i) => b[i] === v);
  const ascii = (at: number, s: string) => [...s].every((c, i) => b[at + i] === c.charCodeAt(0));
  if (ascii(0, '%PDF')) return 'application/pdf';
  if (starts(0x89, 0x50, 0x4e, 0x47)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (ascii(0, 'GIF8')) return 'image/gif';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'image/webp';
  if (ascii(0, 'RIFF') && ascii(8, 'WAVE')) return 'audio/wav';
  if (ascii(0, 'ID3') || starts(0xff, 0xfb)) return 'audio/mpeg';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'application/zip';
  return undefined;
}

const SNIFF_BYTES = 8192;

/** Text, not binary: valid UTF-8 in its first bytes, no NUL, hardly any control characters. */
function looksLikeText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, SNIFF_BYTES);
  let controls = 0;
  for (const b of sample) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) controls++;
  }
  if (controls > sample.length / 100) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function decodeText(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset || 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}[\r\n]*$/;

function isBase64(data: string): boolean {
  if (!BASE64.test(data)) return false;
  return data.replace(/[\r\n]/g, '').length % 4 === 0;
}

/** What inline file data holds: its text, or (binary) its media type when known. */
export type InlineContent =
  | { text: string; mimeType: string | undefined }
  | { binary: string | undefined };

/**
 * Reads inline file data as the provider will: a data URL (`data:<type>[;charset=…][;base64],…`)
 * by its media type; otherwise base64 when it is base64 (typed by `mimeType`, the file name's
 * extension, or its first bytes), else the string itself as text.
 */
export function readInlineData(data: string, mimeType?: string, name?: string): InlineContent {
  const url = /^data:([^,]*),/i.exec(data.slice(0, 1024));
  if (url) {
    const params = url[1]!.split(';').map(s => s.trim());
    const declared = params[0]?.toLowerCase() || 'text/plain';
    const base64 = params.slice(1).some(p => p.toLowerCase() === 'base64');
    const charset = params
      .slice(1)
      .find(p => /^charset=/i.test(p))
      ?.slice(8);
    if (!isTextMedia(declared)) return { binary: declared };
    const payload = data.slice(url[0].length);
    let bytes: Uint8Array;
    if (base64) bytes = Buffer.from(payload, 'base64');
    else {
      try {
        bytes = Buffer.from(decodeURIComponent(payload), 'utf8');
      } catch {
        bytes = Buffer.from(payload, 'utf8');
      }
    }
    return { text: decodeText(bytes, charset), mimeType: declared };
  }
  const declared = mimeType?.toLowerCase() || mediaFromName(name);
  if (!isBase64(data)) return { text: data, mimeType: declared };
  if (declared !== undefined && !isTextMedia(declared)) return { binary: declared };
  if (!isTextMedia(declared)) {
    // Untyped: the first bytes decide (only those are decoded for binary data).
    const head = Buffer.from(data.slice(0, SNIFF_BYTES * 2), 'base64');
    if (!looksLikeText(head)) return { binary: mediaFromBytes(head) };
  }
  const bytes = Buffer.from(data, 'base64');
  return { text: decodeText(bytes, undefined), mimeType: declared ?? 'text/plain' };
}

/** The parts of an inline file: `[kind:type name]`, then its text when it is text. */
export function inlineFileParts(
  kind: string,
  data: string,
  mimeType?: string,
  name?: string,
): Part[] {
  const content = readInlineData(data, mimeType, name);
  if ('binary' in content) return [placeholder(kind, content.binary, name)];
  return [placeholder(kind, content.mimeType, name), { type: 'text', content: content.text }];
}

// ---------------------------------------------------------------------------------------------
// Parts of a type no adapter knows: their strings are checked, whatever their shape.

/** Keys whose strings are identifiers or opaque data, never text the model reads. */
const OPAQUE_KEYS = new Set([
  'type',
  'id',
  'signature',
  'encrypted_content',
  'media_type',
  'mime_type',
  'cache_control',
  'status',
  'role',
]);
const MAX_DEPTH = 32;

/** A string that is data, not text: long, no spaces, base64 alphabet. */
function looksLikeBlob(value: string): boolean {
  return value.length > 256 && /^[A-Za-z0-9+/=_-]+$/.test(value.slice(0, 4096));
}

/**
 * The text in a value of unknown shape: every string in it (in key order) except identifiers and
 * opaque data, with long base64-looking strings named `[data]`. `[type]` when there is none.
 */
export function unknownParts(value: unknown, depth = 0): Part[] {
  const parts: Part[] = [];
  collectStrings(value, parts, depth);
  if (parts.length === 0 && isRecord(value) && typeof value.type === 'string') {
    parts.push(placeholder(value.type));
  }
  return parts;
}

function collectStrings(value: unknown, parts: Part[], depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === 'string') {
    if (value.length === 0) return;
    parts.push(looksLikeBlob(value) ? placeholder('data') : { type: 'text', content: value });
  } else if (Array.isArray(value)) {
    for (const item of value) collectStrings(item, parts, depth + 1);
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) {
      if (OPAQUE_KEYS.has(key) || key.endsWith('_id')) continue;
      collectStrings(value[key], parts, depth + 1);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The request body as it will be sent.

/** A body the SDKs send as it is, not as JSON. */
function isRawBody(body: object): boolean {
  // The usual body, a plain object, first: `Blob`, `FormData` and `ReadableStream` are lazy
  // getters on Node's global object, and reading them on every call showed in profiles.
  const proto: unknown = Object.getPrototypeOf(body);
  if (proto === Object.prototype || proto === null) {
    return Symbol.asyncIterator in body || isIteratorObject(body);
  }
  if (Array.isArray(body)) return false;
  return (
    ArrayBuffer.isView(body) ||
    body instanceof ArrayBuffer ||
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    (typeof FormData !== 'undefined' && body instanceof FormData) ||
    body instanceof URLSearchParams ||
    (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) ||
    Symbol.asyncIterator in body ||
    isIteratorObject(body)
  );
}

function isIteratorObject(body: object): boolean {
  return Symbol.iterator in body && typeof (body as { next?: unknown }).next === 'function';
}

export interface BodySnapshot {
  /** Plain data (no getters, no toJSON, no cycles) that serialises to exactly `json`. */
  value: unknown;
  json: string;
}

/**
 * The request body as the SDK will serialise it, taken once: `JSON.parse(JSON.stringify(body))`.
 * The SDKs encode a JSON body with `JSON.stringify`, so the copy serialises to the same text, with
 * `toJSON`, getters, `undefined` and functions applied once, here. The caller swaps it in for the
 * body: it is then what the pre-check reads and what the SDK sends, and nothing else holds it.
 *
 * Properties JSON leaves out (non-enumerable or symbol-keyed, such as the `$parseRaw` that the
 * SDKs' parse helpers attach and read back from the prepared request) are carried over to the
 * copy, non-enumerable, so those helpers keep working; they never reach the wire.
 *
 * Returns undefined for a body that is not sent as JSON. Throws what `JSON.stringify` throws
 * (a cycle, a BigInt, a throwing getter) when it throws twice: the SDK's own serialisation
 * would fail the same way, and nothing is sent.
 */
export function snapshotBody(body: unknown, sent = true): BodySnapshot | undefined {
  if (body === undefined || (typeof body === 'object' && body !== null && isRawBody(body))) {
    return undefined;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(body);
  } catch {
    // A getter that fails once: the SDK would read it again. A second failure is final.
    json = JSON.stringify(body);
  }
  if (json === undefined) return undefined;
  const value: unknown = JSON.parse(json);
  // Hidden properties matter only to a copy the client goes on to send.
  if (!sent) return { value, json };
  try {
    carryHidden(body, value, 0);
  } catch {
    // Best effort: the copy is complete for the wire without them.
  }
  return { value, json };
}

function carryHidden(source: unknown, copy: unknown, depth: number): void {
  if (depth > MAX_DEPTH || typeof source !== 'object' || source === null) return;
  if (typeof copy !== 'object' || copy === null) return;
  if (typeof (source as { toJSON?: unknown }).toJSON === 'function') return;
  if (Array.isArray(source)) {
    // Elements only: no SDK helper marks an array itself, and a long one (token ids) stays cheap.
    if (!Array.isArray(copy)) return;
    for (let i = 0; i < source.length && i < copy.length; i++) {
      const item: unknown = source[i];
      if (typeof item === 'object' && item !== null) carryHidden(item, copy[i], depth + 1);
    }
    return;
  }
  const target = copy as Record<string, unknown>;
  // Down the copy's objects only, through data properties (a getter is not read twice).
  let copied = 0;
  for (const key in target) {
    copied++;
    const child = target[key];
    if (typeof child !== 'object' || child === null) continue;
    const desc = Reflect.getOwnPropertyDescriptor(source, key);
    if (desc !== undefined && 'value' in desc) carryHidden(desc.value, child, depth + 1);
  }
  // More own names than the copy has keys: some are hidden (or were dropped as undefined).
  if (
    Object.getOwnPropertyNames(source).length !== copied ||
    Object.getOwnPropertySymbols(source).length > 0
  ) {
    for (const key of Reflect.ownKeys(source)) {
      const desc = Reflect.getOwnPropertyDescriptor(source, key);
      if (desc === undefined || (typeof key === 'string' && desc.enumerable)) continue;
      if (!Reflect.has(target, key)) {
        Reflect.defineProperty(target, key, { ...desc, enumerable: false, configurable: true });
      }
    }
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
  /** Output tokens spent on reasoning, as the provider reports them (part of `outputTokens`). */
  reasoningTokens: number | undefined;
  /**
   * Provider-specific response attributes that are not usage (`openai.response.service_tier`,
   * `openai.response.system_fingerprint`, `gen_ai.embeddings.dimension.count`): set on the
   * inference span as they are. Usage goes in the fields above, never here.
   */
  readonly attributes: Record<string, string | number> = {};
  text = '';
  /** The text of choices after the first, by index, for content capture only. */
  choiceTexts: string[] | undefined;
  /** Reasoning text the model returned (thinking, reasoning summaries), for content capture only. */
  reasoning = '';
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

  /** Text of choice `index` (OpenAI `n` > 1): choice 0 is `text`; the others only when captured. */
  appendChoiceText(index: number, chunk: unknown): void {
    if (index === 0) {
      this.appendText(chunk);
      return;
    }
    if (!this.captureTools || smallIndex(index) === undefined) return;
    if (typeof chunk !== 'string' || chunk.length === 0) return;
    this.choiceTexts ??= [];
    const before = this.choiceTexts[index] ?? '';
    const room = this.textLimit - before.length;
    if (room > 0) this.choiceTexts[index] = before + chunk.slice(0, room);
  }

  appendReasoning(chunk: unknown): void {
    if (!this.captureTools || typeof chunk !== 'string' || chunk.length === 0) return;
    const room = this.textLimit - this.reasoning.length;
    if (room > 0) this.reasoning += chunk.slice(0, room);
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

  /** `gen_ai.output.messages`: one message per choice, reasoning and tool calls on the first. */
  outputMessages(): unknown[] {
    const parts: unknown[] = [];
    if (this.reasoning) parts.push({ type: 'reasoning', content: this.reasoning });
    if (this.text) parts.push({ type: 'text', content: this.text });
    for (const call of this.toolCalls ?? []) if (call) parts.push({ type: 'tool_call', ...call });
    const messages = [{ role: 'assistant', parts, finish_reason: this.finishReasons[0] ?? 'stop' }];
    const count = Math.max(this.choiceTexts?.length ?? 0, this.finishReasons.length);
    for (let i = 1; i < count; i++) {
      const content = this.choiceTexts?.[i];
      messages.push({
        role: 'assistant',
        parts: content ? [{ type: 'text', content }] : [],
        finish_reason: this.finishReasons[i] ?? 'stop',
      });
    }
    return messages;
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

const TRUNCATED = '…[truncated]';

/**
 * `value` as JSON of at most `max` characters that is still valid JSON: the longest strings are
 * cut first (each cut one ending `…[truncated]`), then, if the structure alone is too long, the
 * last array items are dropped. Content-capture attributes stay parseable however long the
 * conversation.
 */
export function capJson(value: unknown, max: number): string {
  let json = stringify(value);
  if (json.length <= max) return json;
  const copy = JSON.parse(json) as unknown;
  const strings: Array<{ holder: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const collect = (node: unknown, depth: number): void => {
    if (depth > 16 || node === null || typeof node !== 'object') return;
    for (const [key, child] of Object.entries(node)) {
      const k = Array.isArray(node) ? Number(key) : key;
      if (typeof child === 'string')
        strings.push({ holder: node as Record<string, unknown>, key: k });
      else collect(child, depth + 1);
    }
  };
  collect(copy, 0);
  const at = (s: (typeof strings)[number]) => (s.holder as Record<string | number, string>)[s.key]!;
  strings.sort((a, b) => at(b).length - at(a).length);
  for (const s of strings) {
    const over = json.length - max;
    if (over <= 0) break;
    const current = at(s);
    if (current.length <= TRUNCATED.length) continue;
    const keep = Math.max(0, current.length - over - TRUNCATED.length);
    (s.holder as Record<string | number, string>)[s.key] = current.slice(0, keep) + TRUNCATED;
    json = JSON.stringify(copy);
  }
  while (json.length > max && Array.isArray(copy) && copy.length > 0) {
    copy.pop();
    json = JSON.stringify(copy);
  }
  return json.length <= max ? json : '[]';
}

/** OpenAI-style tool calls (`{ id, function: { name, arguments } }`), as `tool_call` parts. */
export function functionCallParts(calls: unknown): Part[] {
  const parts: Part[] = [];
  for (const call of list(calls)) {
    if (!isRecord(call)) continue;
    const fn = isRecord(call.function) ? call.function : {};
    parts.push({
      type: 'tool_call',
      id: str(call.id),
      name: String(fn.name ?? ''),
      arguments: stringify(fn.arguments ?? ''),
    } as Part);
  }
  return parts;
}

/**
 * Adds one turn of a chat: a `tool` turn becomes one `tool_call_response` part holding the turn's
 * text, for the call `toolCallId` names; any other turn keeps its parts.
 */
export function pushTurn(input: CallInput, role: string, parts: Part[], toolCallId: unknown): void {
  if (role === 'tool') {
    const response = parts.map(partText).join(' ');
    input.messages.push({
      role,
      parts: [{ type: 'tool_call_response', id: str(toolCallId), response } as Part],
    });
  } else {
    input.messages.push({ role, parts });
  }
}
