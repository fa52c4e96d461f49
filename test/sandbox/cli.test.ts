import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';

const root = join(import.meta.dirname, '..', '..');
const hooks = join(import.meta.dirname, 'support', 'ts-resolve.mjs');
const built = join(root, 'dist', 'esm', 'cli', 'index.js');

/** Runs the CLI from source (Node strips the types) or, when given, from the build. */
function cli(args: string[], entry?: string): ChildProcess {
  const argv = entry
    ? [entry, ...args]
    : ['--import', hooks, join(root, 'src', 'cli', 'index.ts'), ...args];
  return spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function finish(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', d => (stdout += d));
  child.stderr?.on('data', d => (stderr += d));
  return new Promise(resolve => child.on('close', code => resolve({ code, stdout, stderr })));
}

/** Resolves with the base URL the sandbox command prints. */
function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed; got: ${out}`)), 10_000);
    child.stdout?.on('data', d => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('close', () => reject(new Error(`exited early: ${out}`)));
  });
}

async function runSandboxCommand(entry?: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'axonflow-cli-'));
  const auditFile = join(dir, 'audit.jsonl');
  const child = cli(['sandbox', '--port', '0', '--audit-file', auditFile], entry);
  const done = finish(child);
  try {
    const spawned = Date.now();
    const url = await listening(child);
    const printed = Date.now();
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'healthy', service: 'axonflow-agent' });
    expect(Date.now() - printed).toBeLessThan(5000);
    // A deadline, not a performance measure: parallel test files load the machine, so the cold
    // start gets generous room here (its speed is measured by `npm run bench`).
    expect(Date.now() - spawned).toBeLessThan(10_000);

    const pre = await fetch(`${url}/api/policy/pre-check`, {
      method: 'POST',
      body: JSON.stringify({ client_id: 'cli', query: 'hello' }),
    });
    const { context_id } = (await pre.json()) as { context_id: string };
    const audit = await fetch(`${url}/api/audit/llm-call`, {
      method: 'POST',
      body: JSON.stringify({ context_id, client_id: 'cli', provider: 'openai', model: 'm' }),
    });
    expect(audit.status).toBe(200);

    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`AXONFLOW_AGENT_URL=${url}`);
    expect(result.stdout).toContain(`OPENAI_BASE_URL=${url}/v1`);
    expect(result.stdout).toContain('Sandbox stopped.');
    expect((await readFile(auditFile, 'utf8')).trim().split('\n')).toHaveLength(1);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

describe('axonflow-otel CLI', () => {
  it('sandbox: starts, serves, writes the audit file and exits 0 on SIGTERM', async () => {
    await runSandboxCommand();
  });

  it.skipIf(!existsSync(built))('the built bin behaves the same', async () => {
    await runSandboxCommand(built);
  });

  it('prints help, and help for a command', async () => {
    const top = await finish(cli(['--help']));
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: axonflow-otel <command>/);
    expect(top.stdout).toMatch(/sandbox\s+Run a local/);
    const sub = await finish(cli(['sandbox', '--help']));
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--audit-file F');
  });

  it('exits 2 on usage errors', async () => {
    const unknown = await finish(cli(['frobnicate']));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const badPort = await finish(cli(['sandbox', '--port', 'abc']));
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toContain('--port must be an integer');
    const badFlag = await finish(cli(['sandbox', '--nope']));
    expect(badFlag.code).toBe(2);
  });

  it('exits 1 when the port is taken', async () => {
    const holder = await startSandbox();
    try {
      const result = await finish(cli(['sandbox', '--port', String(holder.port)]));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('already in use');
    } finally {
      await holder.close();
    }
  });
});
