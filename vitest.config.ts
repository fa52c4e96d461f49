import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'vitest-report.json' }]],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Fail the run on unhandled rejections from any test: our code must never leak one.
    dangerouslyIgnoreUnhandledErrors: false,
    env: {
      // Tests never reach the internet: the telemetry heartbeat is off unless a test points it at loopback.
      AXONFLOW_TELEMETRY: 'off',
    },
  },
});
