/**
 * `NODE_OPTIONS=--require axonflow-otel/register` applies to every node process, including the
 * ones that run code given on the command line (`node -e`, `node -p`), as package scripts and
 * container health checks do. They must run as they would without us.
 */
import { describe, expect, it } from 'vitest';
import { BUILT } from '../faults/harness.js';
import { runNode } from '../helpers/child.js';

const ENV = {
  AXONFLOW_AGENT_URL: 'http://127.0.0.1:9',
  AXONFLOW_TELEMETRY: 'off',
  OTEL_TRACES_EXPORTER: 'none',
};

describe.skipIf(!BUILT)('code given on the command line, under the register entry', () => {
  it.each([
    ['--require', '-e', "console.log(require('node:path').sep)", '/'],
    ['--require', '-p', '6 * 7', '42'],
    ['--import', '-e', "console.log(require('node:path').sep)", '/'],
    ['--import', '-p', '6 * 7', '42'],
  ])('%s with %s runs and prints its output', async (flag, mode, code, expected) => {
    const run = await runNode([flag, 'axonflow-otel/register', mode, code], ENV, {
      waitingFor: `node ${mode} to print ${expected}`,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(expected);
  });
});
