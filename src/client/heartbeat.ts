/**
 * Telemetry heartbeat: at most one anonymous ping per machine every 7 days, wire-compatible with
 * the official AxonFlow SDKs (payload and endpoint, `AXONFLOW_CHECKPOINT_URL` override).
 *
 * - Machine gate: the mtime of a stamp file in the OS cache folder (`axonflow/`), written only
 *   after a 2xx, through a temporary file and a rename.
 * - Process gate: one check per process, shared by every client (and by both builds of this
 *   package, through a `Symbol.for` global).
 * - Never blocks or breaks the caller: it runs in the background, within a 3 s budget, through the
 *   client's `AgentTransport` (one small pool per request, destroyed after it, tracing suppressed,
 *   replies capped at 1 MiB), with its deadline timer and sockets unref'd so a process with
 *   nothing else to do exits anyway (the ping is then simply retried by a later process).
 * - Opt-out: `AXONFLOW_TELEMETRY` or `DO_NOT_TRACK` in the one boolean vocabulary (`off`/`false`/
 *   `0`/`no`, and any true `DO_NOT_TRACK`), which also skips the /health probe,
 *   or `telemetry: false` in the client config.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readSettings, telemetryAllowed } from '../settings/read.js';
import { isLoopbackHost, type Mode } from './config.js';
import { type AgentReply, AgentTransport } from './transport.js';
import { PACKAGE_VERSION } from './version.js';

export const DEFAULT_CHECKPOINT_URL = 'https://checkpoint.getaxonflow.com/v1/ping';
const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;
const STAMP_NAME = 'axonflow-otel-telemetry-last-sent';
/** Largest reply read from the agent's /health or the checkpoint. */
const MAX_REPLY_BYTES = 1024 * 1024;
const PROCESS_GATE = Symbol.for('axonflow-otel.heartbeat.started');

type Env = Record<string, string | undefined>;

export interface HeartbeatOptions {
  endpoint: URL;
  mode: Mode;
  env?: Env;
  platform?: NodeJS.Platform;
  /** Folder that holds `axonflow/`; derived from the environment when absent. */
  cacheDir?: string | undefined;
  now?: () => number;
  budgetMs?: number;
}

export type HeartbeatOutcome = 'sent' | 'opted_out' | 'recent' | 'failed';

/** True when the environment opts out of telemetry. */
export function telemetryOptedOut(env: Env): boolean {
  return !telemetryAllowed(readSettings(env).settings);
}

/** The OS cache folder, or undefined when none can be resolved (then only the process gate applies). */
export function osCacheDir(
  env: Env,
  platform: NodeJS.Platform = process.platform,
): string | undefined {
  const home = env.HOME || safeHomedir();
  if (platform === 'win32') return env.LOCALAPPDATA || undefined;
  if (platform === 'darwin') return home ? join(home, 'Library', 'Caches') : undefined;
  if (env.XDG_CACHE_HOME) return env.XDG_CACHE_HOME;
  return home ? join(home, '.cache') : undefined;
}

function safeHomedir(): string | undefined {
  try {
    return homedir() || undefined;
  } catch {
    return undefined;
  }
}

/** Starts the heartbeat once per process, in the background. Never throws. */
export function scheduleHeartbeat(options: HeartbeatOptions): void {
  const g = globalThis as Record<symbol, unknown>;
  const env = options.env ?? process.env;
  if (g[PROCESS_GATE] || telemetryOptedOut(env)) return;
  g[PROCESS_GATE] = true;
  runHeartbeat(options).catch(() => undefined);
}

/** One heartbeat check: gates, optional /health probe, ping, stamp. Exported for tests. */
export async function runHeartbeat(options: HeartbeatOptions): Promise<HeartbeatOutcome> {
  const env = options.env ?? process.env;
  if (telemetryOptedOut(env)) return 'opted_out';
  const now = options.now ?? Date.now;
  const budgetEnd = now() + (options.budgetMs ?? 3000);
  const base = options.cacheDir ?? osCacheDir(env, options.platform);
  const stampDir = base ? join(base, 'axonflow') : undefined;
  const stampPath = stampDir ? join(stampDir, STAMP_NAME) : undefined;
  if (stampPath) {
    const last = await stat(stampPath).then(
      s => s.mtimeMs,
      () => undefined,
    );
    if (last !== undefined && now() - last < SEVEN_DAYS_MS) return 'recent';
  }
  const payload: Record<string, unknown> = {
    telemetry_type: 'sdk',
    sdk: 'typescript',
    sdk_version: PACKAGE_VERSION,
    os: options.platform ?? process.platform,
    arch: process.arch,
    runtime_version: process.versions.node,
    deployment_mode: 'self_hosted',
    endpoint_type: classifyEndpoint(options.endpoint),
    features: ['adapter:opentelemetry'],
    instance_id: randomUUID(),
  };
  if (options.mode === 'sandbox') payload.stream = 'sandbox';
  const healthBudget = Math.min(1000, budgetEnd - now());
  if (healthBudget >= 100) {
    const health = await send(
      'GET',
      new URL('health', withSlash(options.endpoint)),
      undefined,
      healthBudget,
    );
    if (health && health.status >= 200 && health.status < 300) enrich(payload, health.body);
  }
  const left = budgetEnd - now();
  if (left < 100) return 'failed';
  // An invalid AXONFLOW_CHECKPOINT_URL is reported by the settings layer; the default is kept.
  const target =
    readSettings(env).settings.AXONFLOW_CHECKPOINT_URL ?? new URL(DEFAULT_CHECKPOINT_URL);
  const reply = await send('POST', target, payload, left);
  if (!reply || reply.status < 200 || reply.status >= 300) return 'failed';
  if (stampDir && stampPath) {
    try {
      await mkdir(stampDir, { recursive: true });
      const tmp = `${stampPath}.${process.pid}.tmp`;
      await writeFile(tmp, `last_sent=${new Date(now()).toISOString()}\n`);
      await rename(tmp, stampPath);
    } catch {
      // A read-only cache folder only means the next process pings again.
    }
  }
  return 'sent';
}

function withSlash(url: URL): URL {
  return url.pathname.endsWith('/') ? url : new URL(`${url.href}/`);
}

export function classifyEndpoint(url: URL | undefined): string {
  if (!url?.hostname) return 'unknown';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopbackHost(host) || host === '0.0.0.0') return 'localhost';
  if (
    /\.(local|internal|lan|intranet)$/.test(host) ||
    /^10\./.test(host) ||
    /^192\.168\./.test(host) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(host) ||
    /^169\.254\./.test(host) ||
    /^f[cd][0-9a-f]{2}:/.test(host) ||
    /^fe80:/.test(host)
  ) {
    return 'private_network';
  }
  return 'remote';
}

function enrich(payload: Record<string, unknown>, health: unknown): void {
  if (typeof health !== 'object' || health === null) return;
  const fields: [string, string][] = [
    ['version', 'platform_version'],
    ['tier', 'license_tier'],
    ['edition', 'edition'],
    ['deployment_mode', 'platform_deployment_mode'],
  ];
  for (const [from, to] of fields) {
    const value = (health as Record<string, unknown>)[from];
    if (typeof value === 'string' && value.length > 0 && Buffer.byteLength(value) <= 64)
      payload[to] = value;
  }
}

/**
 * One HTTP exchange within `timeoutMs`, on a transport of its own (one unref'd connection, closed
 * after it); resolves undefined on any failure. No credentials: only `accept` and, with a body,
 * `content-type`.
 */
async function send(
  method: 'GET' | 'POST',
  url: URL,
  body: Record<string, unknown> | undefined,
  timeoutMs: number,
): Promise<AgentReply | undefined> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let transport: AgentTransport | undefined;
  try {
    transport = new AgentTransport({
      origin: url.origin,
      connections: 1,
      maxResponseBytes: MAX_REPLY_BYTES,
      headers,
      basePath: '',
      unref: true,
    });
    // AbortSignal.timeout's timer does not keep the process alive.
    return await transport.send(
      method,
      url.pathname + url.search,
      body,
      AbortSignal.timeout(timeoutMs),
      timeoutMs,
    );
  } catch {
    return undefined;
  } finally {
    transport?.destroy().catch(() => undefined);
  }
}
