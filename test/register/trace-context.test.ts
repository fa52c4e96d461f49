/**
 * One trace from the app to the agent: the pre-check request carries the W3C trace context of
 * the `axonflow.pre_check` span, and the sandbox agent, given an OTLP endpoint, answers with its
 * own `axonflow.decision` span in that trace, under the pre-check. Through the register entry,
 * with a real OTLP receiver that decodes what both exporters send.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { ROOT, runNode } from '../helpers/child.js';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver.js';

const built = existsSync(join(ROOT, 'dist/commonjs/register/index.js'));

let sandbox: Sandbox | undefined;
let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  await sandbox?.close();
  await receiver?.close();
});

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise(r => setTimeout(r, 20));
}

describe.skipIf(!built)('one trace from the app to the agent', () => {
  it('the agent receives the pre-check span as traceparent and adds its decision span under it', async () => {
    receiver = await startOtlpReceiver();
    sandbox = await startSandbox({ decisionTracesUrl: `${receiver.url}/v1/traces` });
    const run = await runNode(['--require', 'axonflow-otel/register', 'examples/openai-chat.cjs'], {
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OPENAI_BASE_URL: sandbox.modelUrl,
      OPENAI_API_KEY: 'sk-fake',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    expect(run.code).toBe(0);
    const r = receiver;
    await until(() => r.spans.some(s => s.name === 'axonflow.decision'), 10_000);

    const preCheck = r.spans.find(s => s.name === 'axonflow.pre_check')!;
    expect(preCheck).toBeDefined();
    const [traceparent] = sandbox.preCheckTraceparents();
    expect(traceparent).toBe(`00-${preCheck.traceId}-${preCheck.spanId}-01`);

    const decision = r.spans.find(s => s.name === 'axonflow.decision')!;
    expect(decision.traceId).toBe(preCheck.traceId);
    expect(decision.parentSpanId).toBe(preCheck.spanId);
    expect(decision.resource['service.name']).toBe('axonflow-agent-sandbox');
    expect(decision.attributes['axonflow.decision']).toBe('allow');
  });

  it('the audit request carries the audit span as traceparent', async () => {
    receiver = await startOtlpReceiver();
    sandbox = await startSandbox();
    const run = await runNode(['--require', 'axonflow-otel/register', 'examples/openai-chat.cjs'], {
      AXONFLOW_AGENT_URL: sandbox.agentUrl,
      OPENAI_BASE_URL: sandbox.modelUrl,
      OPENAI_API_KEY: 'sk-fake',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    expect(run.code).toBe(0);
    const audit = receiver.spans.find(s => s.name === 'axonflow.audit')!;
    expect(audit).toBeDefined();
    const [record] = sandbox.audits();
    expect(record?.traceparent).toBe(`00-${audit.traceId}-${audit.spanId}-01`);
  });
});
