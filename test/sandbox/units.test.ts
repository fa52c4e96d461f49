import { describe, expect, it } from 'vitest';
import { parseFault } from '../../src/sandbox/faults.js';
import { formatGoDuration } from '../../src/sandbox/http/go-duration.js';
import { generate } from '../../src/sandbox/model/engine.js';
import { countTokens, tokenPieces } from '../../src/sandbox/model/tokenizer.js';

describe('formatGoDuration', () => {
  it.each([
    [0n, '0s'],
    [999n, '999ns'],
    [152_300n, '152.3µs'],
    [1_234_000n, '1.234ms'],
    [2_500_000_000n, '2.5s'],
    [62_500_000_000n, '1m2.5s'],
    [3_600_000_000_000n, '1h0m0s'],
  ])('%s ns → %s', (nanos, text) => {
    expect(formatGoDuration(nanos)).toBe(text);
  });
});

describe('tokenizer', () => {
  it('counts words and punctuation, not spaces', () => {
    expect(countTokens('Hello, world!')).toBe(4);
    expect(countTokens('  ')).toBe(0);
    expect(countTokens('naïve café 42')).toBe(3);
  });

  it('splits into pieces that join back to the text', () => {
    const text = 'Sandbox reply to "hi" (#abc).';
    const pieces = tokenPieces(text);
    expect(pieces.join('')).toBe(text);
    expect(pieces).toHaveLength(countTokens(text));
  });
});

describe('model engine', () => {
  const weather = {
    name: 'get_weather',
    schema: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city', 'unit'],
    },
  };

  it('is deterministic and echoes the prompt', () => {
    const a = generate({
      turns: [{ role: 'user', text: 'hi there' }],
      tools: [],
      toolChoice: { kind: 'auto' },
    });
    const b = generate({
      turns: [{ role: 'user', text: 'hi there' }],
      tools: [],
      toolChoice: { kind: 'auto' },
    });
    expect(a).toEqual(b);
    expect(a.text).toContain('"hi there"');
    expect(a.outputTokens).toBe(countTokens(a.text));
  });

  it('calls a tool the prompt names, with arguments from its schema', () => {
    const gen = generate({
      turns: [{ role: 'user', text: 'Call the get_weather tool for Paris' }],
      tools: [weather],
      toolChoice: { kind: 'auto' },
    });
    expect(gen.finish).toBe('tool_call');
    expect(gen.toolCall?.arguments).toEqual({ city: 'Paris', unit: 'c' });
  });

  it('does not call tools for unrelated prompts, and answers tool results', () => {
    const plain = generate({
      turns: [{ role: 'user', text: 'Write a haiku about the sea' }],
      tools: [weather],
      toolChoice: { kind: 'auto' },
    });
    expect(plain.toolCall).toBeUndefined();
    const after = generate({
      turns: [
        { role: 'user', text: 'weather in Paris?' },
        { role: 'tool', text: '{"temp":21}', toolName: 'get_weather' },
      ],
      tools: [weather],
      toolChoice: { kind: 'auto' },
    });
    expect(after.toolCall).toBeUndefined();
    expect(after.text).toBe('The get_weather tool returned: {"temp":21}');
  });

  it('truncates at maxTokens and says so', () => {
    const gen = generate({
      turns: [{ role: 'user', text: 'tell me a long story' }],
      tools: [],
      toolChoice: { kind: 'auto' },
      maxTokens: 3,
    });
    expect(gen).toMatchObject({ finish: 'length', outputTokens: 3, text: 'Sandbox reply to' });
  });
});

describe('parseFault', () => {
  it('reads statuses and named faults, and nothing else', () => {
    expect(parseFault('429')).toEqual({ kind: 'status', status: 429 });
    expect(parseFault(' CUT ')).toEqual({ kind: 'cut' });
    expect(parseFault('stall-mid')).toEqual({ kind: 'stall-mid' });
    expect(parseFault('200')).toBeUndefined();
    expect(parseFault('explode')).toBeUndefined();
    expect(parseFault(undefined)).toBeUndefined();
  });
});
