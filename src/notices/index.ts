/**
 * The notices part: one plain stderr line whenever calls go unchecked (fail-open, an agent that
 * refuses our credentials, an SDK that could not be patched or is outside the supported range)
 * or a setting is invalid. A governance product must never be silent about not governing, so
 * these lines do not depend on an OpenTelemetry diagnostic logger being configured;
 * `OTEL_LOG_LEVEL` still controls the detailed diagnostics. `AXONFLOW_NOTICES=off` silences them.
 *
 * Each kind of notice is rate-limited by its key (once a minute by default, once per process for
 * configuration), with the state on a `Symbol.for` global so both builds of the package share it.
 */
import { parseBoolean } from '../settings/variables.js';

const STATE = Symbol.for('axonflow-otel.notices');
const DEFAULT_WINDOW_MS = 60_000;

interface NoticeState {
  lastAt: Map<string, number>;
  /** Lines suppressed by the window since the last one printed, per key. */
  suppressed: Map<string, number>;
}

const g = globalThis as Record<symbol, NoticeState | undefined>;
g[STATE] ??= { lastAt: new Map(), suppressed: new Map() };
const state: NoticeState = g[STATE];

export interface NoticeOptions {
  /** Shortest time between two lines of the same key. `Infinity`: once per process. @default 60000 */
  everyMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

function enabled(): boolean {
  const raw = process.env.AXONFLOW_NOTICES;
  if (raw === undefined || raw.trim() === '') return true;
  const parsed = parseBoolean(raw);
  return parsed.ok ? parsed.value : true;
}

/**
 * Prints `axonflow-otel: <line>` on stderr unless a line of the same key was printed within the
 * window. Never throws. Returns whether the line was printed.
 */
export function notice(key: string, line: string, options: NoticeOptions = {}): boolean {
  try {
    const now = (options.now ?? Date.now)();
    const every = options.everyMs ?? DEFAULT_WINDOW_MS;
    const last = state.lastAt.get(key);
    if (last !== undefined && (every === Number.POSITIVE_INFINITY || now - last < every)) {
      state.suppressed.set(key, (state.suppressed.get(key) ?? 0) + 1);
      return false;
    }
    // Read only when a line is due: a dead agent's calls reach here on every call.
    if (!enabled()) return false;
    const skipped = state.suppressed.get(key) ?? 0;
    state.lastAt.set(key, now);
    state.suppressed.delete(key);
    const more = skipped > 0 ? ` (${skipped} more since the last such line)` : '';
    process.stderr.write(`axonflow-otel: ${line}${more}\n`);
    return true;
  } catch {
    return false;
  }
}

/** Forgets every window (tests). */
export function resetNotices(): void {
  state.lastAt.clear();
  state.suppressed.clear();
}
