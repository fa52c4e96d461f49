/**
 * `axonflow-otel doctor`: checks the configuration the register entry would use, from the same
 * environment, and says plainly what is wrong. Checks: Node version; every variable we read
 * (secrets masked); that the settings parse; the agent's health and version; which LLM SDKs the
 * app can load and whether their versions are supported; whether the OTLP endpoint answers.
 * Exits 1 when something would keep governance or export from working.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { AxonFlowClient } from '../../client/client.js';
import { configFromEnv } from '../../client/config.js';
import { SUPPORTED_VERSIONS } from '../../instrumentation/instrumentation.js';
import { readSettings } from '../../register/settings.js';
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io } from '../command.js';

const HELP = `Usage: axonflow-otel doctor [--cwd DIR]

Checks what \`node --import axonflow-otel/register\` would do with the current environment:
Node version, AXONFLOW_* and OTEL_* variables (secrets masked), the agent's health, the LLM SDKs
installed for the app in DIR (default: the current directory), and the OTLP endpoint.
Exits 1 on a problem.`;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check the configuration, the agent, the SDKs and the exporter endpoint',
  help: HELP,
  run,
};

const SECRET = /SECRET|LICENSE|TOKEN|KEY|HEADERS|PASSWORD/;
const PREFIXES = ['AXONFLOW_', 'OTEL_'];
const MIN_NODE = [22, 15] as const;

/** `set (n chars)` for secrets; the value otherwise. */
export function maskValue(name: string, value: string): string {
  return SECRET.test(name) ? `set (${value.length} chars, hidden)` : value;
}

function satisfiesRange(version: string, range: string): boolean {
  // Ranges here are ">=A.B.C <D"; compare numerically, ignoring pre-release tags.
  const parse = (v: string) => v.split(/[.-]/).slice(0, 3).map(Number);
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  const v = parse(version);
  return range.split(/\s+/).every(part => {
    const m = /^(>=|<=|<|>)?(.+)$/.exec(part);
    if (!m) return true;
    const c = cmp(v, parse(m[2] ?? '0'));
    switch (m[1]) {
      case '>=':
        return c >= 0;
      case '<=':
        return c <= 0;
      case '<':
        return c < 0;
      case '>':
        return c > 0;
      default:
        return c === 0;
    }
  });
}

async function endpointAnswers(url: string): Promise<string | undefined> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(2000),
    });
    await res.body.dump();
    return undefined; // any HTTP answer means something listens there
  } catch (err) {
    const e = err as { code?: string; cause?: { code?: string }; name?: string };
    return e.code ?? e.cause?.code ?? e.name ?? 'no answer';
  }
}

/** The installed version of `name` as the app would load it (packages need not export package.json). */
function installedVersion(requireFromApp: NodeJS.Require, name: string): string | undefined {
  let dir = dirname(requireFromApp.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name) return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function run(args: string[], io: Io): Promise<number> {
  let cwd = process.cwd();
  try {
    const { values } = parseArgs({
      args,
      options: { cwd: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.out(HELP);
      return EXIT_OK;
    }
    if (values.cwd) cwd = values.cwd;
  } catch (err) {
    io.err(`axonflow-otel doctor: ${(err as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const env = process.env;
  const problems: string[] = [];
  const ok = (line: string) => io.out(`  ok    ${line}`);
  const warn = (line: string) => io.out(`  warn  ${line}`);
  const fail = (line: string) => {
    io.out(`  FAIL  ${line}`);
    problems.push(line);
  };

  io.out('Runtime');
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]))
    ok(`Node ${process.versions.node}`);
  else fail(`Node ${process.versions.node} is older than ${MIN_NODE.join('.')}: upgrade Node`);

  io.out('Variables');
  const names = Object.keys(env)
    .filter(n => PREFIXES.some(p => n.startsWith(p)))
    .sort();
  if (names.length === 0) io.out('  (none set: defaults apply)');
  for (const name of names) io.out(`        ${name}=${maskValue(name, env[name] ?? '')}`);

  io.out('Configuration');
  let settings: ReturnType<typeof readSettings> | undefined;
  let client: AxonFlowClient | undefined;
  try {
    settings = readSettings(env);
    if (settings.disabled) warn('OTEL_SDK_DISABLED=true: the register entry does nothing');
    ok(
      `traces exporter: ${settings.tracesExporters.join(', ') || 'none'}${settings.tracesExporters.includes('otlp') ? ` (${settings.protocol})` : ''}`,
    );
    ok(
      `components: ${[...settings.components].join(', ') || 'none'}; governance ${settings.governance ? 'on' : 'off'}`,
    );
    if (settings.governance) {
      client = new AxonFlowClient({ ...configFromEnv(env), telemetry: false });
      ok(`agent endpoint ${client.endpoint} (mode ${client.mode}, client id ${client.clientId})`);
    }
  } catch (err) {
    fail((err as Error).message);
  }

  if (client) {
    io.out('Agent');
    const health = await client.healthCheck();
    if (health.status === 'healthy') {
      ok(
        `healthy${health.version ? `, version ${health.version}` : ''} (${health.latencyMs.toFixed(1)} ms)`,
      );
    } else {
      fail(
        `agent ${health.status}: ${health.error ?? 'no answer'}. In production mode calls would fail open (ungoverned); start the agent or set AXONFLOW_AGENT_URL`,
      );
    }
    await client.close();
  }

  io.out('LLM SDKs');
  const requireFromApp = createRequire(join(cwd, 'package.json'));
  const sdks = [
    { module: 'openai', ranges: SUPPORTED_VERSIONS.openai },
    { module: '@anthropic-ai/sdk', ranges: SUPPORTED_VERSIONS.anthropic },
  ];
  let found = 0;
  for (const sdk of sdks) {
    let version: string | undefined;
    try {
      version = installedVersion(requireFromApp, sdk.module);
    } catch {
      io.out(`  -     ${sdk.module}: not installed`);
      continue;
    }
    found++;
    if (version && sdk.ranges.some(r => satisfiesRange(version, r)))
      ok(`${sdk.module} ${version} (supported: ${sdk.ranges.join(' || ')})`);
    else
      fail(
        `${sdk.module} ${version ?? '?'} is outside the supported range ${sdk.ranges.join(' || ')}: it will not be patched`,
      );
  }
  if (found === 0) warn(`no supported LLM SDK found from ${cwd}: nothing would be patched`);

  if (settings?.tracesExporters.includes('otlp') && settings.protocol !== 'grpc') {
    io.out('Exporter');
    const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '') ?? 'http://localhost:4318';
    const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${base}/v1/traces`;
    const error = await endpointAnswers(url);
    if (error === undefined) ok(`${url} answers`);
    else
      fail(
        `${url} does not answer (${error}): start a Collector there or set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER=none)`,
      );
  }

  io.out('');
  if (problems.length === 0) {
    io.out(
      'Verdict: ready. `node --import axonflow-otel/register app.mjs` will govern and trace LLM calls.',
    );
    return EXIT_OK;
  }
  io.out(
    `Verdict: ${problems.length} problem${problems.length === 1 ? '' : 's'} to fix (FAIL lines above).`,
  );
  return EXIT_FAILURE;
}
