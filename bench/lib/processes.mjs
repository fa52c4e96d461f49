// Helper processes of the benchmarks (agent stub, sandbox) and CPU pinning. On a machine with two
// or more CPUs, the measured process runs on CPU 0 and every helper on CPU 1 (`taskset`), so a
// helper's work neither steals the measured process's core nor shows in its CPU time.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { DIST } from './dist.mjs';

function hasTaskset() {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export const pinning = availableParallelism() >= 2 && hasTaskset();

/** Pins every thread of this process to CPU 0; returns a description for the report. */
export function pinSelf() {
  if (!pinning) return 'not pinned (needs taskset and 2+ CPUs)';
  try {
    execFileSync('taskset', ['-a', '-cp', '0', String(process.pid)], { stdio: 'ignore' });
    return 'measured process on CPU 0, helper processes on CPU 1 (taskset)';
  } catch {
    return 'not pinned (taskset failed)';
  }
}

function spawnPinned(args, env) {
  const [cmd, argv] = pinning
    ? ['taskset', ['-c', '1', process.execPath, ...args]]
    : [process.execPath, args];
  return spawn(cmd, argv, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, AXONFLOW_TELEMETRY: 'off', ...env },
  });
}

/** Spawns a helper that prints one JSON line when ready; resolves with that line parsed. */
async function startHelper(args) {
  const child = spawnPinned(args);
  const exited = new Promise(resolve => child.once('exit', resolve));
  const ready = await new Promise((resolve, reject) => {
    let out = '';
    const onData = chunk => {
      out += chunk;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        child.stdout.off('data', onData);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', code =>
      reject(new Error(`bench: helper ${args.join(' ')} exited (${code})`)),
    );
  });
  return {
    ready,
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The agent stub (bench/lib/agent-stub.mjs) in its own process. */
export async function startAgentStub() {
  const helper = await startHelper([new URL('./agent-stub.mjs', import.meta.url).pathname]);
  return { url: `http://127.0.0.1:${helper.ready.port}`, close: helper.close };
}

/** The package's sandbox (agent + deterministic model on one port) in its own process. */
export async function startSandboxProcess() {
  const source = `
    const { startSandbox } = await import(${JSON.stringify(new URL('sandbox/index.js', DIST).href)});
    const sandbox = await startSandbox();
    process.stdout.write(JSON.stringify({ url: sandbox.url, agentUrl: sandbox.agentUrl, modelUrl: sandbox.modelUrl }) + '\\n');
    process.stdin.on('end', () => sandbox.close().then(() => process.exit(0)));
    process.stdin.resume();
  `;
  const helper = await startHelper(['--input-type=module', '-e', source]);
  return { ...helper.ready, close: helper.close };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort() {
  const server = createServer();
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise(resolve => server.close(resolve));
  return port;
}
