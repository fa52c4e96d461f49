/**
 * Runs a Node child process from the project root and collects its output, with deadlines that
 * tell a hung child from a slow one.
 *
 * Time scale: `AXONFLOW_TEST_TIME_SCALE` (a positive number, default 1) multiplies the tests'
 * deadlines: the children's here and vitest's test and hook timeouts (`vitest.config.ts`). Set it
 * to 2 or 3 on a slow or shared machine.
 *
 * The deadline rule for a child:
 * - `timeoutMs` (scaled) is how long the child may go without progress. Progress is output on
 *   stdout or stderr, or CPU time (at least 1% of the window, read from `/proc` where there is
 *   one). A busy machine slows a child down but does not stop it, so it is not killed for being
 *   slow. A child that makes no progress for a whole window is hung: it is killed, and the error
 *   names the command, what the test was waiting for and the output so far.
 * - Whatever its progress, a child is stopped shortly before the running test's own time limit,
 *   so that the failure is this message rather than a bare "Test timed out". (Concurrent tests
 *   share vitest's notion of the current test, so there the windows alone apply, at most ten.)
 *   No child outlives the test process.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestRunner } from 'vitest';

// Real clocks and timers, taken before any test can install fake ones.
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realSetInterval = globalThis.setInterval;
const realClearInterval = globalThis.clearInterval;
const wallNow = Date.now;

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Reads a time scale: a positive finite number, else 1. `vitest.config.ts` reads it the same way. */
export function readTimeScale(raw: string | undefined): number {
  const value = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? value : 1;
}

export const TIME_SCALE = readTimeScale(process.env.AXONFLOW_TEST_TIME_SCALE);

/** A test deadline (a backstop, never a speed limit), scaled for the machine. */
export function scaled(ms: number): number {
  return Math.round(ms * TIME_SCALE);
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** How long the child may go without progress, in ms before scaling. @default 60000 */
  timeoutMs?: number;
  /** What the test is waiting for, named when the child is killed. @default "it to exit" */
  waitingFor?: string;
}

const DEFAULT_WINDOW_MS = 60_000;
/** How often progress is sampled. */
const SAMPLE_MS = 500;
/** CPU time that counts as progress, as a share of the window. */
const CPU_SHARE = 0.01;
/** Without a test time limit to bound it, a child gets at most this many windows. */
const MAX_WINDOWS = 10;
/** How long to wait for the output pipes to close once the child has exited. */
const PIPE_GRACE_MS = 5_000;
/** Output kept in an error message, per stream. */
const TAIL_CHARS = 4_000;

/** Children still running, killed if the test process exits first. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function runNode(
  args: string[],
  env: Record<string, string>,
  options: number | RunOptions = {},
): Promise<ChildResult> {
  const { timeoutMs = DEFAULT_WINDOW_MS, waitingFor = 'it to exit' } =
    typeof options === 'number' ? { timeoutMs: options } : options;
  const window = scaled(timeoutMs);
  const command = `node ${args.join(' ')}`;
  const stopAt = testStopAt() ?? wallNow() + MAX_WINDOWS * window;

  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        AXONFLOW_TELEMETRY: 'off',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let settled = false;
    let lastProgressAt = wallNow();
    let cpuAtProgress = cpuMs(child.pid) ?? 0;
    const cpuStep = Math.max(20, window * CPU_SHARE);

    live.add(child);
    const finish = (outcome: { result: ChildResult } | { error: Error }) => {
      if (settled) return;
      settled = true;
      realClearInterval(sampler);
      realClearTimeout(cap);
      realClearTimeout(grace);
      live.delete(child);
      if ('result' in outcome) resolve(outcome.result);
      else reject(outcome.error);
    };
    const kill = (why: string) => {
      if (settled) return;
      child.kill('SIGKILL');
      finish({
        error: new Error(
          `${command}: ${why}, while waiting for ${waitingFor}; killed it. ` +
            `A slow machine can set AXONFLOW_TEST_TIME_SCALE (now ${TIME_SCALE}).\n` +
            `stdout: ${tail(stdout)}\nstderr: ${tail(stderr)}`,
        ),
      });
    };

    child.stdout.on('data', d => {
      stdout += d;
      lastProgressAt = wallNow();
    });
    child.stderr.on('data', d => {
      stderr += d;
      lastProgressAt = wallNow();
    });

    const sampler = realSetInterval(
      () => {
        const now = wallNow();
        const cpu = cpuMs(child.pid);
        if (cpu !== undefined && cpu - cpuAtProgress >= cpuStep) {
          cpuAtProgress = cpu;
          lastProgressAt = now;
        }
        const idle = now - lastProgressAt;
        if (idle >= window) {
          const used = cpu === undefined ? 'unknown' : `${Math.round(cpu - cpuAtProgress)} ms`;
          kill(`no output and no work (CPU time ${used}) for ${idle} ms`);
        }
      },
      Math.min(SAMPLE_MS, window),
    );
    const cap = realSetTimeout(
      () =>
        kill(
          `still running, last making progress ${wallNow() - lastProgressAt} ms ago, ` +
            `when the test's time limit was near`,
        ),
      Math.max(0, stopAt - wallNow()),
    );
    let grace: ReturnType<typeof setTimeout> | undefined;

    child.on('error', error => finish({ error }));
    child.on('exit', (code, signal) => {
      live.delete(child);
      realClearInterval(sampler);
      realClearTimeout(cap);
      // Normally 'close' follows once the output is read; a grandchild holding the pipes open
      // must not hold the test.
      grace = realSetTimeout(
        () => finish({ result: { code, signal, stdout, stderr } }),
        scaled(PIPE_GRACE_MS),
      );
    });
    child.on('close', (code, signal) => finish({ result: { code, signal, stdout, stderr } }));
  });
}

/** When to stop a child so that its failure comes before the running test's time limit. */
function testStopAt(): number | undefined {
  const test = TestRunner.getCurrentTest();
  // Among concurrent tests, the "current" one may be another test than the caller.
  if (!test || test.concurrent) return undefined;
  const started = test.result?.startTime;
  if (started === undefined || !(test.timeout > 0)) return undefined;
  const margin = Math.min(5_000, test.timeout * 0.1);
  return started + test.timeout - margin;
}

/** The child's CPU time so far in ms, from `/proc` (Linux); undefined where it cannot be read. */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // First field: time spent on the CPU, in nanoseconds.
    const ns = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    if (Number.isFinite(ns)) return ns / 1e6;
  } catch {
    // no schedstat: try stat
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and
    // 13th, in clock ticks of 10 ms.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
}

function tail(text: string): string {
  return text.length <= TAIL_CHARS ? text : `…${text.slice(-TAIL_CHARS)}`;
}
