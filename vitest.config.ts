import { defineConfig } from 'vitest/config';

/**
 * `AXONFLOW_TEST_TIME_SCALE` (a positive number, default 1) multiplies every deadline of the
 * tests: these timeouts and the child-process deadlines of `test/helpers/child.ts`, which reads it
 * the same way (`readTimeScale`). Set it to 2 or 3 on a slow or shared machine.
 */
function readTimeScale(raw: string | undefined): number {
  const value = raw === undefined || raw.trim() === '' ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? value : 1;
}

const timeScale = readTimeScale(process.env.AXONFLOW_TEST_TIME_SCALE);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Three test files at a time on any machine (vitest's default is one per core minus one: a
    // single worker on 2 cores). Most files wait on child processes and loopback I/O rather than
    // on the CPU, and their deadlines measure progress, not time (test/helpers/child.ts).
    maxWorkers: 3,
    reporters: ['default', ['json', { outputFile: 'vitest-report.json' }]],
    // Backstops against hangs, not speed limits: a busy machine must not fail a test. Speed is
    // measured by `npm run bench`. A child process is stopped before its test's limit, with a
    // message naming it (test/helpers/child.ts).
    testTimeout: Math.round(120_000 * timeScale),
    hookTimeout: Math.round(60_000 * timeScale),
    // Fail the run on unhandled rejections from any test: our code must never leak one.
    dangerouslyIgnoreUnhandledErrors: false,
    env: {
      // Tests never reach the internet: the telemetry heartbeat is off unless a test points it at loopback.
      AXONFLOW_TELEMETRY: 'off',
      // The scale as read here, so that the tests use the same one.
      AXONFLOW_TEST_TIME_SCALE: String(timeScale),
    },
  },
});
