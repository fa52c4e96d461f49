/**
 * Rate-limited stderr notices, on a clock the test moves: windows are checked to the millisecond
 * without waiting for real time to pass.
 */
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { notice, resetNotices } from '../../src/notices/index.js';

let lines: string[];
let write: MockInstance<typeof process.stderr.write>;

beforeEach(() => {
  resetNotices();
  lines = [];
  write = vi.spyOn(process.stderr, 'write').mockImplementation(chunk => {
    lines.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  write.mockRestore();
  vi.useRealTimers();
  vi.unstubAllEnvs();
  resetNotices();
});

describe('notices', () => {
  it('prints one prefixed line, then nothing more of the same key within the window', () => {
    let t = 5_000;
    const now = () => t;
    expect(notice('agent-down', 'calls proceed NOT governed', { everyMs: 1_000, now })).toBe(true);
    t += 999;
    expect(notice('agent-down', 'calls proceed NOT governed', { everyMs: 1_000, now })).toBe(false);
    expect(lines).toEqual(['axonflow-otel: calls proceed NOT governed\n']);
  });

  it('prints again once the window has passed, counting the lines it held back', () => {
    let t = 5_000;
    const now = () => t;
    notice('agent-down', 'first', { everyMs: 1_000, now });
    for (let i = 0; i < 3; i++) {
      t += 300;
      expect(notice('agent-down', 'held back', { everyMs: 1_000, now })).toBe(false);
    }
    t = 5_000 + 1_000;
    expect(notice('agent-down', 'second', { everyMs: 1_000, now })).toBe(true);
    // The window starts again from the line printed, and the count from zero.
    t += 1_000;
    expect(notice('agent-down', 'third', { everyMs: 1_000, now })).toBe(true);
    expect(lines).toEqual([
      'axonflow-otel: first\n',
      'axonflow-otel: second (3 more since the last such line)\n',
      'axonflow-otel: third\n',
    ]);
  });

  it('limits each key to a line a minute on the wall clock by default', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    expect(notice('fail-open', 'a')).toBe(true);
    vi.advanceTimersByTime(59_999);
    expect(notice('fail-open', 'b')).toBe(false);
    vi.advanceTimersByTime(1);
    expect(notice('fail-open', 'c')).toBe(true);
    expect(lines).toEqual([
      'axonflow-otel: a\n',
      'axonflow-otel: c (1 more since the last such line)\n',
    ]);
  });

  it('keeps each key to its own window', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    expect(notice('one', 'from one')).toBe(true);
    expect(notice('two', 'from two')).toBe(true);
    expect(notice('one', 'from one again')).toBe(false);
    expect(lines).toEqual(['axonflow-otel: from one\n', 'axonflow-otel: from two\n']);
  });

  it('prints a once-per-process line only once, however much time passes', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const once = { everyMs: Number.POSITIVE_INFINITY };
    expect(notice('config', 'AXONFLOW_MODE="prod" is not a mode', once)).toBe(true);
    vi.advanceTimersByTime(365 * 24 * 3600 * 1000);
    expect(notice('config', 'AXONFLOW_MODE="prod" is not a mode', once)).toBe(false);
    expect(lines).toHaveLength(1);
  });

  it('is silenced by AXONFLOW_NOTICES=off without starting a window', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.stubEnv('AXONFLOW_NOTICES', 'off');
    expect(notice('fail-open', 'hidden')).toBe(false);
    expect(lines).toEqual([]);
    // Switched back on, the line is due at once: the silenced one did not count as printed.
    vi.stubEnv('AXONFLOW_NOTICES', 'on');
    expect(notice('fail-open', 'shown')).toBe(true);
    expect(lines).toEqual(['axonflow-otel: shown\n']);
  });

  it('never throws, even when stderr does', () => {
    write.mockImplementation(() => {
      throw new Error('EPIPE');
    });
    expect(notice('broken-pipe', 'lost')).toBe(false);
  });
});
