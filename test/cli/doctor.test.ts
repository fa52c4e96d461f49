import { existsSync } from 'node:fs';
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

describe.skipIf(!built)('axonflow-otel doctor', () => {
  it('reports ready with a healthy agent, supported SDKs and a listening endpoint, secrets masked', async () => {
    const run = await runNode(['dist/esm/cli/index.js', 'doctor'], {
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
    expect(run.stdout).toMatch(/Verdict: ready/);
    expect(`${run.stdout}${run.stderr}`).not.toContain(SECRET);
  });

  it('fails with the variable named when the configuration is invalid', async () => {
    const run = await runNode(['dist/esm/cli/index.js', 'doctor'], {
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OTEL_TRACES_EXPORTER: 'zipkin',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}OTEL_TRACES_EXPORTER=/);
  });

  it('fails when the agent and the exporter endpoint do not answer', async () => {
    const run = await runNode(['dist/esm/cli/index.js', 'doctor'], {
      AXONFLOW_AGENT_URL: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL {2}agent unhealthy/);
    expect(run.stdout).toMatch(
      /FAIL {2}http:\/\/127\.0\.0\.1:9\/v1\/traces does not answer \(ECONNREFUSED\)/,
    );
    expect(run.stdout).toMatch(/Verdict: 2 problems/);
  });
});
