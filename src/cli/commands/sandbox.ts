/**
 * `axonflow-otel sandbox`: runs the local AxonFlow-compatible agent and deterministic model until
 * SIGINT/SIGTERM, printing where they listen and the environment variables that point SDKs and
 * examples at them. A second signal during shutdown exits at once.
 */
import { parseArgs } from 'node:util';
import { startSandbox } from '../../sandbox/index.js';
import { readSettings, tracesEndpoint, tracesProtocol } from '../../settings/read.js';

/** Where the agent's decision spans go: the OTLP endpoint of the environment, when one is set. */
function decisionTracesFromEnv(): string | undefined {
  const { settings, given } = readSettings(process.env);
  const set =
    given.has('OTEL_EXPORTER_OTLP_ENDPOINT') || given.has('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (!set || tracesProtocol(settings) === 'grpc') return undefined;
  return tracesEndpoint(settings).href;
}

import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io } from '../command.js';

/** The AxonFlow SDKs' default endpoint is http://localhost:8080, so that works unchanged. */
export const DEFAULT_PORT = 8080;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

const HELP = `Usage: axonflow-otel sandbox [--port N] [--host H] [--audit-file F]

Runs a local AxonFlow-compatible agent (community mode: policy pre-check, audit, proxy requests
with AXON streaming, plans, connectors) and a deterministic OpenAI/Anthropic-compatible model on
one port, until Ctrl+C. For development and tests; it is not the AxonFlow platform.

Options:
  -p, --port N        Port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
      --host H        Interface to bind (default 127.0.0.1). The sandbox has no auth.
      --audit-file F  Append every audit record to F as a JSON line
  -h, --help          Show this help`;

export const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'Run a local AxonFlow-compatible agent and a deterministic model',
  help: HELP,
  run,
};

async function run(args: string[], io: Io): Promise<number> {
  let values: { port?: string; host?: string; 'audit-file'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        'audit-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.err(`axonflow-otel sandbox: ${(err as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    io.out(HELP);
    return EXIT_OK;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || values.port === '') {
    io.err(
      `axonflow-otel sandbox: --port must be an integer from 0 to 65535, got '${values.port}'`,
    );
    return EXIT_USAGE;
  }
  const host = values.host ?? '127.0.0.1';
  const auditFile = values['audit-file'];

  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    const decisionTracesUrl = decisionTracesFromEnv();
    sandbox = await startSandbox({
      port,
      host,
      ...(auditFile ? { auditFile } : {}),
      ...(decisionTracesUrl ? { decisionTracesUrl } : {}),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE' ? `port ${port} is already in use (try --port 0)` : String(err);
    io.err(`axonflow-otel sandbox: cannot start: ${why}`);
    return EXIT_FAILURE;
  }

  if (!LOOPBACK.has(host)) {
    io.err(
      `warning: listening on ${host}; the sandbox has no authentication, anyone who can reach it can use it`,
    );
  }
  io.out(`AxonFlow sandbox listening on ${sandbox.url}`);
  io.out(`  agent: ${sandbox.agentUrl}`);
  io.out(`  model: ${sandbox.modelUrl} (OpenAI-compatible; Anthropic clients use ${sandbox.url})`);
  io.out(
    `  other clients: give them ${sandbox.url} as their base URL or endpoint (Gemini, Bedrock, Vertex AI, Mistral, Cohere, Groq; see docs/sandbox.md)`,
  );
  if (auditFile) io.out(`  audit file: ${auditFile}`);
  io.out(
    `Point your app at it: AXONFLOW_AGENT_URL=${sandbox.agentUrl} OPENAI_BASE_URL=${sandbox.modelUrl} ` +
      `ANTHROPIC_BASE_URL=${sandbox.url} OPENAI_API_KEY=sandbox ANTHROPIC_API_KEY=sandbox`,
  );
  io.out('Press Ctrl+C to stop.');

  const signal = await new Promise<NodeJS.Signals>(resolve => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(sig);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const force = () => {
    io.err('axonflow-otel sandbox: forced exit');
    process.exit(EXIT_FAILURE);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  io.out(`Received ${signal}, shutting down…`);
  await sandbox.close();
  process.off('SIGINT', force);
  process.off('SIGTERM', force);
  io.out('Sandbox stopped.');
  return EXIT_OK;
}
