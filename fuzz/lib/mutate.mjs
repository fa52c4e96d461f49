// Mutations of real-shaped replies: SSE streams (event by event, line by line, byte by byte) and
// JSON documents (value by value). Each mutator takes an `Rng` and returns a new value; the
// description it pushes onto `log` says what was done, for failure reports.

/** Values of another type, or extreme ones, that replace a JSON value. */
const ODD_VALUES = [
  () => null,
  () => true,
  () => false,
  () => 0,
  () => -1,
  () => 1.5,
  () => 4294967294,
  () => 2 ** 53 + 2,
  () => -(2 ** 31),
  () => 1e308,
  () => '',
  () => 'x',
  () => '\u0000\u001b[31m\u2028',
  () => '123',
  () => 'true',
  () => [],
  () => [1, 'a', null],
  () => ({}),
  () => ({ type: 'unknown_thing' }),
];

const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0xc3],
  [0xc3, 0x28],
  [0x80],
  [0xc0, 0x80],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x00],
];

const GARBAGE_LINES = [
  'garbage',
  ': keep-alive comment',
  'data: {',
  'data: }',
  'data: null',
  'data: 42',
  'data: "text"',
  'data: []',
  'data:',
  'event: error',
  'event: ',
  'event: ping',
  'retry: abc',
  'id: 1',
  'id: \u0000',
  'data: [DONE]',
  'DATA: {}',
  ' data: {}',
  '\u00ff\u00fe',
  '{"not":"sse"}',
];

// --- JSON values --------------------------------------------------------------------------------

/** Every path in a JSON value: arrays of keys/indices, the root included. */
export function jsonPaths(value, prefix = [], out = []) {
  out.push(prefix);
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      jsonPaths(v, [...prefix, i], out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) jsonPaths(value[key], [...prefix, key], out);
  }
  return out;
}

function getAt(value, path) {
  let node = value;
  for (const key of path) node = node?.[key];
  return node;
}

function setAt(value, path, replacement) {
  if (path.length === 0) return replacement;
  const parent = getAt(value, path.slice(0, -1));
  if (parent !== null && typeof parent === 'object') parent[path[path.length - 1]] = replacement;
  return value;
}

function deleteAt(value, path) {
  if (path.length === 0) return value;
  const parent = getAt(value, path.slice(0, -1));
  const key = path[path.length - 1];
  if (Array.isArray(parent)) parent.splice(key, 1);
  else if (parent !== null && typeof parent === 'object') delete parent[key];
  return value;
}

function hugeString(rng) {
  const size = rng.pick([10_000, 100_000, 1_000_000]);
  return rng.pick(['a', 'é', '\u{1F600}', 'x\n']).repeat(Math.ceil(size / 2));
}

/** A marker `stringifyJson` replaces by arrays or objects nested `depth` deep. */
function deepNesting(rng) {
  return `\u0000deep:${rng.pick(['[', '{'])}:${rng.pick([64, 1000, 100_000])}`;
}

function nested(open, depth) {
  return open === '['
    ? `${'['.repeat(depth)}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`;
}

/**
 * Mutates a parsed JSON value once: replaces a value by one of another type or an extreme one,
 * deletes or adds a key, swaps array items, or plants prototype keys. Returns the new value and
 * optionally extra raw text (for keys JSON.stringify cannot write, like `__proto__`).
 */
export function mutateJson(rng, input, log) {
  const value = structuredClone(input);
  const paths = jsonPaths(value);
  const path = rng.pick(paths);
  const where = path.join('.') || '(root)';
  const kind = rng.weighted([
    ['odd', 40],
    ['delete', 15],
    ['huge-string', 6],
    ['deep', 3],
    ['add-key', 8],
    ['swap', 6],
    ['number', 10],
    ['proto', 6],
    ['string', 6],
    ['index', 4],
  ]);
  switch (kind) {
    case 'odd': {
      const odd = rng.pick(ODD_VALUES)();
      log.push(`${where} = ${JSON.stringify(odd)}`);
      return setAt(value, path, odd);
    }
    case 'delete':
      log.push(`delete ${where}`);
      return deleteAt(value, path);
    case 'huge-string': {
      // A huge value where a string is expected; a huge string where an object is expected
      // mostly measures the SDK's own accumulators.
      const strings = paths.filter(p => typeof getAt(value, p) === 'string');
      if (strings.length === 0) return value;
      const at = rng.pick(strings);
      log.push(`${at.join('.') || '(root)'} = huge string`);
      return setAt(value, at, hugeString(rng));
    }
    case 'deep':
      log.push(`${where} = deeply nested`);
      return setAt(value, path, deepNesting(rng));
    case 'add-key': {
      const target = getAt(value, path);
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
        const key = rng.pick(['type', 'index', 'usage', 'error', 'delta', 'choices', 'extra']);
        const odd = rng.pick(ODD_VALUES)();
        log.push(`${where}.${key} = ${JSON.stringify(odd)}`);
        target[key] = odd;
      }
      return value;
    }
    case 'swap': {
      const target = getAt(value, path);
      if (Array.isArray(target) && target.length > 1) {
        const i = rng.int(target.length);
        const j = rng.int(target.length);
        [target[i], target[j]] = [target[j], target[i]];
        log.push(`swap ${where}[${i}] and [${j}]`);
      }
      return value;
    }
    case 'number': {
      const n = rng.pick([0, -1, 1, 2, 3, 7, 255, 65536, 4294967294, 4294967295, 2 ** 53, -0.5]);
      log.push(`${where} = ${n}`);
      return setAt(value, path, n);
    }
    case 'index': {
      // Indices (of choices, blocks, tool calls) address arrays on the reader's side.
      const indices = paths.filter(p => p[p.length - 1] === 'index');
      if (indices.length > 0) {
        const at = rng.pick(indices);
        const n = rng.pick([-1, 1, 2, 3, 1e6, 1e9, 4294967294, 2 ** 32 + 5]);
        log.push(`${at.join('.')} = ${n}`);
        return setAt(value, at, n);
      }
      return value;
    }
    case 'string': {
      const s = rng.pick(['text', 'tool_use', 'text_delta', 'message_stop', 'stop', 'assistant']);
      log.push(`${where} = ${JSON.stringify(s)}`);
      return setAt(value, path, s);
    }
    default: {
      const target = getAt(value, path);
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
        const key = rng.pick(['__proto__', 'constructor', 'prototype']);
        log.push(`${where}.${key} = polluting object`);
        target[`\u0000proto:${key}`] = { polluted: true, approved: true, prototype: { x: 1 } };
      }
      return value;
    }
  }
}

/** JSON text of a mutated value, with planted prototype keys and deep nesting written out. */
export function stringifyJson(value) {
  return JSON.stringify(value)
    .replace(/"\\u0000proto:([a-z_]+)"/g, '"$1"')
    .replace(/"\\u0000deep:([[{]):(\d+)"/g, (_, open, depth) => nested(open, Number(depth)));
}

// --- SSE streams --------------------------------------------------------------------------------

/** Splits an SSE body into events (the text between blank lines, without the separator). */
export function sseEvents(text) {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n\n')
    .filter(e => e !== '');
}

export function joinSse(events) {
  return events.length === 0 ? '' : `${events.join('\n\n')}\n\n`;
}

/** The JSON of an event's data line(s), or undefined. */
function eventJson(event) {
  const data = event
    .split('\n')
    .filter(l => l.startsWith('data:'))
    .map(l => l.slice(5).replace(/^ /, ''))
    .join('\n');
  try {
    return { data: JSON.parse(data) };
  } catch {
    return undefined;
  }
}

function withData(event, text) {
  const lines = event.split('\n').filter(l => !l.startsWith('data:'));
  return [...lines, `data: ${text}`].join('\n');
}

function isTerminator(event) {
  return /\[DONE\]|message_stop|response\.completed|axon\.metadata|axon_metadata/.test(event);
}

/**
 * Mutates an SSE body (text) at the event and line level. Byte-level damage (invalid UTF-8,
 * truncation at any byte) is applied afterwards by `mutateBytes`.
 */
export function mutateSse(rng, text, log) {
  let events = sseEvents(text);
  const kind = rng.weighted([
    ['json', 36],
    ['drop', 10],
    ['drop-terminator', 6],
    ['duplicate', 8],
    ['swap', 8],
    ['move', 5],
    ['garbage', 8],
    ['truncate-events', 5],
    ['line-endings', 3],
    ['split-data', 3],
    ['empty', 1],
    ['huge-event', 2],
    ['event-name', 5],
  ]);
  if (events.length === 0) return { text, bytes: undefined };
  const i = rng.int(events.length);
  switch (kind) {
    case 'json': {
      const parsed = eventJson(events[i]);
      if (parsed) {
        try {
          const before = log.length;
          const mutated = mutateJson(rng, parsed.data, log);
          events[i] = withData(events[i], stringifyJson(mutated));
          if (log.length > before) log[log.length - 1] = `event ${i}: ${log[log.length - 1]}`;
        } catch {
          // Too deep to walk (an earlier round nested it): leave the event as it is.
        }
      }
      break;
    }
    case 'drop':
      log.push(`drop event ${i}`);
      events.splice(i, 1);
      break;
    case 'drop-terminator': {
      const before = events.length;
      events = events.filter(e => !isTerminator(e));
      log.push(`drop terminators (${before - events.length})`);
      break;
    }
    case 'duplicate':
      log.push(`duplicate event ${i}`);
      events.splice(i, 0, events[i]);
      break;
    case 'swap': {
      const j = rng.int(events.length);
      log.push(`swap events ${i} and ${j}`);
      [events[i], events[j]] = [events[j], events[i]];
      break;
    }
    case 'move': {
      const [moved] = events.splice(i, 1);
      const j = rng.int(events.length + 1);
      log.push(`move event ${i} to ${j}`);
      events.splice(j, 0, moved);
      break;
    }
    case 'garbage': {
      const line = rng.pick(GARBAGE_LINES);
      if (rng.chance(0.5)) {
        log.push(`garbage event ${JSON.stringify(line)} at ${i}`);
        events.splice(i, 0, line);
      } else {
        log.push(`garbage line ${JSON.stringify(line)} in event ${i}`);
        events[i] = `${line}\n${events[i]}`;
      }
      break;
    }
    case 'truncate-events': {
      const keep = rng.int(events.length);
      log.push(`keep only the first ${keep} events`);
      events = events.slice(0, keep);
      break;
    }
    case 'line-endings': {
      const eol = rng.pick(['\r\n', '\r']);
      log.push(`line endings ${JSON.stringify(eol)}`);
      return { text: joinSse(events).replace(/\n/g, eol), bytes: undefined };
    }
    case 'split-data': {
      const parsed = eventJson(events[i]);
      let json;
      try {
        json = parsed && JSON.stringify(parsed.data, null, 1);
      } catch {
        json = undefined; // too deep to write out again
      }
      if (json !== undefined) {
        log.push(`event ${i}: data over several lines`);
        const lines = events[i].split('\n').filter(l => !l.startsWith('data:'));
        events[i] = [...lines, ...json.split('\n').map(l => `data: ${l}`)].join('\n');
      }
      break;
    }
    case 'empty':
      log.push('empty body');
      return { text: '', bytes: undefined };
    case 'huge-event':
      log.push(`huge data line before event ${i}`);
      events.splice(i, 0, `data: ${'z'.repeat(rng.pick([100_000, 1_000_000]))}`);
      break;
    default: {
      const name = rng.pick(['error', 'ping', 'message_stop', 'unknown', 'content_block_delta']);
      log.push(`event ${i}: event name ${name}`);
      const lines = events[i].split('\n').filter(l => !l.startsWith('event:'));
      events[i] = [`event: ${name}`, ...lines].join('\n');
      break;
    }
  }
  return { text: joinSse(events), bytes: undefined };
}

/** Byte-level damage: invalid UTF-8, a truncation at any byte, a flipped byte. */
export function mutateBytes(rng, bytes, log) {
  const kind = rng.weighted([
    ['utf8', 4],
    ['truncate', 4],
    ['flip', 2],
  ]);
  if (bytes.length === 0) return bytes;
  const at = rng.int(bytes.length + 1);
  switch (kind) {
    case 'utf8': {
      const bad = rng.pick(INVALID_UTF8);
      log.push(`invalid UTF-8 ${bad.map(b => b.toString(16)).join(' ')} at byte ${at}`);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)]);
    }
    case 'truncate':
      log.push(`truncate at byte ${at} of ${bytes.length}`);
      return bytes.subarray(0, at);
    default: {
      const copy = Buffer.from(bytes);
      const i = Math.min(at, copy.length - 1);
      copy[i] ^= 1 << rng.int(8);
      log.push(`flip a bit of byte ${i}`);
      return copy;
    }
  }
}

/** 1 to 4 mutations of an SSE body; returns the bytes to serve. */
export function mutateStream(rng, body, log) {
  let text = body;
  let bytes;
  const rounds = rng.weighted([
    [1, 50],
    [2, 30],
    [3, 15],
    [4, 5],
  ]);
  for (let r = 0; r < rounds; r++) {
    if (bytes === undefined && rng.chance(0.8)) {
      ({ text } = mutateSse(rng, text, log));
    } else {
      bytes = mutateBytes(rng, bytes ?? Buffer.from(text, 'utf8'), log);
    }
  }
  return bytes ?? Buffer.from(text, 'utf8');
}

/**
 * Splits bytes into chunks of random sizes (down to single bytes, to split UTF-8 sequences), at
 * most about 256 of them, so a megabyte body is not written a byte at a time.
 */
export function chunked(rng, bytes) {
  const chunks = [];
  let at = 0;
  const small = rng.chance(0.3);
  const floor = Math.ceil(bytes.length / 256);
  while (at < bytes.length) {
    const size = Math.max(floor, small ? rng.between(1, 16) : rng.between(1, 4096));
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

const TEXT_DAMAGE = [
  ['', 'empty body'],
  ['null', 'null'],
  ['[]', 'an array'],
  ['"approved"', 'a string'],
  ['42', 'a number'],
  ['<html><body>502 Bad Gateway</body></html>', 'an HTML page'],
  ['{"error":"internal"}', 'an error envelope'],
];

/**
 * 1 to 3 mutations of a JSON reply body: mostly value-level (`mutateJson`), sometimes text-level
 * (another document, a BOM or garbage around it, a duplicated key, truncation, invalid UTF-8).
 */
export function mutateBody(rng, text, log) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  let out = text;
  const rounds = rng.weighted([
    [1, 55],
    [2, 30],
    [3, 15],
  ]);
  for (let r = 0; r < rounds; r++) {
    const kind = rng.weighted([
      ['json', 70],
      ['replace', 6],
      ['wrap', 6],
      ['duplicate-key', 6],
      ['bytes', 12],
    ]);
    if (kind === 'json' && value !== undefined) {
      try {
        value = mutateJson(rng, value, log);
        out = stringifyJson(value);
      } catch {
        // Too deep to walk: keep the body of the previous round.
      }
    } else if (kind === 'replace') {
      const [body, what] = rng.pick(TEXT_DAMAGE);
      log.push(`body replaced by ${what}`);
      return Buffer.from(body, 'utf8');
    } else if (kind === 'wrap') {
      const [before, after] = rng.pick([
        ['\ufeff', ''],
        ['', '\n\n'],
        ['  ', 'garbage'],
        ['', '}'],
        [")]}',\n", ''],
      ]);
      log.push(`body wrapped in ${JSON.stringify(before)} … ${JSON.stringify(after)}`);
      out = `${before}${out}${after}`;
    } else if (kind === 'duplicate-key') {
      const key = rng.pick(['approved', 'context_id', 'policies', 'block_reason']);
      const dup = JSON.stringify(rng.pick([false, true, null, 'x', [], 0]));
      log.push(`duplicate key ${key}: ${dup} first`);
      out = out.replace(/^\s*\{/, `{"${key}":${dup},`);
    } else {
      return mutateBytes(rng, Buffer.from(out, 'utf8'), log);
    }
  }
  return Buffer.from(out, 'utf8');
}
