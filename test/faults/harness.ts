/**
 * End-to-end fault harness: each case gets its own sandbox (the model, and the agent unless a
 * scripted agent plays it), its own OTLP receiver, and runs a fixture app from `apps/` as a child
 * process under the register entry. Every run is checked for leaked credentials: the fake keys
 * below must never appear in the app's output, the exported spans or the audit records.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.js';
import { type ChildResult, ROOT, runNode, scaled } from '../helpers/child.js';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  startOtlpReceiver,
} from '../helpers/otlp-receiver.js';
import { type Handler, type ScriptedAgent, startScriptedAgent } from '../helpers/scripted-agent.js';

export const BUILT =
  existsSync(join(ROOT, 'dist/esm/register/index.js')) &&
  existsSync(join(ROOT, 'dist/commonjs/register/index.js'));

export const APPS = 'test/faults/apps';
export const IMPORT = ['--import', 'axonflow-otel/register'];
export const REQUIRE = ['--require', 'axonflow-otel/register'];

export const CLIENT_ID = 'faults-app';
/** Recognisable fake credentials; none may ever leave the process except towards their owner. */
export const SECRETS = {
  OPENAI_API_KEY: 'sk-proj-FAKEopenai0k3y7c1e',
  ANTHROPIC_API_KEY: 'sk-ant-api03-FAKEanthr0pic9d2f',
  AXONFLOW_CLIENT_SECRET: 'axf-FAKEcl1entSecret5b8a',
  AXONFLOW_LICENSE_KEY: 'AXL-FAKEl1cense-3e6c',
} as const;
const BASIC_AUTH = Buffer.from(`${CLIENT_ID}:${SECRETS.AXONFLOW_CLIENT_SECRET}`).toString('base64');
const FORBIDDEN = [...Object.values(SECRETS), BASIC_AUTH];

/** The text of every sandbox model reply starts with this: completion text, never a span value. */
export const REPLY_PREFIX = 'Sandbox reply to';

/**
 * Children started at once, across the suite: each loads the OpenTelemetry SDK (a CPU-bound
 * second or so), and a starved child would blur the deadlines the cases check.
 */
const MAX_CHILDREN = availableParallelism() + 1;
let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(body: () => Promise<T>): Promise<T> {
  if (running >= MAX_CHILDREN) await new Promise<void>(resolve => waiting.push(resolve));
  running++;
  try {
    return await body();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Per-test timeout of the suite: children wait for a slot, then run for a few seconds. */
export const CASE_TIMEOUT = 120_000;

export interface CallResult {
  tag?: number;
  ms: number;
  at: number;
  ok: boolean;
  content?: string;
  finish?: string;
  usage?: Record<string, unknown>;
  error?: {
    name?: string;
    code?: string;
    status?: number;
    message: string;
    blockReason?: string;
    policies?: string[];
  };
}

export interface AppRun extends ChildResult {
  /** The app's summary: its last JSON line. */
  out: any;
}

export interface WorldOptions {
  /** A scripted agent plays the AxonFlow agent; otherwise the sandbox's agent does. */
  agent?: Handler;
  sandbox?: SandboxOptions;
  /** Use this OTLP endpoint instead of a decoding receiver. */
  otlpEndpoint?: string;
}

export interface RunOptions {
  flags?: string[];
  env?: Record<string, string>;
  /** Kill the child if it has not exited by then. @default 30000 */
  deadlineMs?: number;
}

export interface World {
  sandbox: Sandbox;
  scripted: ScriptedAgent | undefined;
  receiver: OtlpReceiver;
  agentUrl: string;
  spans(): ReceivedSpan[];
  named(name: string): ReceivedSpan[];
  /** Runs `apps/<app>` under the register entry (or `flags`), then scans for leaked credentials. */
  run(app: string, options?: RunOptions): Promise<AppRun>;
  /** Runs `apps/<app>` with plain `node`: the uninstrumented behaviour to compare against. */
  bare(app: string, env?: Record<string, string>): Promise<AppRun>;
  close(): Promise<void>;
}

export async function world(options: WorldOptions = {}): Promise<World> {
  const sandbox = await startSandbox(options.sandbox);
  const scripted = options.agent ? await startScriptedAgent(options.agent) : undefined;
  const receiver = await startOtlpReceiver();
  const agentUrl = scripted?.url ?? sandbox.agentUrl;

  const baseEnv = (): Record<string, string> => ({
    ...SECRETS,
    AXONFLOW_AGENT_URL: agentUrl,
    AXONFLOW_CLIENT_ID: CLIENT_ID,
    OPENAI_BASE_URL: sandbox.modelUrl,
    ANTHROPIC_BASE_URL: sandbox.url,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: options.otlpEndpoint ?? `${receiver.url}/v1/traces`,
    OTEL_SERVICE_NAME: 'faults-app',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_BSP_MAX_QUEUE_SIZE: '20000',
    AXONFLOW_TIMEOUT_MS: '1000',
    // The exit flush's budget (3 s by default), scaled: the OTLP receiver lives in the busy test
    // process, and a span it answers late must not read as one that could not be delivered.
    AXONFLOW_EXIT_FLUSH_TIMEOUT_MS: String(scaled(10_000)),
  });

  const spawnApp = async (
    args: string[],
    env: Record<string, string>,
    deadlineMs: number,
  ): Promise<AppRun> => {
    const child = await slot(() => runNode(args, env, deadlineMs));
    // The app's summary is its last line that parses as JSON (diagnostics may follow it).
    let out: unknown;
    for (const line of child.stdout.trim().split('\n').reverse()) {
      if (!line.startsWith('{')) continue;
      try {
        out = JSON.parse(line);
        break;
      } catch {
        // not the summary
      }
    }
    if (out === undefined) {
      throw new Error(
        `${args.join(' ')} printed no JSON line (exit ${child.code})\nstdout: ${child.stdout}\nstderr: ${child.stderr}`,
      );
    }
    return { ...child, out };
  };

  const w: World = {
    sandbox,
    scripted,
    receiver,
    agentUrl,
    spans: () => receiver.spans,
    named: name => receiver.spans.filter(s => s.name === name),
    async run(app, runOptions = {}) {
      const env = { ...baseEnv(), ...runOptions.env };
      const run = await spawnApp(
        [...(runOptions.flags ?? IMPORT), `${APPS}/${app}`],
        env,
        runOptions.deadlineMs ?? 30_000,
      );
      expectNoSecrets(w, run);
      return run;
    },
    bare(app, env = {}) {
      return spawnApp([`${APPS}/${app}`], { ...baseEnv(), ...env }, 60_000);
    },
    async close() {
      await Promise.all([sandbox.close(), scripted?.close(), receiver.close()]);
    },
  };
  return w;
}

/** Runs `body` with a fresh world, closed afterwards whatever happens. */
export async function withWorld<T>(
  options: WorldOptions,
  body: (w: World) => Promise<T>,
): Promise<T> {
  const w = await world(options);
  try {
    return await body(w);
  } finally {
    await w.close();
  }
}

/**
 * One world and what `body` does in it, shared by several tests: started by the first test that
 * asks for it, closed once every test of the file is done.
 */
export function shared<T>(
  options: WorldOptions,
  body: (w: World) => Promise<T>,
): () => Promise<{ w: World; value: T }> {
  let opened: World | undefined;
  let started: Promise<{ w: World; value: T }> | undefined;
  afterAll(async () => {
    await opened?.close();
  });
  return () => {
    started ??= (async () => {
      opened = await world(options);
      return { w: opened, value: await body(opened) };
    })();
    return started;
  };
}

/** No fake credential in stdout, stderr, any exported span or any audit record. */
export function expectNoSecrets(w: World, run: ChildResult): void {
  const places: [string, string][] = [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
    ['exported spans', JSON.stringify(w.spans())],
    ['audit records', JSON.stringify(w.sandbox.audits())],
  ];
  for (const [where, text] of places) {
    for (const secret of FORBIDDEN) {
      expect(text.includes(secret), `${where} contain a credential (${secret.slice(0, 8)}…)`).toBe(
        false,
      );
    }
  }
}

/**
 * Every string the spans themselves carry: names, attribute values (arrays flattened) and status
 * messages. The resource (process and host facts) is left out.
 */
export function exportedStrings(spans: ReceivedSpan[]): string[] {
  const out: string[] = [];
  const add = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(add);
  };
  for (const s of spans) {
    out.push(s.name);
    if (s.status.message) out.push(s.status.message);
    Object.values(s.attributes).forEach(add);
  }
  return out;
}

/** The call spans (`chat …`), keyed by the tag the app sent as `seed` / `top_k`. */
export function chatSpansByTag(w: World): Map<number, ReceivedSpan> {
  const byTag = new Map<number, ReceivedSpan>();
  for (const s of w.spans()) {
    if (!s.name.startsWith('chat')) continue;
    const tag = s.attributes['gen_ai.request.seed'] ?? s.attributes['gen_ai.request.top_k'];
    if (typeof tag === 'number') byTag.set(tag, s);
  }
  return byTag;
}

export function childrenOf(w: World, parent: ReceivedSpan): ReceivedSpan[] {
  return w.spans().filter(s => s.parentSpanId === parent.spanId);
}

/** What an app saw of its calls, without the fields that differ between runs. */
export function outcomes(results: CallResult[]): unknown[] {
  return results.map(({ ms: _ms, at: _at, ...rest }) => rest);
}

/** A free loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/** The JSON text of a CALLS list for `apps/calls.mjs`. */
export function calls(steps: unknown[]): string {
  return JSON.stringify(steps);
}
