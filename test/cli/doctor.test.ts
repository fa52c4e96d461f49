import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { ROOT, runNode } from '../helpers/child.js';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.js';

const built = existsSync(join(ROOT, 'dist/esm/cli/index.js'));
const SECRET = 'doctor-secret-VALUE-0042';

let sandbox: Sandbox;
let receiver: OtlpReceiver;

beforeAll(async () => {
  sandbox = await startSandbox();
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await receiver.close();
  await sandbox.close();
});

function doctor(env: Record<string, string>) {
  return runNode(['dist/esm/cli/index.js', 'doctor'], { AXONFLOW_TELEMETRY: 'off', ...env });
}

function verdict(stdout: string): string {
  return stdout.split('\n').find(line => line.startsWith('Verdict:')) ?? '';
}

/** A TCP server on loopback that accepts connections and closes them at once. */
async function listeningTcp(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(socket => socket.destroy());
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { port, close: () => new Promise(resolve => server.close(() => resolve())) };
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const tcp = await listeningTcp();
  await tcp.close();
  return tcp.port;
}

describe.skipIf(!built)('axonflow-otel doctor', () => {
  it('reports ready with a healthy agent, supported SDKs and a listening endpoint, secrets masked', async () => {
    const run = await doctor({
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      AXONFLOW_CLIENT_SECRET: SECRET,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/ok {4}healthy/);
    expect(run.stdout).toMatch(/ok {4}openai 7\.\d+\.\d+/);
    expect(run.stdout).toMatch(/ok {4}@anthropic-ai\/sdk 1\.\d+\.\d+/);
    expect(run.stdout).toMatch(/AXONFLOW_CLIENT_SECRET=set \(24 chars, hidden\)/);
    expect(run.stdout).toMatch(/answers/);
    expect(verdict(run.stdout)).toMatch(
      /^Verdict: ready\. .* will govern and trace openai, @anthropic-ai\/sdk, .*calls\.$/,
    );
    expect(`${run.stdout}${run.stderr}`).not.toContain(SECRET);
  });

  it('fails with the variable named when the configuration is invalid', async () => {
    const run = await doctor({
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_EXPORTER: 'zipkin',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}OTEL_TRACES_EXPORTER=/);
    expect(verdict(run.stdout)).toMatch(/^Verdict: NOT ready: .*OTEL_TRACES_EXPORTER is invalid/);
  });

  it('reports every invalid variable, not only the first', async () => {
    const run = await doctor({
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      AXONFLOW_MODE: 'prod',
      AXONFLOW_TIMEOUT_MS: 'soon',
      OTEL_TRACES_SAMPLER_ARG: '2',
      OTEL_BSP_MAX_QUEUE_SIZE: '-1',
    });
    expect(run.code).toBe(1);
    for (const name of [
      'AXONFLOW_MODE',
      'AXONFLOW_TIMEOUT_MS',
      'OTEL_TRACES_SAMPLER_ARG',
      'OTEL_BSP_MAX_QUEUE_SIZE',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`FAIL {2}${name}=`));
      expect(verdict(run.stdout)).toContain(`${name} is invalid`);
    }
    expect(verdict(run.stdout)).toMatch(/4 problems to fix/);
  });

  it('is not ready when OTEL_NODE_ENABLED_INSTRUMENTATIONS names no known instrumentation (a typo)', async () => {
    const run = await doctor({
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'openi',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}OTEL_NODE_ENABLED_INSTRUMENTATIONS=.*"openi"/);
    expect(verdict(run.stdout)).toMatch(
      /^Verdict: NOT ready: .*OTEL_NODE_ENABLED_INSTRUMENTATIONS is invalid/,
    );
  });

  it('says governed but NOT traced when OTEL_SDK_DISABLED=true', async () => {
    const run = await doctor({
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SDK_DISABLED: 'true',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ok {4}healthy/);
    expect(verdict(run.stdout)).toMatch(
      /^Verdict: NOT ready: .* would be governed, NOT traced \(OTEL_SDK_DISABLED=true\)/,
    );
  });

  it('says traced but NOT governed when AXONFLOW_GOVERNANCE=off', async () => {
    const run = await doctor({
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      AXONFLOW_GOVERNANCE: 'off',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/answers/);
    expect(verdict(run.stdout)).toMatch(
      /^Verdict: NOT ready: .* would be traced, NOT governed \(AXONFLOW_GOVERNANCE=off\)/,
    );
  });

  it('says neither governed nor traced when every client family is disabled', async () => {
    const run = await doctor({
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'axonflow-audit',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}no LLM client family is enabled/);
    expect(verdict(run.stdout)).toMatch(
      /^Verdict: NOT ready: LLM calls would be NOT governed, NOT traced \(every LLM client family is disabled\)/,
    );
  });

  it('says neither governed nor traced when no LLM SDK can be loaded from the app directory', async () => {
    const app = mkdtempSync(join(tmpdir(), 'doctor-app-'));
    try {
      const run = await runNode(['dist/esm/cli/index.js', 'doctor', '--cwd', app], {
        AXONFLOW_AGENT_URL: sandbox.agentUrl,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/- {5}openai: not installed/);
      expect(run.stdout).toMatch(/FAIL {2}no enabled LLM SDK in a supported version/);
      expect(verdict(run.stdout)).toMatch(
        /^Verdict: NOT ready: LLM calls would be NOT governed, NOT traced \(no enabled LLM SDK/,
      );
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('fails when the agent and the exporter endpoint do not answer', async () => {
    const run = await doctor({
      AXONFLOW_AGENT_URL: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}agent unhealthy/);
    expect(run.stdout).toMatch(
      /FAIL {2}http:\/\/127\.0\.0\.1:9\/v1\/traces does not answer \(ECONNREFUSED\)/,
    );
    expect(verdict(run.stdout)).toMatch(
      /^Verdict: NOT ready: .* would be NOT governed \(the agent is unhealthy\), NOT traced \(the OTLP endpoint does not answer\)\. 2 problems to fix/,
    );
  });

  it('checks a gRPC endpoint by TCP connect: a closed port fails', async () => {
    const port = await closedPort();
    const run = await doctor({
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `FAIL  http://127.0.0.1:${port}/ does not accept connections (gRPC) (ECONNREFUSED)`,
    );
    expect(verdict(run.stdout)).toMatch(/NOT traced \(the OTLP endpoint does not answer\)/);
  });

  it('checks a gRPC endpoint by TCP connect: a listening port is ok', async () => {
    const tcp = await listeningTcp();
    try {
      const run = await doctor({
        AXONFLOW_AGENT_URL: sandbox.agentUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${tcp.port}`,
      });
      expect(run.stdout).toContain(
        `ok    http://127.0.0.1:${tcp.port}/ accepts connections (gRPC)`,
      );
      expect(run.code).toBe(0);
      expect(verdict(run.stdout)).toMatch(/^Verdict: ready\./);
    } finally {
      await tcp.close();
    }
  });

  it('never prints secrets, URL credentials or secret query values', async () => {
    const port = new URL(sandbox.agentUrl).port;
    const withCredentials = `http://doctoruser:doctorpass@127.0.0.1:${port}/?api_key=sekrit`;
    const queryOnly = `http://127.0.0.1:${port}/?api_key=sekrit`;
    const envs: Record<string, string>[] = [
      // credentials in the agent URL make it invalid: the settings layer's message quotes it
      { AXONFLOW_AGENT_URL: withCredentials, OTEL_EXPORTER_OTLP_ENDPOINT: withCredentials },
      // a usable agent URL: doctor prints the agent endpoint
      { AXONFLOW_AGENT_URL: queryOnly, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: withCredentials },
    ];
    for (const env of envs) {
      const run = await doctor({
        ...env,
        AXONFLOW_CLIENT_SECRET: SECRET,
        OTEL_EXPORTER_OTLP_HEADERS: `api-key=${SECRET}`,
      });
      const output = `${run.stdout}${run.stderr}`;
      expect(output).toContain('***');
      for (const leak of [SECRET, 'sekrit', 'doctoruser', 'doctorpass'])
        expect(output).not.toContain(leak);
    }
  });
});
