/**
 * The zero-code entry in real child processes: `--require` (CommonJS) and `--import` (ES
 * modules), the OTLP/HTTP exporter pointed at a loopback receiver that decodes what arrives, and
 * the sandbox as agent and model. Needs the built package (`npm test` builds first).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { ROOT, runNode, scaled } from '../helpers/child.js';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.js';

const built =
  existsSync(join(ROOT, 'dist/esm/register/index.js')) &&
  existsSync(join(ROOT, 'dist/commonjs/register/index.js'));
const FAKE_KEY = 'sk-fake-OPENAI-KEY-7a1f';

let sandbox: Sandbox;
let receiver: OtlpReceiver;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(async () => {
  await receiver?.close();
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AXONFLOW_AGENT_URL: sandbox.agentUrl,
    OPENAI_BASE_URL: sandbox.modelUrl,
    OPENAI_API_KEY: FAKE_KEY,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
    OTEL_SERVICE_NAME: 'register-test',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    // The exit flush's budget, scaled: the in-test receiver may answer late on a busy machine.
    AXONFLOW_EXIT_FLUSH_TIMEOUT_MS: String(scaled(10_000)),
    ...extra,
  };
}

describe.skipIf(!built)('register entry', () => {
  it.each([
    ['--require', 'examples/openai-chat.cjs', 'http/protobuf'],
    ['--import', 'examples/openai-chat.mjs', 'http/json'],
  ])('%s patches %s and exports the span tree over OTLP %s', async (flag, app, protocol) => {
    receiver = await startOtlpReceiver();
    sandbox.resetCounters();
    const auditsBefore = sandbox.audits().length;
    const run = await runNode(
      [flag, 'axonflow-otel/register', app],
      env({ OTEL_EXPORTER_OTLP_PROTOCOL: protocol }),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Paris|capital|France/i);
    expect(receiver.contentTypes[0]).toContain(protocol === 'http/json' ? 'json' : 'protobuf');
    // Command lines carry secrets (`--api-key=…`): the default resource leaves them out.
    const resource = receiver.spans[0]!.resource;
    expect(resource['process.pid']).toBeTypeOf('number');
    expect(resource).not.toHaveProperty('process.command_args');
    expect(resource).not.toHaveProperty('process.command_line');

    const chat = receiver.spans.find(s => s.name === 'chat sandbox-gpt');
    expect(chat).toBeDefined();
    expect(chat!.kind).toBe(3);
    expect(chat!.resource['service.name']).toBe('register-test');
    expect(chat!.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'axonflow.decision': 'allow',
    });
    const children = receiver.spans
      .filter(s => s.parentSpanId === chat!.spanId)
      .map(s => s.name)
      .sort();
    expect(children).toEqual(['axonflow.audit', 'axonflow.delegate', 'axonflow.pre_check']);
    const audit = receiver.spans.find(s => s.name === 'axonflow.audit')!;
    expect(audit.traceId).toBe(chat!.traceId);
    expect(audit.kind).toBe(3);
    expect(audit.attributes['axonflow.audit_id']).toBeTruthy();
    expect(sandbox.audits().length).toBe(auditsBefore + 1);
    expect(JSON.stringify(receiver.spans)).not.toContain(FAKE_KEY);
  });

  it('throws PolicyViolationError into a real app and never calls the model', async () => {
    receiver = await startOtlpReceiver();
    sandbox.resetCounters();
    const run = await runNode(
      ['--import', 'axonflow-otel/register', 'examples/denied-prompt.mjs'],
      env(),
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^blocked: Social Security Number/m);
    expect(sandbox.modelRequests()).toBe(0);
    const chat = receiver.spans.find(s => s.name === 'chat sandbox-gpt')!;
    expect(chat.status.code).toBe(2);
    expect(chat.attributes['axonflow.decision']).toBe('deny');
  });

  it('exports no span with OTEL_SDK_DISABLED=true, and still denies and audits', async () => {
    receiver = await startOtlpReceiver();
    sandbox.resetCounters();
    const run = await runNode(
      ['--import', 'axonflow-otel/register', 'examples/denied-prompt.mjs'],
      env({ OTEL_SDK_DISABLED: 'true' }),
    );
    expect(run.stdout).toMatch(/^blocked: Social Security Number/m);
    expect(sandbox.modelRequests()).toBe(0);
    expect(receiver.spans).toHaveLength(0);
    const allowed = await runNode(
      ['--require', 'axonflow-otel/register', 'examples/openai-chat.cjs'],
      env({ OTEL_SDK_DISABLED: 'true' }),
    );
    expect(allowed.code).toBe(0);
    expect(receiver.spans).toHaveLength(0);
    expect(sandbox.audits().length).toBeGreaterThan(0);
  });

  it('turns governance off only with AXONFLOW_GOVERNANCE=off', async () => {
    receiver = await startOtlpReceiver();
    sandbox.resetCounters();
    const run = await runNode(
      ['--import', 'axonflow-otel/register', 'examples/denied-prompt.mjs'],
      env({ AXONFLOW_GOVERNANCE: 'off' }),
    );
    expect(run.stdout).toMatch(/unexpected: the call went through/);
    expect(sandbox.agentRequests()).toBe(0);
  });

  it('honours OTEL_TRACES_EXPORTER=none while still governing', async () => {
    receiver = await startOtlpReceiver();
    sandbox.resetCounters();
    const run = await runNode(
      ['--import', 'axonflow-otel/register', 'examples/denied-prompt.mjs'],
      env({ OTEL_TRACES_EXPORTER: 'none' }),
    );
    expect(run.stdout).toMatch(/^blocked:/m);
    expect(receiver.spans).toHaveLength(0);
  });

  it('names every invalid variable with its fix, keeps the defaults, and the app runs', async () => {
    receiver = await startOtlpReceiver();
    const run = await runNode(
      ['--import', 'axonflow-otel/register', 'examples/openai-chat.mjs'],
      env({ OTEL_TRACES_EXPORTER: 'jaeger', AXONFLOW_MODE: 'prod' }),
    );
    expect(run.stderr).toMatch(
      /OTEL_TRACES_EXPORTER="jaeger" names "jaeger", which is not known: use otlp, console, none/,
    );
    expect(run.stderr).toMatch(
      /AXONFLOW_MODE="prod" is not a known value: use production, sandbox; using the default/,
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Paris|capital|France/i);
  });

  it('turns a provider off with OTEL_NODE_DISABLED_INSTRUMENTATIONS', async () => {
    receiver = await startOtlpReceiver();
    sandbox.resetCounters();
    const run = await runNode(
      ['--import', 'axonflow-otel/register', 'examples/denied-prompt.mjs'],
      env({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'openai' }),
    );
    expect(run.stdout).toMatch(/unexpected: the call went through/);
    expect(sandbox.agentRequests()).toBe(0);
  });
});
