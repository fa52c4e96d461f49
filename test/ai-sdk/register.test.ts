/**
 * The zero-code entry with the Vercel AI SDK: an app calling `generateText` through
 * `@ai-sdk/openai` (ai 7), with no governance code, run as a child process under `--require`
 * (CommonJS) and `--import` (ES modules) `axonflow-otel/register` against the sandbox. The denied
 * prompt never reaches the model; the allowed call is traced and audited. Needs the built package
 * (`npm run build`).
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
const FAKE_KEY = 'sk-fake-AI-SDK-openai-key-3e9c';

let sandbox: Sandbox;
let receiver: OtlpReceiver | undefined;

beforeAll(async () => {
  sandbox = await startSandbox();
});

afterAll(async () => {
  await sandbox.close();
});

afterEach(async () => {
  await receiver?.close();
});

describe.skipIf(!built)('the register entry with the AI SDK', () => {
  it.each([
    ['--require', 'test/ai-sdk/fixtures/generate-text.cjs'],
    ['--import', 'test/ai-sdk/fixtures/generate-text.mjs'],
  ])('%s governs generateText of %s with no code change', async (flag, app) => {
    receiver = await startOtlpReceiver();
    sandbox.resetCounters();
    const auditsBefore = sandbox.audits().length;
    const run = await runNode([flag, 'axonflow-otel/register', app], {
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OPENAI_BASE_URL: sandbox.modelUrl,
      OPENAI_API_KEY: FAKE_KEY,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      OTEL_SERVICE_NAME: 'ai-sdk-register-test',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      // The exit flush's budget, scaled: the in-test receiver may answer late on a busy machine.
      AXONFLOW_EXIT_FLUSH_TIMEOUT_MS: String(scaled(10_000)),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      expect.stringMatching(/^allowed: Sandbox reply to "What is the capital of France\?"/),
      'denied: AXONFLOW_POLICY_VIOLATION',
      '',
    ]);
    // The denied call never reached the model.
    expect(sandbox.modelRequests()).toBe(1);
    expect(sandbox.audits().length).toBe(auditsBefore + 1);

    const chats = receiver.spans.filter(s => s.name === 'chat sandbox-gpt');
    expect(chats.map(s => s.attributes['axonflow.decision']).sort()).toEqual(['allow', 'deny']);
    const allowed = chats.find(s => s.attributes['axonflow.decision'] === 'allow')!;
    expect(allowed.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'sandbox-gpt',
    });
    const children = receiver.spans
      .filter(s => s.parentSpanId === allowed.spanId)
      .map(s => s.name)
      .sort();
    expect(children).toEqual(['axonflow.audit', 'axonflow.delegate', 'axonflow.pre_check']);
    expect(JSON.stringify(receiver.spans)).not.toContain(FAKE_KEY);
  });
});
