#!/usr/bin/env node
/**
 * Entry point of the `axonflow-otel` command (package `bin`). Everything is in `main.ts`; this
 * file only wires it to the process, after checking the Node.js version: on one too old for the
 * package it prints one line (and `doctor` its verdict) without loading anything that needs a
 * newer Node. No top-level await: the package also builds as CommonJS.
 */
import { nodeSupported, unsupportedNodeLine } from '../notices/node-version.js';

const EXIT_FAILURE = 1;

if (!nodeSupported()) {
  console.error(`axonflow-otel: ${unsupportedNodeLine()}`);
  if (process.argv[2] === 'doctor')
    console.log(
      `Verdict: NOT ready: Node.js ${process.versions.node} is too old for axonflow-otel.`,
    );
  process.exitCode = EXIT_FAILURE;
} else {
  import('./main.js')
    .then(({ main }) =>
      import('./command.js').then(({ consoleIo }) => main(process.argv.slice(2), consoleIo)),
    )
    .then(
      code => {
        process.exitCode = code;
      },
      err => {
        console.error('axonflow-otel:', err instanceof Error ? err.message : err);
        process.exitCode = EXIT_FAILURE;
      },
    );
}
