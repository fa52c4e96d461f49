/**
 * The `axonflow-otel` dispatcher: finds the subcommand, handles `--help` / `--version` and usage
 * errors. Subcommands live in `commands/`, one file each.
 */
import { PACKAGE_VERSION } from '../client/version.js';
import { type Command, EXIT_OK, EXIT_USAGE, type Io } from './command.js';
import { demoCommand } from './commands/demo.js';
import { doctorCommand } from './commands/doctor.js';
import { sandboxCommand } from './commands/sandbox.js';

export const COMMANDS: readonly Command[] = [demoCommand, doctorCommand, sandboxCommand];

export function usage(): string {
  const width = Math.max(...COMMANDS.map(c => c.name.length));
  return [
    'Usage: axonflow-otel <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    "  -h, --help     Show this help (or a command's help: axonflow-otel <command> --help)",
    '  -v, --version  Show the version',
  ].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? COMMANDS.find(c => c.name === rest[0]) : undefined;
    io.out(topic ? topic.help : usage());
    return EXIT_OK;
  }
  if (first === '-v' || first === '--version') {
    io.out(PACKAGE_VERSION);
    return EXIT_OK;
  }
  const command = COMMANDS.find(c => c.name === first);
  if (!command) {
    io.err(`axonflow-otel: unknown command '${first}'\n\n${usage()}`);
    return EXIT_USAGE;
  }
  return command.run(rest, io);
}
