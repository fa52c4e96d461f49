import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyEndpoint, osCacheDir, runHeartbeat } from '../../src/client/heartbeat.js';
import { scaled } from '../helpers/child.js';
import { json, type ScriptedAgent, startScriptedAgent } from '../helpers/scripted-agent.js';

let checkpoint: ScriptedAgent;
let cacheDir: string;
const stamp = () => join(cacheDir, 'axonflow', 'axonflow-otel-telemetry-last-sent');

beforeEach(async () => {
  checkpoint = await startScriptedAgent((req, res) =>
    req.path === '/health'
      ? json(res, 200, { status: 'healthy', version: '9.9.9', tier: 'community', edition: 'oss' })
      : json(res, 200, { latest_version: null, alerts: [] }),
  );
  cacheDir = await mkdtemp(join(tmpdir(), 'axonflow-hb-'));
});

afterEach(async () => {
  await checkpoint.close();
  await rm(cacheDir, { recursive: true, force: true });
});

function run(env: Record<string, string> = {}, mode: 'production' | 'sandbox' = 'production') {
  return runHeartbeat({
    endpoint: new URL(checkpoint.url),
    mode,
    env: { AXONFLOW_CHECKPOINT_URL: `${checkpoint.url}/v1/ping`, ...env },
    cacheDir,
  });
}

describe('telemetry heartbeat', () => {
  it('pings once with the documented payload and writes the stamp after a 2xx', async () => {
    // A generic ORG_ID variable of the environment is not ours to send.
    expect(await run({ ORG_ID: 'org-7' }, 'sandbox')).toBe('sent');
    const ping = checkpoint.requests.find(r => r.path === '/v1/ping')!;
    const payload = JSON.parse(ping.body);
    expect(payload).toMatchObject({
      telemetry_type: 'sdk',
      sdk: 'typescript',
      os: process.platform,
      arch: process.arch,
      deployment_mode: 'self_hosted',
      endpoint_type: 'localhost',
      stream: 'sandbox',
      platform_version: '9.9.9',
      license_tier: 'community',
      edition: 'oss',
    });
    expect(payload.instance_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.org_id).toBeUndefined();
    // Only fields the README's "The telemetry heartbeat" lists.
    const documented = new Set([
      'telemetry_type',
      'sdk',
      'sdk_version',
      'os',
      'arch',
      'runtime_version',
      'deployment_mode',
      'endpoint_type',
      'features',
      'instance_id',
      'stream',
      'platform_version',
      'license_tier',
      'edition',
      'platform_deployment_mode',
    ]);
    expect(Object.keys(payload).filter(k => !documented.has(k))).toEqual([]);
    expect(ping.body).not.toContain('org-7');
    expect(ping.headers.authorization).toBeUndefined();
    expect(await readFile(stamp(), 'utf8')).toMatch(/^last_sent=\d{4}-/);
  });

  it('omits stream in production mode', async () => {
    await run();
    const payload = JSON.parse(checkpoint.requests.find(r => r.path === '/v1/ping')!.body);
    expect(payload.stream).toBeUndefined();
  });

  it('does not ping again within 7 days of the stamp', async () => {
    await mkdir(join(cacheDir, 'axonflow'), { recursive: true });
    await writeFile(stamp(), 'last_sent=x');
    expect(await run()).toBe('recent');
    expect(checkpoint.count()).toBe(0);
  });

  it('pings again once the stamp is older than 7 days', async () => {
    await mkdir(join(cacheDir, 'axonflow'), { recursive: true });
    await writeFile(stamp(), 'last_sent=x');
    const old = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    await utimes(stamp(), old, old);
    expect(await run()).toBe('sent');
    expect((await stat(stamp())).mtimeMs).toBeGreaterThan(old.getTime());
  });

  it('writes no stamp when the ping fails', async () => {
    checkpoint.handle((_q, r) => json(r, 500, {}));
    expect(await run()).toBe('failed');
    await expect(stat(stamp())).rejects.toThrow();
  });

  it('treats a redirect as a failure, never as a delivery', async () => {
    checkpoint.handle((_q, r) => {
      r.writeHead(302, { location: 'http://127.0.0.1:1/' });
      r.end();
    });
    expect(await run()).toBe('failed');
    await expect(stat(stamp())).rejects.toThrow();
  });

  it.each([
    [{ AXONFLOW_TELEMETRY: 'off' }],
    [{ AXONFLOW_TELEMETRY: ' OFF ' }],
    [{ DO_NOT_TRACK: '1' }],
    [{ AXONFLOW_TELEMETRY: 'false' }],
    [{ AXONFLOW_TELEMETRY: '0' }],
    [{ AXONFLOW_TELEMETRY: 'no' }],
    [{ DO_NOT_TRACK: 'true' }],
    [{ DO_NOT_TRACK: 'yes' }],
  ])('sends nothing at all when opted out with %o', async env => {
    expect(await run(env)).toBe('opted_out');
    expect(checkpoint.count()).toBe(0);
  });

  it('stays within its budget when the checkpoint hangs', async () => {
    checkpoint.handle(req => {
      if (req.path === '/health') return;
    });
    const started = performance.now();
    const outcome = await runHeartbeat({
      endpoint: new URL(checkpoint.url),
      mode: 'production',
      env: { AXONFLOW_CHECKPOINT_URL: `${checkpoint.url}/v1/ping` },
      cacheDir,
      budgetMs: 400,
    });
    expect(outcome).toBe('failed');
    // The budget went on /health: no ping was attempted after it.
    expect(checkpoint.count('/health')).toBe(1);
    expect(checkpoint.count('/v1/ping')).toBe(0);
    // Gave up at its 400 ms budget, not at the 3 s default; the bound is generous, as a busy
    // machine is slow.
    expect(performance.now() - started).toBeLessThan(scaled(1500));
  });

  it('spends no leg of the budget that has less than 100 ms left (clock of the test)', async () => {
    let clock = 1_000_000;
    const now = () => clock;
    checkpoint.handle((req, res) => {
      // /health answers at once, but the test's clock says it took 301 ms of the 400.
      if (req.path === '/health') clock += 301;
      json(res, 200, { status: 'healthy' });
    });
    const options = {
      endpoint: new URL(checkpoint.url),
      mode: 'production' as const,
      env: { AXONFLOW_CHECKPOINT_URL: `${checkpoint.url}/v1/ping` },
      cacheDir,
      now,
    };
    expect(await runHeartbeat({ ...options, budgetMs: 400 })).toBe('failed');
    expect(checkpoint.count('/health')).toBe(1);
    expect(checkpoint.count('/v1/ping')).toBe(0);
    // A budget under 100 ms skips /health as well.
    expect(await runHeartbeat({ ...options, budgetMs: 99 })).toBe('failed');
    expect(checkpoint.count()).toBe(1);
    await expect(stat(stamp())).rejects.toThrow();
  });

  it('reads at most 1 MiB of /health, and still pings without its fields', async () => {
    checkpoint.handle((req, res) => {
      if (req.path !== '/health') return json(res, 200, {});
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"version":"9.9.9","pad":"`);
      res.end(`${' '.repeat(2 * 1024 * 1024)}"}`);
    });
    expect(await run()).toBe('sent');
    const ping = checkpoint.requests.find(r => r.path === '/v1/ping')!;
    expect(JSON.parse(ping.body).platform_version).toBeUndefined();
    expect(ping.headers['content-type']).toBe('application/json');
    const health = checkpoint.requests.find(r => r.path === '/health')!;
    expect(health.headers.authorization).toBeUndefined();
    expect(health.headers['content-type']).toBeUndefined();
  });

  it('resolves the OS cache folder per platform', () => {
    expect(osCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }, 'linux')).toBe('/x');
    expect(osCacheDir({ HOME: '/h' }, 'linux')).toBe('/h/.cache');
    expect(osCacheDir({ HOME: '/h' }, 'darwin')).toBe('/h/Library/Caches');
    expect(osCacheDir({ LOCALAPPDATA: 'C:\\AppData' }, 'win32')).toBe('C:\\AppData');
  });

  it('classifies endpoints without sending the URL', () => {
    expect(classifyEndpoint(new URL('http://localhost:8080'))).toBe('localhost');
    expect(classifyEndpoint(new URL('http://10.1.2.3'))).toBe('private_network');
    expect(classifyEndpoint(new URL('http://agent.internal'))).toBe('private_network');
    expect(classifyEndpoint(new URL('https://agent.example.com'))).toBe('remote');
  });
});
