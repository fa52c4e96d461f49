/**
 * Shutdown on the app's terms, in real child processes under the register entry: an app that
 * handles SIGTERM itself (with `once` or `on`) drains and exits as it would without the package,
 * and a call it makes while draining is still pre-checked. Without an app handler, the process
 * still dies of the signal after our bounded flush.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { ROOT, runNode } from '../helpers/child.js';

const built = existsSync(join(ROOT, 'dist/commonjs/register/index.js'));

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the app, sends SIGTERM once it says `ready`, and collects how it ends. */
function runAndTerminate(args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        AXONFLOW_TELEMETRY: 'off',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', d => {
      stdout += d;
      if (!sent && stdout.includes('ready')) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', d => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`app did not end\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe.skipIf(!built)('shutdown respects the app', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const env = (extra: Record<string, string> = {}) => ({
    AXONFLOW_AGENT_URL: sandbox.agentUrl,
    OPENAI_BASE_URL: sandbox.modelUrl,
    OPENAI_API_KEY: 'sk-fake',
    OTEL_TRACES_EXPORTER: 'none',
    ...extra,
  });
  const app = 'test/register/fixtures/drain-on-sigterm.mjs';

  it.each(['once', 'on'])(
    'an app with process.%s("SIGTERM") drains and exits 0, and its drain call is still denied',
    async listen => {
      const bare = await runAndTerminate([app], env({ LISTEN: listen }));
      expect(bare).toMatchObject({ code: 0, signal: null });
      expect(bare.stdout).toMatch(/drained/);

      sandbox.resetCounters();
      const run = await runAndTerminate(
        ['--import', 'axonflow-otel/register', app],
        env({ LISTEN: listen }),
      );
      expect(run).toMatchObject({ code: 0, signal: null });
      expect(run.stdout).toMatch(/drain call: AXONFLOW_POLICY_VIOLATION\ndrained/);
      expect(sandbox.modelRequests()).toBe(0);
      expect(run.stderr).toBe('');
    },
  );

  it('records that cannot be delivered at process.exit() are counted on stderr', async () => {
    // An agent that approves at once and never answers an audit.
    const agent = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (!req.url?.startsWith('/api/policy/pre-check')) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"approved":true,"context_id":"ctx-exit","policies":[]}');
      });
    });
    await new Promise<void>(r => agent.listen(0, '127.0.0.1', r));
    try {
      const run = await runNode(
        ['--import', 'axonflow-otel/register', 'test/register/fixtures/exit-right-away.mjs'],
        env({ AXONFLOW_AGENT_URL: `http://127.0.0.1:${(agent.address() as AddressInfo).port}` }),
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toBe('answered\n');
      expect(run.stderr).toMatch(
        /^axonflow-otel: 1 audit record could not be delivered to the AxonFlow agent before the process exited$/m,
      );
    } finally {
      agent.closeAllConnections();
      await new Promise<void>(r => agent.close(() => r()));
    }
  });

  it('an app without a SIGTERM handler still dies of the signal, as it would without the package', async () => {
    const plain = 'test/register/fixtures/plain-wait.cjs';
    const bare = await runAndTerminate([plain], env());
    const run = await runAndTerminate(['--require', 'axonflow-otel/register', plain], env());
    expect(bare.signal).toBe('SIGTERM');
    expect(run.signal).toBe('SIGTERM');
  });
});
