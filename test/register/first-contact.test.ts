/**
 * What a new user meets first, in real child processes under the register entry: an unsupported
 * Node prints one line and the app runs; every invalid setting is named with its fix while an SSN
 * prompt is still denied; calls that go unchecked say so on stderr with no logger configured; a
 * Collector that is not there costs a bounded wait and one line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_NODE, nodeSupported } from '../../src/notices/node-version.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { ROOT, runNode } from '../helpers/child.js';
import { closedPort } from '../helpers/ports.js';

const built =
  existsSync(join(ROOT, 'dist/esm/register/index.js')) &&
  existsSync(join(ROOT, 'dist/commonjs/register/index.js'));

/** A Node older than the package supports: AXONFLOW_TEST_OLD_NODE, or one on PATH. */
function findOldNode(): string | undefined {
  const candidates = [
    process.env.AXONFLOW_TEST_OLD_NODE,
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter(dir => !dir.includes('node_modules'))
      .map(dir => join(dir, 'node')),
  ];
  for (const bin of candidates) {
    if (!bin || !existsSync(bin)) continue;
    try {
      const version = execFileSync(bin, ['-p', 'process.versions.node'], {
        encoding: 'utf8',
      }).trim();
      if (!nodeSupported(version)) return bin;
    } catch {
      // not runnable: try the next one
    }
  }
  return undefined;
}

const oldNode = findOldNode();

function runOld(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>(resolve => {
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn(oldNode as string, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        AXONFLOW_TELEMETRY: 'off',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', d => (stdout += d));
    child.stderr.on('data', d => (stderr += d));
    child.on('exit', code => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!built || !oldNode)(`on a Node older than ${MIN_NODE}`, () => {
  it.each([
    ['--require', './dist/commonjs/register/index.js'],
    ['--import', './dist/esm/register/index.js'],
  ])('%s prints one line naming both versions, and the app runs', async (flag, entry) => {
    const run = await runOld([flag, entry, 'test/register/fixtures/plain-app.cjs']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('app ran\n');
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^axonflow-otel: needs Node.js >= ${MIN_NODE}, found \\d+\\.\\d+\\.\\d+: the app runs WITHOUT governance`,
      ),
    );
  });

  it('doctor says the Node is too old instead of crashing', async () => {
    const run = await runOld(['dist/esm/cli/index.js', 'doctor']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/needs Node.js >= /);
    expect(run.stdout).toMatch(/^Verdict: NOT ready: Node.js \d+/m);
  });
});

describe.skipIf(!built)('first contact through the register entry', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const base = () => ({
    AXONFLOW_AGENT_URL: sandbox.agentUrl,
    OPENAI_BASE_URL: sandbox.modelUrl,
    OPENAI_API_KEY: 'sk-fake-key',
    OTEL_TRACES_EXPORTER: 'none',
  });

  it.each([
    ['AXONFLOW_GOVERNANCE', 'span_only'],
    ['AXONFLOW_CACHE_MAX', '0'],
    ['AXONFLOW_RETRY_MAX_ATTEMPTS', '0'],
    ['AXONFLOW_TIMEOUT_MS', '3000000000'],
    ['AXONFLOW_TELEMETRY', 'maybe'],
    ['AXONFLOW_MODE', 'prod'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_BSP_SCHEDULE_DELAY', 'abc'],
    ['OTEL_LOG_LEVEL', 'loud'],
    ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'openi'],
  ])('%s=%s is named with its fix, and an SSN prompt is still denied', async (name, value) => {
    sandbox.resetCounters();
    const run = await runNode(
      ['--import', 'axonflow-otel/register', 'examples/denied-prompt.mjs'],
      {
        ...base(),
        [name]: value,
        // The invalid trace settings must not hide behind the exporter being off.
        ...(name.startsWith('OTEL_') ? { OTEL_TRACES_EXPORTER: 'console' } : {}),
      },
    );
    const named = run.stderr.split('\n').filter(l => l.includes(`${name}="${value}"`));
    expect(named).toHaveLength(1);
    expect(named[0]).toMatch(/^axonflow-otel: .*: (use|the known names are) .+/);
    expect(run.stdout).toMatch(/^blocked: Social Security Number/m);
    expect(sandbox.modelRequests()).toBe(0);
    expect(run.code).toBe(0);
  });

  it('says on stderr, with no logger configured, that calls fail open when the agent is unreachable', async () => {
    const port = await closedPort();
    const run = await runNode(['--require', 'axonflow-otel/register', 'examples/openai-chat.cjs'], {
      ...base(),
      AXONFLOW_AGENT_URL: `http://127.0.0.1:${port}`,
    });
    expect(run.code).toBe(0);
    const lines = run.stderr.split('\n').filter(l => l.includes('NOT governed'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^axonflow-otel: calls proceed NOT governed \(fail-open, network\)/);
    expect(lines[0]).toContain(`127.0.0.1:${port}`);
  });

  it('AXONFLOW_NOTICES=off silences the line', async () => {
    const port = await closedPort();
    const run = await runNode(['--require', 'axonflow-otel/register', 'examples/openai-chat.cjs'], {
      ...base(),
      AXONFLOW_AGENT_URL: `http://127.0.0.1:${port}`,
      AXONFLOW_NOTICES: 'off',
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Paris|capital|France/i);
    expect(run.stderr).toBe('');
  });

  it('names the auth failure on stderr, with no logger configured, when the agent answers 401', async () => {
    const agent = http.createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"invalid credentials"}');
    });
    await new Promise<void>(r => agent.listen(0, '127.0.0.1', r));
    try {
      const run = await runNode(
        ['--require', 'axonflow-otel/register', 'examples/openai-chat.cjs'],
        {
          ...base(),
          AXONFLOW_AGENT_URL: `http://127.0.0.1:${(agent.address() as AddressInfo).port}`,
        },
      );
      const lines = run.stderr.split('\n').filter(l => l.includes('refused the credentials'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^axonflow-otel: AxonFlow agent refused the credentials \(HTTP 401\)/,
      );
      expect(lines[0]).toMatch(/AXONFLOW_CLIENT_ID/);
    } finally {
      await new Promise<void>(r => agent.close(() => r()));
    }
  });

  it('exits within its flush budget when no Collector answers, and says how many spans were not delivered and where', async () => {
    const port = await closedPort();
    const started = Date.now();
    const run = await runNode(['--require', 'axonflow-otel/register', 'examples/openai-chat.cjs'], {
      ...base(),
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    const elapsed = Date.now() - started;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Paris|capital|France/i);
    const lines = run.stderr.split('\n').filter(l => l.includes('could not be delivered'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^axonflow-otel: \\d+ spans? could not be delivered to http://127\\.0\\.0\\.1:${port}/v1/traces`,
      ),
    );
    // Without the bound, the exporter's own 10 s timeout and retries hold the exit.
    expect(elapsed).toBeLessThan(9000);
  });
});
