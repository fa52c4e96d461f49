/**
 * The fuzz suite (fuzz/run.mjs) at a fixed seed and a few hundred cases per target: mutated SDK
 * streams and replies read with and without instrumentation, AXON dialect streams through the
 * decoder, and pre-check replies through the client. `npm run fuzz` runs 10,000 per target.
 * Findings listed in fuzz/known.mjs are reported but do not fail the run. Needs the built package.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runNode } from '../helpers/child.js';

const built = existsSync(join(ROOT, 'dist/esm/index.js'));
const TARGETS = [
  'openai-chat',
  'openai-responses',
  'anthropic-messages',
  'axon-anthropic',
  'axon-openai',
  'pre-check',
];
const CASES = 300;

interface FuzzSummary {
  ok: boolean;
  targets: Record<string, { cases: number; failures: number }>;
  failures: { target: string; case: number; failure: string; repro: string }[];
}

describe.skipIf(!built)('fuzz, fixed seed', () => {
  it(`reads ${CASES} mutated streams and replies per target without a failure of ours`, async () => {
    const run = await runNode(
      ['fuzz/run.mjs', '--cases', String(CASES), '--seed', '1'],
      {},
      90_000,
    );
    const last = run.stdout.trim().split('\n').at(-1) ?? '';
    const summary = JSON.parse(last) as FuzzSummary;
    expect(summary.failures, run.stdout).toEqual([]);
    expect(run.code).toBe(0);
    for (const target of TARGETS) {
      expect(summary.targets[target]?.cases, target).toBe(CASES);
      expect(summary.targets[target]?.failures, target).toBe(0);
    }
  }, 100_000);
});
