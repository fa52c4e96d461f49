#!/usr/bin/env node
/**
 * Entry point of the `axonflow-otel` command (package `bin`). Everything is in `main.ts`; this
 * file only wires it to the process. No top-level await: the package also builds as CommonJS.
 */
import { consoleIo, EXIT_FAILURE } from './command.js';
import { main } from './main.js';

main(process.argv.slice(2), consoleIo).then(
  code => {
    process.exitCode = code;
  },
  err => {
    console.error('axonflow-otel:', err instanceof Error ? err.message : err);
    process.exitCode = EXIT_FAILURE;
  },
);
