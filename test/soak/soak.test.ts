/**
 * A short soak of the zero-code path (soak/run.mjs): 2,500 mixed OpenAI / Anthropic calls from
 * a child app under `--import axonflow-otel/register`, against the sandbox with agent outages and
 * model faults, checked for unhandled errors, span accounting, audit accounting, heap and sockets.
 * `npm run soak` runs the same driver with 50,000 calls. Needs the built package.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runNode } from '../helpers/child.js';

const built =
  existsSync(join(ROOT, 'dist/esm/register/index.js')) &&
  existsSync(join(ROOT, 'dist/esm/sandbox/index.js'));

interface SoakSummary {
  ok: boolean;
  failed: string[];
  calls: number;
  callsPerSecond: number;
  governedCalls: number;
  audit: {
    queued: number;
    inFlight: number;
    exported: number;
    dropped: number;
    skipped: number;
    failed: number;
  };
  spans: { chat: number; duplicateIds: number };
  heapGrowthMB: number;
  unhandledRejections: number;
  uncaughtExceptions: number;
  chaos: { outages: Record<string, number> };
}

describe.skipIf(!built)('soak', () => {
  it('keeps every span, audit record, byte of heap and socket accounted for through outages', async () => {
    const run = await runNode(
      [
        '--expose-gc',
        'soak/run.mjs',
        '--calls',
        '2500',
        // Short cycles, so that even a fast run sees every kind of outage.
        '--up-ms',
        '700',
        '--down-ms',
        '400',
        '--quiet',
        // The burst and drain phases have their own tests (test/gate/load, test/gate/shutdown).
        '--burst',
        '0',
        '--no-drain-check',
      ],
      {},
      // A backstop, not a speed limit (the run takes ~20 s on an idle 2-core machine).
      240_000,
    );
    const last = run.stdout.trim().split('\n').at(-1) ?? '';
    const summary = JSON.parse(last) as SoakSummary;
    expect(summary.failed, `${run.stdout}\n${run.stderr}`).toEqual([]);
    expect(run.code).toBe(0);
    expect(summary.ok).toBe(true);
    expect(summary.calls).toBe(2500);
    expect(summary.spans.chat).toBe(2500);
    expect(summary.spans.duplicateIds).toBe(0);
    expect(summary.unhandledRejections + summary.uncaughtExceptions).toBe(0);
    const a = summary.audit;
    expect(a.exported + a.dropped + a.skipped + a.failed).toBe(summary.governedCalls);
    expect(a.queued + a.inFlight).toBe(0);
    expect(summary.heapGrowthMB).toBeLessThanOrEqual(10);
    // The run saw the agent reset connections, answer 503 and hang.
    expect(summary.chaos.outages.reset).toBeGreaterThan(0);
    expect(summary.chaos.outages.unavailable).toBeGreaterThan(0);
    expect(summary.chaos.outages.stall).toBeGreaterThan(0);
  }, 300_000);
});
