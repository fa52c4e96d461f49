/**
 * `axonflow-otel doctor`: checks the configuration the register entry would use, from the same
 * environment and through the same settings layer, and says plainly what would happen at run time.
 *
 * Checks: Node version; every variable we read (secrets hidden, URLs masked); every invalid
 * setting (all of them, each as a FAIL line); which instrumentations are enabled; the agent's
 * health and version; which LLM SDKs the app can load and whether their versions are supported;
 * whether the OTLP endpoint answers (HTTP POST, or a TCP connect for gRPC).
 *
 * The verdict says whether LLM calls would be governed and whether they would be traced, and
 * never claims either when it would not happen. "ready" (exit 0) only when both would, with no
 * problem found; anything else exits 1.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { AxonFlowClient } from '../../client/client.js';
import { configFromEnv } from '../../client/config.js';
import {
  PROVIDER_MODULES,
  SUPPORTED_VERSIONS,
  satisfies,
} from '../../instrumentation/instrumentation.js';
import type { Provider } from '../../instrumentation/types.js';
import { MIN_NODE, nodeSupported } from '../../notices/node-version.js';
import { type RegisterSettings, readRegisterSettings } from '../../register/settings.js';
import { maskUrl } from '../../settings/mask.js';
import { tracesEndpoint } from '../../settings/read.js';
import { VARIABLES } from '../../settings/variables.js';
import { type Command, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Io } from '../command.js';

const HELP = `Usage: axonflow-otel doctor [--cwd DIR]

Checks what \`node --import axonflow-otel/register\` would do with the current environment:
Node version, AXONFLOW_* and OTEL_* variables (secrets hidden, URLs masked), every invalid
setting, the agent's health, the LLM SDKs installed for the app in DIR (default: the current
directory), and the OTLP endpoint (HTTP, or a TCP connect for gRPC).
The verdict says whether LLM calls would be governed and traced.
Exits 0 only when both would happen and nothing is wrong; 1 otherwise.`;

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Check the configuration, the agent, the SDKs and the exporter endpoint',
  help: HELP,
  run,
};

type Env = Record<string, string | undefined>;

const SECRET_NAME = /SECRET|LICENSE|TOKEN|KEY|HEADERS|PASSWORD/;
const PREFIXES = ['AXONFLOW_', 'OTEL_'];
const CONNECT_TIMEOUT_MS = 2000;
/** Secret values shorter than this are not searched for in the output (they would match words). */
const MIN_REDACTED_LENGTH = 4;

const KNOWN = new Set<string>(Object.keys(VARIABLES));

/** Variable names doctor lists: ours, every OTEL_* and AXONFLOW_* one, and DO_NOT_TRACK. */
function listedNames(env: Env): string[] {
  return Object.keys(env)
    .filter(n => env[n] !== undefined && (KNOWN.has(n) || PREFIXES.some(p => n.startsWith(p))))
    .sort();
}

function isSecretName(name: string): boolean {
  const variable = (VARIABLES as Record<string, { secret?: boolean }>)[name];
  return variable?.secret === true || SECRET_NAME.test(name);
}

function looksLikeUrl(value: string): boolean {
  return /^\s*[a-z][a-z0-9+.-]*:\/\//i.test(value);
}

/** Control characters and escapes shown as JSON escapes, so a value cannot rewrite the terminal. */
function printable(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is what it looks for
  return /[\x00-\x1f\x7f-\x9f]/.test(value) ? JSON.stringify(value) : value;
}

/** How a variable's value is shown: secrets hidden, URLs masked, the rest as is. */
export function maskValue(name: string, value: string): string {
  if (isSecretName(name)) return `set (${value.length} chars, hidden)`;
  if (looksLikeUrl(value)) {
    let url: URL;
    try {
      url = new URL(value.trim());
    } catch {
      return `set (${value.length} chars, not a valid URL, hidden)`;
    }
    const masked = maskUrl(url);
    return masked === url.href ? printable(value) : masked;
  }
  return printable(value);
}

/**
 * A last line of defence applied to every line doctor prints: the raw value of each secret
 * variable is replaced, each URL value by its masked form, and the credentials and secret-looking
 * query values inside URL values by `***`. Messages from the settings layer quote the raw value of
 * a non-secret variable, which for a URL may carry `user:pass@` or `?api_key=`.
 */
function redactor(env: Env): (text: string) => string {
  const pairs: [string, string][] = [];
  const add = (from: string, to: string) => {
    if (from.length >= MIN_REDACTED_LENGTH && from !== to && !pairs.some(([f]) => f === from))
      pairs.push([from, to]);
  };
  for (const name of listedNames(env)) {
    const raw = env[name] ?? '';
    const value = raw.trim();
    if (value === '') continue;
    if (isSecretName(name)) {
      add(raw, '(hidden)');
      add(value, '(hidden)');
      add(JSON.stringify(raw).slice(1, -1), '(hidden)');
      continue;
    }
    if (!looksLikeUrl(value)) continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      add(raw, '(hidden)');
      add(value, '(hidden)');
      continue;
    }
    const masked = maskUrl(url);
    if (masked === url.href) continue; // nothing in it to hide
    add(JSON.stringify(raw).slice(1, -1), masked);
    add(raw, masked);
    add(value, masked);
    // Pieces of the URL quoted elsewhere (a derived URL, a message): the user info and each
    // secret query parameter, replaced with their names kept.
    if (url.username || url.password)
      add(
        `${url.username}${url.password ? `:${url.password}` : ''}@`,
        `${url.username ? '***' : ''}${url.password ? ':***' : ''}@`,
      );
    const maskedUrl = new URL(masked);
    for (const pair of url.search.slice(1).split('&')) {
      const key = pair.split('=')[0] ?? '';
      if (!pair.includes('=') || maskedUrl.searchParams.get(safeDecode(key)) !== '***') continue;
      add(pair, `${key}=***`);
    }
  }
  // Longest first, so a value is never half-replaced by a shorter one it contains.
  pairs.sort((a, b) => b[0].length - a[0].length);
  return text => pairs.reduce((out, [from, to]) => out.replaceAll(from, to), text);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Runs `fn` with our stderr notices off: doctor prints every setting problem itself, masked. */
function quietly<T>(fn: () => T): T {
  const before = process.env.AXONFLOW_NOTICES;
  process.env.AXONFLOW_NOTICES = 'off';
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.AXONFLOW_NOTICES;
    else process.env.AXONFLOW_NOTICES = before;
  }
}

function errorCode(err: unknown): string {
  const e = err as { code?: string; cause?: { code?: string }; name?: string };
  return e?.code ?? e?.cause?.code ?? e?.name ?? 'no answer';
}

/** Undefined when something answers an HTTP POST at `url` (any status); the error code otherwise. */
async function httpAnswers(url: URL): Promise<string | undefined> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
    });
    await res.body.dump();
    return undefined;
  } catch (err) {
    return errorCode(err);
  }
}

/** Undefined when `url`'s host:port accepts a TCP connection; the error code otherwise. */
function tcpAccepts(url: URL): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise(resolve => {
    const socket = connect({ host, port });
    const done = (result: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => done('ETIMEDOUT'), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => done(undefined));
    socket.once('error', err => done(errorCode(err)));
  });
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

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "a", "a and b", "a, b and c". */
function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
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
  const env: Env = process.env;
  const redact = redactor(env);
  const out = (line: string) => io.out(redact(line));
  /** Short names of the problems, for the verdict line. */
  const failures: string[] = [];
  const ok = (line: string) => out(`  ok    ${line}`);
  const warn = (line: string) => out(`  warn  ${line}`);
  const info = (line: string) => out(`  -     ${line}`);
  const fail = (short: string, line: string) => {
    out(`  FAIL  ${line}`);
    failures.push(short);
  };
  // Why LLM calls would not be governed / traced / patched at all; empty when they would be.
  const notGoverned: string[] = [];
  const notTraced: string[] = [];
  const notStarted: string[] = [];

  out('Runtime');
  if (nodeSupported()) ok(`Node ${process.versions.node} (>= ${MIN_NODE})`);
  else {
    fail(
      `Node ${process.versions.node}`,
      `Node ${process.versions.node} is older than ${MIN_NODE}: the register entry loads nothing, calls are NOT governed or traced; upgrade Node`,
    );
    notStarted.push(`Node ${process.versions.node} is older than ${MIN_NODE}`);
  }

  out('Variables');
  const names = listedNames(env);
  if (names.length === 0) info('(none set: defaults apply)');
  for (const name of names) {
    out(`        ${name}=${maskValue(name, env[name] ?? '')}`);
    if (name.startsWith('AXONFLOW_') && !KNOWN.has(name))
      warn(`${name} is not a variable axonflow-otel reads: a typo? It is ignored`);
  }

  out('Configuration');
  const settings: RegisterSettings = readRegisterSettings(env);
  for (const problem of settings.problems) fail(`${problem.name} is invalid`, problem.message);
  if (settings.problems.length === 0) ok('every setting is valid');

  const families = Object.keys(PROVIDER_MODULES) as Provider[];
  const providers = families.filter(p => settings.components.has(p));
  if (providers.length === 0) {
    fail(
      'no LLM instrumentation enabled',
      `no LLM client family is enabled (${families.join(', ')}; OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS): the register entry patches nothing`,
    );
    notStarted.push('every LLM client family is disabled');
  } else ok(`instrumentations: ${[...settings.components].join(', ')}`);

  let client: AxonFlowClient | undefined;
  if (!settings.governance) {
    const critical = settings.problems.find(p => p.critical);
    const why = critical ? `${critical.name} is invalid` : 'AXONFLOW_GOVERNANCE=off';
    if (!critical) warn('AXONFLOW_GOVERNANCE=off: no policy checks and no audit, tracing only');
    notGoverned.push(why);
  } else {
    try {
      // configFromEnv reads through the same settings layer; its notices would repeat (unmasked)
      // the problems printed above.
      client = quietly(() => new AxonFlowClient({ ...configFromEnv(env), telemetry: false }));
      ok(
        `governance on: agent ${maskUrl(client.endpoint)} (mode ${client.mode}, client id ${client.clientId})`,
      );
      if (!settings.components.has('axonflow-audit'))
        warn('axonflow-audit is disabled: calls are checked but no audit records are sent');
    } catch (err) {
      fail(
        'the client would not start',
        `${(err as Error).message}: the register entry would not start, calls are NOT governed or traced`,
      );
      notStarted.push('the AxonFlow client configuration is invalid');
    }
  }

  if (settings.sdkDisabled) {
    warn('OTEL_SDK_DISABLED=true: calls are still governed, but no spans are made or exported');
    notTraced.push('OTEL_SDK_DISABLED=true');
  } else if (settings.tracesExporters.length === 0) {
    warn('OTEL_TRACES_EXPORTER=none: spans are made but never exported');
    notTraced.push('OTEL_TRACES_EXPORTER=none');
  } else {
    const otlp = settings.tracesExporters.includes('otlp') ? ` (OTLP ${settings.protocol})` : '';
    ok(`traces exporter: ${settings.tracesExporters.join(', ')}${otlp}`);
    if (settings.all.OTEL_TRACES_SAMPLER === 'always_off') {
      warn('OTEL_TRACES_SAMPLER=always_off: no span is ever sampled');
      notTraced.push('OTEL_TRACES_SAMPLER=always_off');
    } else if (settings.all.OTEL_TRACES_SAMPLER === 'parentbased_always_off')
      warn(
        'OTEL_TRACES_SAMPLER=parentbased_always_off: only calls under a sampled parent span (from an incoming request) are traced',
      );
  }

  if (client) {
    out('Agent');
    const health = await client.healthCheck();
    if (health.status === 'healthy') {
      ok(
        `healthy${health.version ? `, version ${health.version}` : ''} (${health.latencyMs.toFixed(1)} ms)`,
      );
    } else {
      const consequence =
        client.mode === 'production'
          ? 'calls would fail open (NOT governed)'
          : 'calls would fail with an error (AXONFLOW_MODE=sandbox)';
      fail(
        `agent ${health.status}`,
        `agent ${health.status}: ${health.error ?? 'no answer'}; ${consequence}; start the agent or set AXONFLOW_AGENT_URL`,
      );
      notGoverned.push(`the agent is ${health.status}`);
    }
    await client.close();
  }

  out('LLM SDKs');
  const requireFromApp = createRequire(join(cwd, 'package.json'));
  const sdks = families.flatMap(provider =>
    PROVIDER_MODULES[provider].map(module => ({
      provider,
      module,
      ranges: SUPPORTED_VERSIONS[provider] as readonly string[],
    })),
  );
  const patched: string[] = [];
  for (const sdk of sdks) {
    let version: string | undefined;
    try {
      version = installedVersion(requireFromApp, sdk.module);
    } catch {
      info(`${sdk.module}: not installed`);
      continue;
    }
    const supported = sdk.ranges.join(' || ');
    const enabled = settings.components.has(sdk.provider);
    if (!enabled) {
      info(`${sdk.module} ${version ?? '?'}: not patched (${sdk.provider} is disabled)`);
    } else if (version === undefined) {
      warn(`${sdk.module}: version unknown, patched as supported (supported: ${supported})`);
      patched.push(sdk.module);
    } else if (sdk.ranges.some(r => satisfies(version, r))) {
      ok(`${sdk.module} ${version} (supported: ${supported})`);
      patched.push(sdk.module);
    } else {
      fail(
        `${sdk.module} ${version} unsupported`,
        `${sdk.module} ${version} is outside the supported range ${supported}: it will not be patched, its calls are NOT governed or traced`,
      );
    }
  }
  if (patched.length === 0 && providers.length > 0) {
    fail(
      'no supported LLM SDK',
      `no enabled LLM SDK in a supported version can be loaded from ${cwd}: nothing would be patched`,
    );
    notStarted.push('no enabled LLM SDK in a supported version is installed');
  }

  if (!settings.sdkDisabled && settings.tracesExporters.includes('otlp')) {
    out('Exporter');
    const endpoint = tracesEndpoint(settings.all);
    const shown = maskUrl(endpoint);
    if (endpoint.username || endpoint.password)
      warn(
        'the OTLP endpoint carries credentials in the URL: send them with OTEL_EXPORTER_OTLP_HEADERS instead',
      );
    const grpc = settings.protocol === 'grpc';
    const error = grpc ? await tcpAccepts(endpoint) : await httpAnswers(endpoint);
    if (error === undefined) ok(`${shown} ${grpc ? 'accepts connections (gRPC)' : 'answers'}`);
    else {
      fail(
        'the OTLP endpoint does not answer',
        `${shown} ${grpc ? 'does not accept connections (gRPC)' : 'does not answer'} (${error}): start a Collector there or set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER=none)`,
      );
      if (!settings.tracesExporters.includes('console'))
        notTraced.push('the OTLP endpoint does not answer');
    }
  }

  out('');
  const problemsText =
    failures.length === 0
      ? ''
      : `${plural(failures.length, 'problem')} to fix (FAIL lines above): ${failures.join('; ')}`;
  if (notStarted.length > 0) {
    out(
      `Verdict: NOT ready: LLM calls would be NOT governed, NOT traced (${notStarted.join('; ')}).${problemsText ? ` ${problemsText}.` : ''}`,
    );
    return EXIT_FAILURE;
  }
  const governed = notGoverned.length === 0;
  const traced = notTraced.length === 0;
  const subject = `${listing(patched)} calls`;
  if (governed && traced && failures.length === 0) {
    out(
      `Verdict: ready. \`node --import axonflow-otel/register app.mjs\` will govern and trace ${subject}${settings.components.has('axonflow-audit') ? '' : ' (no audit records: axonflow-audit is disabled)'}.`,
    );
    return EXIT_OK;
  }
  const g = governed ? 'governed' : `NOT governed (${notGoverned.join('; ')})`;
  const t = traced ? 'traced' : `NOT traced (${notTraced.join('; ')})`;
  // What does happen first: "governed, NOT traced", "traced, NOT governed".
  const state =
    governed && traced
      ? `governed and traced, but ${problemsText}`
      : `${traced && !governed ? `${t}, ${g}` : `${g}, ${t}`}${problemsText ? `. ${problemsText}` : ''}`;
  out(`Verdict: NOT ready: ${subject} would be ${state}.`);
  return EXIT_FAILURE;
}
