import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'vitest-report.json' }]],
    // Backstops against hangs, not speed limits: a busy machine must not fail a test. Speed is
    // measured by `npm run bench`.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Fail the run on unhandled rejections from any test: our code must never leak one.
    dangerouslyIgnoreUnhandledErrors: false,
    env: {
      // Tests never reach the internet: the telemetry heartbeat is off unless a test points it at loopback.
      AXONFLOW_TELEMETRY: 'off',
    },
  },
});
