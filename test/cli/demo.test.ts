import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runNode } from '../helpers/child.js';

const built = existsSync(join(ROOT, 'dist/esm/cli/index.js'));

describe.skipIf(!built)('axonflow-otel demo', () => {
  it('runs all six steps on the embedded sandbox, prints the traces and audit records, and exits 0', async () => {
    const run = await runNode(['dist/esm/cli/index.js', 'demo', '--no-color'], {});
    // The one line on stderr is the fail-open notice of step 6 (the agent is stopped on purpose).
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^axonflow-otel: calls proceed NOT governed \(fail-open, network\)/),
    ]);
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/PolicyViolationError: Social Security Number/);
    expect(out).toMatch(/tool call get_weather\(\{"city":"Paris"\}\)/);
    expect(out).toMatch(/● chat sandbox-gpt .*decision=deny/);
    expect(out).toMatch(/axonflow\.pre_check .*cache hit/);
    // The sandbox agent's own decision span, in the app's trace, under the pre-check.
    expect(out).toMatch(
      /├─ axonflow\.pre_check .*decision=allow\n {2}│ {2}└─ axonflow\.decision .*decision=allow/,
    );
    expect(out).toMatch(
      /└─ axonflow\.pre_check .*decision=deny.*\n {5}└─ axonflow\.decision .*decision=deny/,
    );
    expect(out).toMatch(/decision=fail_open {2}fail-open: network/);
    expect(out).toMatch(/└─ axonflow\.audit .*audit_id=/);
    expect(out).toMatch(/Model requests: 5 for 6 calls/);
    expect(
      out.match(/openai\/sandbox-gpt|anthropic\/sandbox-claude|gcp\.gemini\/sandbox-gemini/g),
    ).toHaveLength(4);
    expect(out).toMatch(/● generate_content sandbox-gemini .*decision=allow/);
    expect(out).toMatch(/All six steps behaved as governed calls should\./);
    expect(out).not.toContain('\u001b[');
  });
});
