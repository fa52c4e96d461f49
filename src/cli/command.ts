/**
 * The contract every `axonflow-otel` subcommand implements, and the I/O it writes through, so
 * commands can be added (`demo`, `doctor`, …) by adding one entry to the table in `main.ts`.
 */

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full help text, shown by `axonflow-otel <name> --help`. */
  help: string;
  /** Resolves with the process exit code. */
  run(args: string[], io: Io): Promise<number>;
}

/** Exit codes: success, failure at run time, wrong usage. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const consoleIo: Io = {
  out: line => console.log(line),
  err: line => console.error(line),
};
